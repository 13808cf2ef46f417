#include "collector/api/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>

#include "common/status.h"

namespace dbaudit::collector::api {
namespace {

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) return "";
  return Hex(digest, len);
}

absl::StatusOr<std::string> GenerateApiKey() {
  unsigned char bytes[20];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return absl::InternalError("no randomness for an API key");
  return "dbk_" + Hex(bytes, sizeof(bytes));
}

absl::StatusOr<std::optional<std::string>> EnsureApiKey(store::EventStore* store) {
  absl::StatusOr<std::string> existing = store->GetSetting(kApiKeyHashSetting);
  if (existing.ok()) return std::optional<std::string>();
  if (!absl::IsNotFound(existing.status())) return existing.status();
  ASSIGN_OR_RETURN(std::string key, GenerateApiKey());
  RETURN_IF_ERROR(store->PutSetting(kApiKeyHashSetting, Sha256Hex(key)));
  return std::optional<std::string>(std::move(key));
}

absl::StatusOr<ApiKeyVerifier> ApiKeyVerifier::FromStore(store::EventStore* store) {
  ASSIGN_OR_RETURN(std::string hash, store->GetSetting(kApiKeyHashSetting));
  return ApiKeyVerifier({hash});
}

bool ApiKeyVerifier::Verify(std::string_view key) const {
  if (key.empty()) return false;
  const std::string hash = Sha256Hex(key);
  bool ok = false;
  for (const std::string& known : hashes_) {
    if (known.size() == hash.size() && CRYPTO_memcmp(known.data(), hash.data(), hash.size()) == 0) ok = true;
  }
  return ok;
}

std::string BearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return "";
  for (size_t i = 0; i < kScheme.size(); ++i) {
    const char c = header[i] >= 'A' && header[i] <= 'Z' ? static_cast<char>(header[i] - 'A' + 'a') : header[i];
    if (c != kScheme[i]) return "";
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  return std::string(token);
}

}  // namespace dbaudit::collector::api
