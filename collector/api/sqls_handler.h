// POST /v1/{project_id}/{instance_id}/audit/sqls (seeds/audit-sqls-api.txt + NOTES.md).
//
// Body: {"time": {"time_range": HALF_HOUR|HOUR|THREE_HOUR|TWELVE_HOUR|DAY|WEEK|MONTH,
//                 "start_time": "yyyy-MM-dd HH:mm:ss", "end_time": "..."},   (required; UTC;
//                 time_range wins over the pair; start/end come together)
//        "risk_levels": "HIGH,LOW" or ["HIGH"], "client_ip", "client_name", "db_ip", "db_user",
//        "query_type" (CREATE_TABLE or "CREATE TABLE"; "OPERATE ALL" = any), "rule_name",
//        "sql_statement" (substring), "sql_response": SUCCESS|FAILED, "page" (>= 1, default 1),
//        "size" (1-10000, default 10), "time_order": DESC|ASC (default DESC)}
// Every field but `time` may be null or absent.
// Response: {"total": N, "count": <rows on this page>, "sqls": [{"sql": {...}}]}.
//
// Errors, body {"error": {"error_code": "...", "error_msg": "..."}}:
//   400 DBSS.1001  the body is not a JSON object
//   400 DBSS.1002  `time` missing or invalid
//   400 DBSS.1003  a value outside its enumeration (risk_levels, query_type, sql_response, time_order)
//   400 DBSS.1004  a field of the wrong JSON type
//   400 DBSS.1005  an unknown field
//   400 DBSS.1006  page or size out of range
//   400 DBSS.1007  project_id or instance_id malformed (1-64 of [A-Za-z0-9_-])
//   401 DBSS.1401  no token (X-Auth-Token or Authorization: Bearer)   (router.cc)
//   403 DBSS.1403  the token is not a valid API key                   (router.cc)
//   500 DBSS.1500  the store failed
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "collector/api/http_types.h"
#include "collector/store/event_store.h"

namespace dbaudit::collector::api {

inline constexpr size_t kDefaultSqlPageSize = 10;
inline constexpr size_t kMaxSqlPageSize = 10000;

struct SqlListRequest {
  store::SqlFilter filter;
  store::PageRequest page;
};

struct DbssParseError {
  std::string error_code;
  std::string error_msg;
};

// `now_us` anchors time_range.
std::variant<SqlListRequest, DbssParseError> ParseSqlListBody(std::string_view body, int64_t now_us);

HttpResponse ListSqls(const std::string& project_id, const std::string& instance_id, std::string_view body,
                      store::EventStore& store, int64_t now_us);

}  // namespace dbaudit::collector::api
