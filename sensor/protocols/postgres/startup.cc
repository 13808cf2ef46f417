#include "sensor/protocols/postgres/startup.h"

#include <string_view>

#include "absl/strings/ascii.h"
#include "sensor/protocols/common/binary_reader.h"
#include "sensor/protocols/postgres/frame_parser.h"

namespace dbaudit::sensor::postgres {

using protocols::BinaryReader;

bool ParseStartupParams(absl::Span<const uint8_t> body, StartupParams* out) {
  BinaryReader r(body);
  while (true) {
    std::string_view name;
    if (!r.ReadCString(&name)) return false;  // the closing \0 is missing
    if (name.empty()) return true;
    std::string_view value;
    if (!r.ReadCString(&value)) return false;
    if (name == "user") {
      out->user.assign(value);
    } else if (name == "database") {
      out->database.assign(value);
    } else if (name == "application_name") {
      out->application_name.assign(value);
    } else if (name == "replication") {
      out->replication.assign(value);
    } else if (out->other.size() < 64) {
      out->other.emplace_back(std::string(name), std::string(value));
    }
  }
}

bool ParseCancelRequest(absl::Span<const uint8_t> body, uint32_t* backend_pid) {
  BinaryReader r(body);
  uint32_t secret = 0;
  return r.ReadBE32(backend_pid) && r.ReadBE32(&secret) && r.empty();
}

bool ParseAuthRequest(absl::Span<const uint8_t> body, AuthRequest* type,
                      std::vector<std::string>* sasl_mechanisms) {
  BinaryReader r(body);
  uint32_t subtype = 0;
  if (!r.ReadBE32(&subtype)) return false;
  *type = static_cast<AuthRequest>(subtype);
  if (*type != AuthRequest::kSasl) return true;
  while (true) {
    std::string_view mech;
    if (!r.ReadCString(&mech)) return false;
    if (mech.empty()) return true;
    if (sasl_mechanisms->size() < 16) sasl_mechanisms->emplace_back(mech);
  }
}

bool ParseSaslMechanism(absl::Span<const uint8_t> body, std::string* mechanism) {
  BinaryReader r(body);
  std::string_view mech;
  if (!r.ReadCString(&mech) || mech.empty() || mech.size() > 64) return false;
  mechanism->assign(mech);
  return true;
}

bool ParseParameterStatus(absl::Span<const uint8_t> body, std::string* name, std::string* value) {
  BinaryReader r(body);
  std::string_view n;
  std::string_view v;
  if (!r.ReadCString(&n) || !r.ReadCString(&v)) return false;
  name->assign(n);
  value->assign(v);
  return true;
}

bool ParseBackendKeyData(absl::Span<const uint8_t> body, uint32_t* pid) {
  BinaryReader r(body);
  uint32_t secret = 0;
  return r.ReadBE32(pid) && r.ReadBE32(&secret);
}

std::string AuthMethodName(AuthRequest challenge, const std::string& sasl_mechanism) {
  switch (challenge) {
    case AuthRequest::kOk: return "trust";
    case AuthRequest::kKerberosV5: return "kerberos-v5";
    case AuthRequest::kCleartextPassword: return "password";
    case AuthRequest::kMd5Password: return "md5";
    case AuthRequest::kGss:
    case AuthRequest::kGssContinue: return "gss";
    case AuthRequest::kSspi: return "sspi";
    case AuthRequest::kSasl:
    case AuthRequest::kSaslContinue:
    case AuthRequest::kSaslFinal:
      return sasl_mechanism.empty() ? std::string("sasl") : absl::AsciiStrToLower(sasl_mechanism);
  }
  return "unknown";
}

bool LooksLikePostgres(Direction dir, absl::Span<const uint8_t> data) {
  if (dir != Direction::kClientToServer) return false;
  Frame frame;
  size_t consumed = 0;
  if (ParseStartupPacket(data, &frame, &consumed) != ParseState::kOk) return false;
  // The fixed lengths and 32-bit magic codes of these three are signature enough.
  if (frame.kind != PacketKind::kStartupMessage) return true;
  StartupParams params;
  return ParseStartupParams(frame.body, &params) && !params.user.empty();
}

}  // namespace dbaudit::sensor::postgres
