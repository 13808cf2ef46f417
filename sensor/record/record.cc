#include "sensor/record/record.h"

namespace dbaudit::sensor {

const char* RecordKindName(RecordKind k) {
  switch (k) {
    case RecordKind::kConnect: return "connect";
    case RecordKind::kDisconnect: return "disconnect";
    case RecordKind::kLogin: return "login";
    case RecordKind::kStatement: return "statement";
    case RecordKind::kEncrypted: return "encrypted";
    case RecordKind::kGap: return "gap";
  }
  return "unknown";
}

const char* ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kMysql: return "mysql";
    case Protocol::kPostgresql: return "postgresql";
    case Protocol::kUnknown: break;
  }
  return "unknown";
}

const char* DirectionName(Direction d) {
  return d == Direction::kClientToServer ? "client_to_server" : "server_to_client";
}

const char* EndReasonName(EndReason r) {
  switch (r) {
    case EndReason::kFin: return "fin";
    case EndReason::kRst: return "rst";
    case EndReason::kIdleTimeout: return "idle_timeout";
    case EndReason::kCaptureEnd: return "capture_end";
    case EndReason::kEvicted: return "evicted";
  }
  return "unknown";
}

const char* SqlResponseName(SqlResponse r) {
  switch (r) {
    case SqlResponse::kSuccess: return "SUCCESS";
    case SqlResponse::kFailed: return "FAILED";
    case SqlResponse::kUnknown: break;
  }
  return "UNKNOWN";
}

}  // namespace dbaudit::sensor
