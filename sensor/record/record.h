// The sensor's record contract (DESIGN.md "What a sensor reports"). Protocol sessions build these,
// sensor/sql fills the analysis fields, and the sink at the end of the pipeline writes them as
// JSON Lines (jsonl_writer.h) or ships them as dbaudit.v1.Record (sensor/ship). The field names
// here are the JSON names and the proto field names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dbaudit::sensor {

enum class RecordKind : uint8_t { kConnect, kDisconnect, kLogin, kStatement, kEncrypted, kGap };
enum class Protocol : uint8_t { kUnknown, kMysql, kPostgresql };
enum class Direction : uint8_t { kClientToServer = 0, kServerToClient = 1 };
// How a TCP connection ended (disconnect records).
enum class EndReason : uint8_t { kFin, kRst, kIdleTimeout, kCaptureEnd, kEvicted };
// Outcome of a statement. kUnknown: the response was never seen (capture loss, capture end).
enum class SqlResponse : uint8_t { kUnknown, kSuccess, kFailed };

const char* RecordKindName(RecordKind k);    // "connect", "disconnect", "login", ...
const char* ProtocolName(Protocol p);        // "mysql", "postgresql", "unknown"
const char* DirectionName(Direction d);      // "client_to_server", "server_to_client"
const char* EndReasonName(EndReason r);      // "fin", "rst", "idle_timeout", "capture_end", "evicted"
const char* SqlResponseName(SqlResponse r);  // "SUCCESS", "FAILED", "UNKNOWN"

// Who and where: the fields every record of one session shares.
struct SessionInfo {
  std::string session_id;  // unique per sensor, e.g. "s-<16 hex>"
  Protocol protocol = Protocol::kUnknown;
  std::string client_ip;  // textual, "10.0.0.1" or "fe80::1"
  uint16_t client_port = 0;
  std::string server_ip;
  uint16_t server_port = 0;
  std::string db_user;      // empty when unknown (mid-stream pickup)
  std::string database;     // current database/schema, empty when unknown
  std::string client_name;  // MySQL program_name attribute / PostgreSQL application_name
};

// One table/column/object a statement touches ("operated_obj_info" of the audit/sqls API).
struct OperatedObject {
  std::string schema_name;
  std::string table_name;
  std::string column_name;
  std::string object_type;  // TABLE, VIEW, INDEX, DATABASE, USER, FUNCTION, ...
  std::string sql_type;     // the operation on it: SELECT, INSERT, CREATE TABLE, ...
};

// A bound parameter of a prepared/extended-protocol statement, rendered as text.
struct BoundParam {
  std::string type;  // protocol type name, e.g. "LONGLONG", "VAR_STRING", "int4" / "oid:23"
  std::string value;
  bool is_null = false;
};

struct Record {
  RecordKind kind = RecordKind::kStatement;
  // Assigned by the final sink, strictly increasing per sensor.
  uint64_t seq = 0;
  int64_t timestamp_us = 0;  // capture time of the packet that completed the record
  SessionInfo session;

  // disconnect
  EndReason end_reason = EndReason::kFin;
  uint64_t bytes_client_to_server = 0;
  uint64_t bytes_server_to_client = 0;

  // login (success) and statement/login outcome details
  bool success = false;
  std::string error_code;  // MySQL error number ("1045") or PostgreSQL SQLSTATE ("28P01")
  std::string sql_state;   // MySQL SQLSTATE ("28000") or PostgreSQL SQLSTATE, when known
  std::string error_msg;
  std::string auth_method;  // login: mysql_native_password, caching_sha2_password, scram-sha-256, md5, ...

  // statement
  std::string sql_statement;
  std::vector<BoundParam> params;
  std::string command;  // protocol command: "query", "execute", "init_db", "prepare", ...
  std::string query_type;
  std::vector<OperatedObject> operated_obj_info;
  SqlResponse sql_response = SqlResponse::kUnknown;
  std::optional<uint64_t> affected_rows;
  std::optional<uint64_t> returned_rows;
  uint64_t response_bytes = 0;
  int64_t latency_us = -1;  // request to final response; -1 when unknown
  // Position in a message that carried several statements (MySQL multi-statements, a PostgreSQL
  // simple Query): 0-based index and count. A single statement is 0 of 1.
  uint32_t batch_index = 0;
  uint32_t batch_size = 1;
  std::string fingerprint;
  uint64_t fingerprint_id = 0;
  int injection_score = 0;
  std::vector<std::string> injection_signals;

  // gap
  Direction direction = Direction::kClientToServer;
  uint64_t gap_bytes = 0;
};

}  // namespace dbaudit::sensor
