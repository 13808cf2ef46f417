#include "collector/api/sqls_handler.h"

#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "collector/api/render.h"
#include "collector/store/event_codec.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace dbaudit::collector::api {
namespace {

constexpr int64_t kMinuteUs = 60LL * 1000 * 1000;

struct TimeRange {
  std::string_view name;
  int64_t minutes;
};
constexpr TimeRange kTimeRanges[] = {{"HALF_HOUR", 30},       {"HOUR", 60},          {"THREE_HOUR", 180},
                                     {"TWELVE_HOUR", 720},    {"DAY", 1440},         {"WEEK", 7 * 1440},
                                     {"MONTH", 30 * 1440}};
constexpr std::string_view kRiskLevels[] = {"HIGH", "MEDIUM", "LOW", "NO_RISK"};
constexpr std::string_view kTopLevelFields[] = {
    "time",     "risk_levels", "client_ip", "client_name",   "db_ip",        "db_user", "query_type",
    "rule_name", "sql_statement", "sql_response", "page", "size", "time_order"};

using Json = rapidjson::Value;

struct Parser {
  SqlListRequest request;
  std::optional<DbssParseError> error;

  bool Fail(std::string code, std::string msg) {
    if (!error) error = DbssParseError{std::move(code), std::move(msg)};
    return false;
  }

  // A string or null member; false (and an error) for any other type.
  bool OptionalString(const Json& obj, const char* name, std::string* out) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd() || it->value.IsNull()) return true;
    if (!it->value.IsString()) return Fail("DBSS.1004", std::string(name) + " must be a string or null");
    out->assign(it->value.GetString(), it->value.GetStringLength());
    return true;
  }

  bool OptionalCount(const Json& obj, const char* name, size_t max, size_t* out) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd() || it->value.IsNull()) return true;
    if (!it->value.IsUint64()) return Fail("DBSS.1004", std::string(name) + " must be a non-negative integer or null");
    const uint64_t v = it->value.GetUint64();
    if (v < 1 || v > max) {
      return Fail("DBSS.1006", std::string(name) + " must be from 1 to " + std::to_string(max) + ", got " + std::to_string(v));
    }
    *out = static_cast<size_t>(v);
    return true;
  }

  bool ParseTime(const Json& body, int64_t now_us);
  bool ParseRiskLevels(const Json& body);
  bool ParseEnums(const Json& body);
  bool Parse(const Json& body, int64_t now_us);
};

bool Parser::ParseTime(const Json& body, int64_t now_us) {
  auto it = body.FindMember("time");
  if (it == body.MemberEnd() || it->value.IsNull()) return Fail("DBSS.1002", "time is required");
  const Json& t = it->value;
  if (!t.IsObject()) return Fail("DBSS.1002", "time must be an object");
  for (auto m = t.MemberBegin(); m != t.MemberEnd(); ++m) {
    const std::string_view n(m->name.GetString(), m->name.GetStringLength());
    if (n != "time_range" && n != "start_time" && n != "end_time") {
      return Fail("DBSS.1005", "unknown field time." + std::string(n));
    }
  }
  std::string range, start, end;
  if (!OptionalString(t, "time_range", &range) || !OptionalString(t, "start_time", &start) ||
      !OptionalString(t, "end_time", &end)) {
    return false;
  }
  if (!range.empty()) {  // time_range wins over start_time/end_time (NOTES.md)
    for (const TimeRange& r : kTimeRanges) {
      if (r.name == range) {
        request.filter.start_us = now_us - r.minutes * kMinuteUs;
        request.filter.end_us = now_us;
        return true;
      }
    }
    return Fail("DBSS.1002", "time.time_range must be HALF_HOUR, HOUR, THREE_HOUR, TWELVE_HOUR, DAY, WEEK or MONTH, got '" + range + "'");
  }
  if (start.empty() || end.empty()) {
    return Fail("DBSS.1002", "time needs time_range, or start_time and end_time together");
  }
  std::optional<int64_t> s = ParseSpaceTimestampUs(start), e = ParseSpaceTimestampUs(end);
  if (!s || !e) return Fail("DBSS.1002", "time.start_time and time.end_time must be yyyy-MM-dd HH:mm:ss (UTC)");
  if (*s > *e) return Fail("DBSS.1002", "time.start_time must not be after time.end_time");
  request.filter.start_us = *s;
  request.filter.end_us = *e + 999999;  // second precision: the end second is included
  return true;
}

