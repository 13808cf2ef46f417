#include "sensor/record/jsonl_writer.h"

#include "common/json_writer.h"
#include "common/time_util.h"

namespace dbaudit::sensor {
namespace {

void AppendNonEmpty(JsonWriter& w, std::string_view key, const std::string& v) {
  if (!v.empty()) w.Field(key, v);
}

void AppendStatementFields(const Record& r, JsonWriter& w) {
  w.Field("sql_statement", r.sql_statement);
  AppendNonEmpty(w, "command", r.command);
  if (!r.params.empty()) {
    w.Key("params").BeginArray();
    for (const BoundParam& p : r.params) {
      w.BeginObject().Field("type", p.type);
      if (p.is_null) {
        w.Key("value").Null();
      } else {
        w.Field("value", p.value);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.Field("query_type", r.query_type.empty() ? std::string("OTHER") : r.query_type);
  w.Key("operated_obj_info").BeginArray();
  for (const OperatedObject& o : r.operated_obj_info) {
    w.BeginObject()
        .Field("schema_name", o.schema_name)
        .Field("table_name", o.table_name)
        .Field("column_name", o.column_name)
        .Field("object_type", o.object_type)
        .Field("sql_type", o.sql_type)
        .EndObject();
  }
  w.EndArray();
  w.Field("sql_response", SqlResponseName(r.sql_response));
  AppendNonEmpty(w, "error_code", r.error_code);
  AppendNonEmpty(w, "sql_state", r.sql_state);
  AppendNonEmpty(w, "error_msg", r.error_msg);
  if (r.affected_rows) w.Field("affected_rows", *r.affected_rows);
  if (r.returned_rows) w.Field("returned_rows", *r.returned_rows);
  if (r.batch_size > 1) w.Field("batch_index", r.batch_index).Field("batch_size", r.batch_size);
  w.Field("response_bytes", r.response_bytes);
  if (r.latency_us >= 0) w.Field("latency_us", r.latency_us);
  AppendNonEmpty(w, "fingerprint", r.fingerprint);
  if (!r.fingerprint.empty()) w.Field("fingerprint_id", r.fingerprint_id);
  if (r.injection_score > 0) {
    w.Key("injection").BeginObject().Field("score", r.injection_score).Key("signals").BeginArray();
    for (const std::string& s : r.injection_signals) w.String(s);
    w.EndArray().EndObject();
  }
}

}  // namespace

void AppendRecordJson(const Record& r, const std::string& sensor_id, std::string* out) {
  JsonWriter w(out);
  const SessionInfo& s = r.session;
  w.BeginObject()
      .Field("kind", RecordKindName(r.kind))
      .Field("sensor_id", sensor_id)
      .Field("seq", r.seq)
      .Field("timestamp", FormatTimestampUs(r.timestamp_us))
      .Field("session_id", s.session_id)
      .Field("protocol", ProtocolName(s.protocol))
      .Field("client_ip", s.client_ip)
      .Field("client_port", unsigned{s.client_port})
      .Field("server_ip", s.server_ip)
      .Field("server_port", unsigned{s.server_port})
      .Field("db_user", s.db_user)
      .Field("database", s.database)
      .Field("client_name", s.client_name);
  switch (r.kind) {
    case RecordKind::kConnect:
    case RecordKind::kEncrypted:
      break;
    case RecordKind::kDisconnect:
      w.Field("end_reason", EndReasonName(r.end_reason))
          .Field("bytes_client_to_server", r.bytes_client_to_server)
          .Field("bytes_server_to_client", r.bytes_server_to_client);
      break;
    case RecordKind::kLogin:
      w.Field("success", r.success);
      AppendNonEmpty(w, "auth_method", r.auth_method);
      AppendNonEmpty(w, "error_code", r.error_code);
      AppendNonEmpty(w, "sql_state", r.sql_state);
      AppendNonEmpty(w, "error_msg", r.error_msg);
      break;
    case RecordKind::kStatement:
      AppendStatementFields(r, w);
      break;
    case RecordKind::kGap:
      w.Field("direction", DirectionName(r.direction)).Field("gap_bytes", r.gap_bytes);
      break;
  }
  w.EndObject();
}

JsonlSink::JsonlSink(std::string sensor_id, std::FILE* out) : sensor_id_(std::move(sensor_id)), out_(out) {
  buffer_.reserve(1 << 16);
}

JsonlSink::~JsonlSink() { Flush(); }

void JsonlSink::Emit(Record&& record) {
  std::lock_guard<std::mutex> lock(mu_);
  record.seq = next_seq_++;
  AppendRecordJson(record, sensor_id_, &buffer_);
  buffer_.push_back('\n');
  if (buffer_.size() >= (1 << 16)) {
    std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
    buffer_.clear();
  }
}

void JsonlSink::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!buffer_.empty()) {
    std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
    buffer_.clear();
  }
  std::fflush(out_);
}

}  // namespace dbaudit::sensor
