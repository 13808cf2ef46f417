// API keys. A key is shown once when it is created; the collector keeps only its SHA-256.
// Requests carry it as "Authorization: Bearer <key>" (the audit/sqls path also accepts
// "X-Auth-Token: <key>", the header its scripts send).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/store/event_store.h"

namespace dbaudit::collector::api {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// A new random key: "dbk_" + 40 hex digits (160 bits from the OpenSSL CSPRNG).
absl::StatusOr<std::string> GenerateApiKey();

// Creates the first key when the store has none and returns it (the caller prints it once);
// nullopt when a key already exists.
absl::StatusOr<std::optional<std::string>> EnsureApiKey(store::EventStore* store);

// The store setting holding the key hash.
inline constexpr std::string_view kApiKeyHashSetting = "api_key_sha256";

class ApiKeyVerifier {
 public:
  explicit ApiKeyVerifier(std::vector<std::string> sha256_hex) : hashes_(std::move(sha256_hex)) {}
  // Loads the key hash kept by EnsureApiKey.
  static absl::StatusOr<ApiKeyVerifier> FromStore(store::EventStore* store);
  // Constant-time comparison of the key's hash with every known hash.
  bool Verify(std::string_view key) const;

 private:
  std::vector<std::string> hashes_;
};

// The key from "Authorization: Bearer <key>" (scheme case-insensitive), or "" when absent.
std::string BearerToken(std::string_view authorization_header);

}  // namespace dbaudit::collector::api
