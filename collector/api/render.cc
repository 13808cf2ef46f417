#include "collector/api/render.h"

#include "collector/store/event_codec.h"
#include "common/time_util.h"

namespace dbaudit::collector::api {
namespace {

const char* EndReasonName(dbaudit::v1::EndReason r) {
  switch (r) {
    case dbaudit::v1::END_REASON_FIN: return "fin";
    case dbaudit::v1::END_REASON_RST: return "rst";
    case dbaudit::v1::END_REASON_IDLE_TIMEOUT: return "idle_timeout";
    case dbaudit::v1::END_REASON_CAPTURE_END: return "capture_end";
    case dbaudit::v1::END_REASON_EVICTED: return "evicted";
    default: return "unknown";
  }
}

const char* ProtocolName(dbaudit::v1::Protocol p) {
  switch (p) {
    case dbaudit::v1::PROTOCOL_MYSQL: return "mysql";
    case dbaudit::v1::PROTOCOL_POSTGRESQL: return "postgresql";
    default: return "unknown";
  }
}

void WriteStatementDetails(const dbaudit::v1::Record& r, JsonWriter& w) {
  const dbaudit::v1::Statement& s = r.statement();
  w.Field("query", s.sql_statement());
  if (!s.command().empty()) w.Field("command", s.command());
  w.Field("query_type", store::AuditQueryType(r))
      .Field("sql_response", store::AuditSqlResponse(r));
  if (!s.error_code().empty()) w.Field("error_code", s.error_code());
  if (!s.error_msg().empty()) w.Field("error_msg", s.error_msg());
  if (s.has_affected_rows()) w.Field("affected_rows", s.affected_rows());
  if (s.has_returned_rows()) w.Field("returned_rows", s.returned_rows());
  if (s.latency_us() >= 0) w.Field("latency_us", s.latency_us());
}

void WriteDetails(const store::StoredEvent& e, JsonWriter& w) {
  const dbaudit::v1::Record& r = e.record;
  w.Key("details").BeginObject();
  if (r.has_statement()) WriteStatementDetails(r, w);
  w.Field("source_ip", r.client_ip())
      .Field("user", r.db_user())
      .Field("session_id", r.session_id())
      .Field("client_application", r.client_name())
      .Field("source_port", r.client_port())
      .Field("server_ip", r.server_ip())
      .Field("server_port", r.server_port())
      .Field("database", r.database())
      .Field("protocol", ProtocolName(r.protocol()))
      .Field("sensor_id", r.sensor_id())
      .Field("audit_id", e.record_id);
  if (r.has_login()) {
    if (!r.login().auth_method().empty()) w.Field("auth_method", r.login().auth_method());
    if (!r.login().error_code().empty()) w.Field("error_code", r.login().error_code());
    if (!r.login().error_msg().empty()) w.Field("error_msg", r.login().error_msg());
  }
  if (r.has_disconnect()) {
    w.Field("end_reason", EndReasonName(r.disconnect().end_reason()))
        .Field("bytes_client_to_server", r.disconnect().bytes_client_to_server())
        .Field("bytes_server_to_client", r.disconnect().bytes_server_to_client());
  }
  w.EndObject();
}

}  // namespace

void WriteEvent(const store::StoredEvent& e, bool full, JsonWriter& w) {
  w.BeginObject()
      .Field("id", e.id)
      .Field("type", e.type)
      .Field("severity", e.severity)
      .Field("database_id", e.database_id);
  if (full) w.Field("database_name", e.record.database());
  w.Field("timestamp", FormatTimestampSeconds(e.timestamp_us));
  if (full) w.Field("processed_at", FormatTimestampSeconds(e.processed_at_us));
  WriteDetails(e, w);
  if (full) {
    // Rules (a later stage) fill these; an event derived from a record alone has none.
    w.Key("context").BeginObject();
    w.Key("policy_id").Null().Key("rule_id").Null().Key("risk_score").Null();
    w.EndObject();
    w.Key("related_events").BeginArray().EndArray();
  }
  w.EndObject();
}

void WriteSqlRow(const store::StoredRecord& row, JsonWriter& w) {
  const dbaudit::v1::Record& r = row.record;
  w.BeginObject()
      .Field("id", row.id)
      .Field("sql_statement", r.has_statement() ? r.statement().sql_statement() : std::string())
      .Field("client_ip", r.client_ip())
      .Field("client_name", r.client_name())
      .Field("db_ip", r.server_ip())
      .Field("db_user", r.db_user())
      .Field("query_type", store::AuditQueryType(r));
  w.Key("operated_obj_info").BeginArray();
  if (r.has_statement()) {
    for (const dbaudit::v1::OperatedObject& o : r.statement().operated_obj_info()) {
      w.BeginObject()
          .Field("column_name", o.column_name())
          .Field("object_type", o.object_type())
          .Field("schema_name", o.schema_name())
          .Field("sql_type", o.sql_type())
          .Field("sys_name", "")
          .Field("table_name", o.table_name())
          .EndObject();
    }
  }
  w.EndArray();
  w.Field("rule_name", "")
      .Field("risk_level", "")
      .Field("start_time", FormatTimestampSpace(static_cast<int64_t>(row.key.ts_us)))
      .Field("sql_response", store::AuditSqlResponse(r))
      .Field("db_instance", r.server_ip() + ":" + std::to_string(r.server_port()))
      .EndObject();
}

HttpResponse EventsError(int status, std::string_view code, std::string_view message) {
  HttpResponse response;
  response.status = status;
  JsonWriter w(&response.body);
  w.BeginObject().Key("error").BeginObject().Field("code", code).Field("message", message).EndObject().EndObject();
  return response;
}

HttpResponse DbssError(int status, std::string_view error_code, std::string_view error_msg) {
  HttpResponse response;
  response.status = status;
  JsonWriter w(&response.body);
  w.BeginObject()
      .Key("error")
      .BeginObject()
      .Field("error_code", error_code)
      .Field("error_msg", error_msg)
      .EndObject()
      .EndObject();
  return response;
}

}  // namespace dbaudit::collector::api
