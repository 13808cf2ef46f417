// JSON shapes of the two API documents (/work/shared/seeds): an Events API event and an
// audit/sqls row, plus both APIs' error bodies.
#pragma once

#include <string>
#include <string_view>

#include "collector/api/http_types.h"
#include "collector/store/event_store.h"
#include "common/json_writer.h"

namespace dbaudit::collector::api {

// {"id","type","severity","database_id","timestamp","details":{...}}; with `full` (GET
// /v1/events/{id}) also database_name, processed_at, context and related_events.
void WriteEvent(const store::StoredEvent& event, bool full, JsonWriter& w);

// The inner object of {"sql": {...}}: id, sql_statement, client_ip, client_name, db_ip, db_user,
// query_type, operated_obj_info, rule_name, risk_level, start_time, sql_response, db_instance.
void WriteSqlRow(const store::StoredRecord& row, JsonWriter& w);

// Events API error: {"error":{"code":"invalid_parameter","message":"..."}}.
HttpResponse EventsError(int status, std::string_view code, std::string_view message);
// audit/sqls error: {"error":{"error_code":"DBSS.1001","error_msg":"..."}}.
HttpResponse DbssError(int status, std::string_view error_code, std::string_view error_msg);

}  // namespace dbaudit::collector::api
