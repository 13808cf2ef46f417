#include "sensor/ship/record_convert.h"

namespace dbaudit::sensor::ship {
namespace {

dbaudit::v1::Protocol ProtoProtocol(Protocol p) {
  switch (p) {
    case Protocol::kMysql: return dbaudit::v1::PROTOCOL_MYSQL;
    case Protocol::kPostgresql: return dbaudit::v1::PROTOCOL_POSTGRESQL;
    case Protocol::kUnknown: break;
  }
  return dbaudit::v1::PROTOCOL_UNSPECIFIED;
}

dbaudit::v1::EndReason ProtoEndReason(EndReason r) {
  switch (r) {
    case EndReason::kFin: return dbaudit::v1::END_REASON_FIN;
    case EndReason::kRst: return dbaudit::v1::END_REASON_RST;
    case EndReason::kIdleTimeout: return dbaudit::v1::END_REASON_IDLE_TIMEOUT;
    case EndReason::kCaptureEnd: return dbaudit::v1::END_REASON_CAPTURE_END;
    case EndReason::kEvicted: return dbaudit::v1::END_REASON_EVICTED;
  }
  return dbaudit::v1::END_REASON_FIN;
}

dbaudit::v1::SqlResponse ProtoSqlResponse(SqlResponse r) {
  switch (r) {
    case SqlResponse::kSuccess: return dbaudit::v1::SQL_RESPONSE_SUCCESS;
    case SqlResponse::kFailed: return dbaudit::v1::SQL_RESPONSE_FAILED;
    case SqlResponse::kUnknown: break;
  }
  return dbaudit::v1::SQL_RESPONSE_UNKNOWN;
}

void FillStatement(const Record& r, dbaudit::v1::Statement* s) {
  s->set_sql_statement(r.sql_statement);
  for (const BoundParam& p : r.params) {
    auto* param = s->add_params();
    param->set_type(p.type);
    param->set_value(p.value);
    param->set_is_null(p.is_null);
  }
  s->set_command(r.command);
  s->set_query_type(r.query_type);
  for (const OperatedObject& o : r.operated_obj_info) {
    auto* obj = s->add_operated_obj_info();
    obj->set_schema_name(o.schema_name);
    obj->set_table_name(o.table_name);
    obj->set_column_name(o.column_name);
    obj->set_object_type(o.object_type);
    obj->set_sql_type(o.sql_type);
  }
  s->set_sql_response(ProtoSqlResponse(r.sql_response));
  s->set_error_code(r.error_code);
  s->set_sql_state(r.sql_state);
  s->set_error_msg(r.error_msg);
  if (r.affected_rows) s->set_affected_rows(*r.affected_rows);
  if (r.returned_rows) s->set_returned_rows(*r.returned_rows);
  s->set_response_bytes(r.response_bytes);
  s->set_latency_us(r.latency_us);
  s->set_fingerprint(r.fingerprint);
  s->set_fingerprint_id(r.fingerprint_id);
  if (r.injection_score > 0 || !r.injection_signals.empty()) {
    s->mutable_injection()->set_score(r.injection_score);
    for (const std::string& signal : r.injection_signals) s->mutable_injection()->add_signals(signal);
  }
}

}  // namespace

void ToProto(const Record& r, const std::string& sensor_id, dbaudit::v1::Record* out) {
  const SessionInfo& s = r.session;
  out->set_sensor_id(sensor_id);
  out->set_seq(r.seq);
  out->set_session_id(s.session_id);
  out->set_protocol(ProtoProtocol(s.protocol));
  out->set_client_ip(s.client_ip);
  out->set_client_port(s.client_port);
  out->set_server_ip(s.server_ip);
  out->set_server_port(s.server_port);
  out->set_db_user(s.db_user);
  out->set_database(s.database);
  out->set_client_name(s.client_name);
  out->set_timestamp_us(r.timestamp_us);
  switch (r.kind) {
    case RecordKind::kConnect: out->mutable_connect(); break;
    case RecordKind::kEncrypted: out->mutable_encrypted(); break;
    case RecordKind::kDisconnect: {
      auto* d = out->mutable_disconnect();
      d->set_end_reason(ProtoEndReason(r.end_reason));
      d->set_bytes_client_to_server(r.bytes_client_to_server);
      d->set_bytes_server_to_client(r.bytes_server_to_client);
      break;
    }
    case RecordKind::kLogin: {
      auto* l = out->mutable_login();
      l->set_success(r.success);
      l->set_error_code(r.error_code);
      l->set_sql_state(r.sql_state);
      l->set_error_msg(r.error_msg);
      l->set_auth_method(r.auth_method);
      break;
    }
    case RecordKind::kStatement: FillStatement(r, out->mutable_statement()); break;
    case RecordKind::kGap: {
      auto* g = out->mutable_gap();
      g->set_direction(r.direction == Direction::kClientToServer ? dbaudit::v1::DIRECTION_CLIENT_TO_SERVER
                                                                : dbaudit::v1::DIRECTION_SERVER_TO_CLIENT);
      g->set_gap_bytes(r.gap_bytes);
      break;
    }
  }
}

}  // namespace dbaudit::sensor::ship