bool Parser::ParseRiskLevels(const Json& body) {
  auto it = body.FindMember("risk_levels");
  if (it == body.MemberEnd() || it->value.IsNull()) return true;
  std::vector<std::string> levels;
  if (it->value.IsString()) {
    std::string_view all(it->value.GetString(), it->value.GetStringLength());
    while (!all.empty()) {
      const size_t comma = all.find(',');
      std::string_view one = all.substr(0, comma);
      while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
      while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
      if (!one.empty()) levels.emplace_back(one);
      all = comma == std::string_view::npos ? std::string_view() : all.substr(comma + 1);
    }
  } else if (it->value.IsArray()) {
    for (const Json& v : it->value.GetArray()) {
      if (!v.IsString()) return Fail("DBSS.1004", "risk_levels must hold strings");
      levels.emplace_back(v.GetString(), v.GetStringLength());
    }
  } else {
    return Fail("DBSS.1004", "risk_levels must be a string, an array of strings or null");
  }
  for (const std::string& level : levels) {
    bool known = false;
    for (std::string_view k : kRiskLevels) known = known || k == level;
    if (!known) return Fail("DBSS.1003", "risk_levels: '" + level + "' is not HIGH, MEDIUM, LOW or NO_RISK");
  }
  request.filter.risk_levels = std::move(levels);
  return true;
}

bool Parser::ParseEnums(const Json& body) {
  std::string query_type, response, order;
  if (!OptionalString(body, "query_type", &query_type) || !OptionalString(body, "sql_response", &response) ||
      !OptionalString(body, "time_order", &order)) {
    return false;
  }
  query_type = store::NormalizeQueryType(query_type);
  for (char c : query_type) {
    if (!((c >= 'A' && c <= 'Z') || c == '_')) {
      return Fail("DBSS.1003", "query_type must be a type such as SELECT or CREATE_TABLE, got '" + query_type + "'");
    }
  }
  if (query_type != "OPERATE_ALL") request.filter.query_type = query_type;
  if (!response.empty() && response != "SUCCESS" && response != "FAILED") {
    return Fail("DBSS.1003", "sql_response must be SUCCESS or FAILED, got '" + response + "'");
  }
  request.filter.sql_response = response;
  if (!order.empty() && order != "DESC" && order != "ASC") {
    return Fail("DBSS.1003", "time_order must be DESC or ASC, got '" + order + "'");
  }
  request.page.newest_first = order != "ASC";
  return true;
}

bool Parser::Parse(const Json& body, int64_t now_us) {
  for (auto m = body.MemberBegin(); m != body.MemberEnd(); ++m) {
    const std::string_view n(m->name.GetString(), m->name.GetStringLength());
    bool known = false;
    for (std::string_view k : kTopLevelFields) known = known || k == n;
    if (!known) return Fail("DBSS.1005", "unknown field " + std::string(n));
  }
  store::SqlFilter& f = request.filter;
  request.page = {1, kDefaultSqlPageSize, true};
  return ParseTime(body, now_us) && ParseRiskLevels(body) && ParseEnums(body) &&
         OptionalString(body, "client_ip", &f.client_ip) && OptionalString(body, "client_name", &f.client_name) &&
         OptionalString(body, "db_ip", &f.db_ip) && OptionalString(body, "db_user", &f.db_user) &&
         OptionalString(body, "rule_name", &f.rule_name) && OptionalString(body, "sql_statement", &f.sql_statement) &&
         OptionalCount(body, "page", 1'000'000, &request.page.page) &&
         OptionalCount(body, "size", kMaxSqlPageSize, &request.page.per_page);
}

bool ValidResourceId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::variant<SqlListRequest, DbssParseError> ParseSqlListBody(std::string_view body, int64_t now_us) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    return DbssParseError{"DBSS.1001", std::string("request body is not valid JSON: ") +
                                           rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                                           std::to_string(doc.GetErrorOffset())};
  }
  if (!doc.IsObject()) return DbssParseError{"DBSS.1001", "request body must be a JSON object"};
  Parser parser;
  if (!parser.Parse(doc, now_us)) return *parser.error;
  return std::move(parser.request);
}

HttpResponse ListSqls(const std::string& project_id, const std::string& instance_id, std::string_view body,
                      store::EventStore& store, int64_t now_us) {
  if (!ValidResourceId(project_id) || !ValidResourceId(instance_id)) {
    return DbssError(400, "DBSS.1007", "project_id and instance_id must be 1 to 64 letters, digits, '-' or '_'");
  }
  auto parsed = ParseSqlListBody(body, now_us);
  if (auto* error = std::get_if<DbssParseError>(&parsed)) return DbssError(400, error->error_code, error->error_msg);
  const SqlListRequest& request = std::get<SqlListRequest>(parsed);
  absl::StatusOr<store::SqlPage> page = store.ListSqls(request.filter, request.page);
  if (!page.ok()) return DbssError(500, "DBSS.1500", std::string(page.status().message()));
  HttpResponse response;
  JsonWriter w(&response.body);
  w.BeginObject().Field("total", page->total).Field("count", static_cast<uint64_t>(page->rows.size()));
  w.Key("sqls").BeginArray();
  for (const store::StoredRecord& row : page->rows) {
    w.BeginObject().Key("sql");
    WriteSqlRow(row, w);
    w.EndObject();
  }
  w.EndArray().EndObject();
  if (!page->total_exact) response.headers.emplace_back("X-Total-Is-Lower-Bound", "true");
  return response;
}

}  // namespace dbaudit::collector::api
