// Startup and authentication messages: StartupMessage parameters, CancelRequest,
// Authentication* requests, SASLInitialResponse (mechanism only), ParameterStatus,
// BackendKeyData. Passwords, MD5 hashes, SASL nonces and proofs are never decoded or kept.
// https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.3
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "sensor/protocols/postgres/types.h"
#include "sensor/record/record.h"

namespace dbaudit::sensor::postgres {

struct StartupParams {
  std::string user;
  std::string database;  // defaults to the user name on the server when absent
  std::string application_name;
  // "true"/"database"/... when the client asked for a walsender (replication) connection.
  std::string replication;
  std::vector<std::pair<std::string, std::string>> other;  // e.g. client_encoding, options
};

// StartupMessage body after the version: repeated { String name\0; String value\0 } then \0.
bool ParseStartupParams(absl::Span<const uint8_t> body, StartupParams* out);

// CancelRequest body after the code: Int32 backend pid, Int32 secret key (not returned).
bool ParseCancelRequest(absl::Span<const uint8_t> body, uint32_t* backend_pid);

// 'R' body: Int32 subtype, then for AuthenticationSASL a list of mechanism names\0 ending in \0;
// other subtypes' data (MD5 salt, SCRAM server messages) is not returned.
bool ParseAuthRequest(absl::Span<const uint8_t> body, AuthRequest* type,
                      std::vector<std::string>* sasl_mechanisms);

// SASLInitialResponse body: String mechanism\0, Int32 length, client-first-message. Only the
// mechanism name is read.
bool ParseSaslMechanism(absl::Span<const uint8_t> body, std::string* mechanism);

// ParameterStatus body: String name\0, String value\0.
bool ParseParameterStatus(absl::Span<const uint8_t> body, std::string* name, std::string* value);

// BackendKeyData body: Int32 pid, Int32 secret key (not returned).
bool ParseBackendKeyData(absl::Span<const uint8_t> body, uint32_t* pid);

// The auth_method reported on login records: "trust" (AuthenticationOk with no challenge),
// "password", "md5", "scram-sha-256", "scram-sha-256-plus", "gss", "sspi", "kerberos-v5".
std::string AuthMethodName(AuthRequest challenge, const std::string& sasl_mechanism);

// Content detection: true when `data` (the first bytes a client sent) is a whole, well-formed
// SSLRequest, GSSENCRequest, CancelRequest or v3 StartupMessage naming a user.
bool LooksLikePostgres(Direction dir, absl::Span<const uint8_t> data);

}  // namespace dbaudit::sensor::postgres
