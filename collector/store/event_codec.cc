#include "collector/store/event_codec.h"

#include <array>
#include <cstdio>

#include "collector/store/keys.h"

namespace dbaudit::collector::store {
namespace {

constexpr uint8_t kEventValueVersion = 1;

struct TypeSeverity {
  std::string_view type;
  std::string_view severity;
};

// The Events API's event type table.
constexpr std::array<TypeSeverity, 12> kEventTypes = {{
    {"database.query", "info"},
    {"database.connection", "info"},
    {"database.disconnect", "info"},
    {"security.threat_detected", "critical"},
    {"security.anomaly", "warning"},
    {"security.privilege_escalation", "critical"},
    {"policy.violation", "warning"},
    {"policy.match", "info"},
    {"data.sensitive_access", "warning"},
    {"data.export", "warning"},
    {"user.login_failed", "warning"},
    {"user.login_success", "info"},
}};

void AppendLengthPrefixed(std::string* out, std::string_view s) {
  uint32_t v = static_cast<uint32_t>(s.size());
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
  out->append(s);
}

// Reads one length-prefixed string from the front of *in; false when truncated.
bool ReadLengthPrefixed(std::string_view* in, std::string* out) {
  uint32_t len = 0;
  size_t i = 0;
  for (;; ++i) {
    if (i >= in->size() || i >= 5) return false;
    const auto b = static_cast<unsigned char>((*in)[i]);
    len |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) break;
  }
  in->remove_prefix(i + 1);
  if (in->size() < len) return false;
  out->assign(in->substr(0, len));
  in->remove_prefix(len);
  return true;
}

std::string_view EventTypeOf(const dbaudit::v1::Record& r) {
  switch (r.kind_case()) {
    case dbaudit::v1::Record::kStatement: return "database.query";
    case dbaudit::v1::Record::kLogin: return r.login().success() ? "user.login_success" : "user.login_failed";
    case dbaudit::v1::Record::kConnect: return "database.connection";
    case dbaudit::v1::Record::kDisconnect: return "database.disconnect";
    default: return "";
  }
}

}  // namespace

std::optional<EventInfo> DeriveEvent(const dbaudit::v1::Record& record, int64_t processed_at_us) {
  const std::string_view type = EventTypeOf(record);
  if (type.empty()) return std::nullopt;
  EventInfo info;
  info.type = std::string(type);
  info.severity = std::string(SeverityOfType(type));
  info.processed_at_us = processed_at_us;
  info.user = record.db_user();
  info.source_ip = record.client_ip();
  info.database_id = DatabaseIdFor(record.server_ip(), record.server_port());
  return info;
}

std::string_view SeverityOfType(std::string_view type) {
  for (const TypeSeverity& t : kEventTypes) {
    if (t.type == type) return t.severity;
  }
  return "info";
}

bool IsKnownEventType(std::string_view type) {
  for (const TypeSeverity& t : kEventTypes) {
    if (t.type == type) return true;
  }
  return false;
}

std::string_view EventCategory(std::string_view type) {
  const size_t dot = type.find('.');
  return dot == std::string_view::npos ? type : type.substr(0, dot);
}

bool EventTypeMatches(std::string_view pattern, std::string_view type) {
  if (pattern.empty() || pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*") {
    return EventCategory(type) == pattern.substr(0, pattern.size() - 2) && type.find('.') != std::string_view::npos;
  }
  return pattern == type;
}

std::string EncodeEventValue(const EventInfo& info) {
  std::string out;
  out.push_back(static_cast<char>(kEventValueVersion));
  AppendBigEndian64(&out, static_cast<uint64_t>(info.processed_at_us));
  AppendLengthPrefixed(&out, info.type);
  AppendLengthPrefixed(&out, info.severity);
  AppendLengthPrefixed(&out, info.user);
  AppendLengthPrefixed(&out, info.source_ip);
  AppendLengthPrefixed(&out, info.database_id);
  return out;
}

std::optional<EventInfo> DecodeEventValue(std::string_view value) {
  if (value.size() < 9 || static_cast<uint8_t>(value[0]) != kEventValueVersion) return std::nullopt;
  EventInfo info;
  info.processed_at_us = static_cast<int64_t>(ReadBigEndian64(value.substr(1)));
  value.remove_prefix(9);
  if (!ReadLengthPrefixed(&value, &info.type) || !ReadLengthPrefixed(&value, &info.severity) ||
      !ReadLengthPrefixed(&value, &info.user) || !ReadLengthPrefixed(&value, &info.source_ip) ||
      !ReadLengthPrefixed(&value, &info.database_id)) {
    return std::nullopt;
  }
  return info;
}

std::string DatabaseIdFor(std::string_view server_ip, uint32_t server_port) {
  const std::string address = std::string(server_ip) + ":" + std::to_string(server_port);
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : address) {
    hash ^= c;
    hash *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  char hex[16];
  std::snprintf(hex, sizeof(hex), "%012llx", static_cast<unsigned long long>(hash >> 16));
  return std::string("db_") + hex;
}

bool IsAuditRow(const dbaudit::v1::Record& record) {
  return record.has_statement() || record.has_login();
}

std::string AuditQueryType(const dbaudit::v1::Record& record) {
  if (record.has_login()) return "LOGIN";
  const std::string& t = record.statement().query_type();
  return t.empty() ? std::string("OTHER") : NormalizeQueryType(t);
}

std::string AuditSqlResponse(const dbaudit::v1::Record& record) {
  if (record.has_login()) return record.login().success() ? "SUCCESS" : "FAILED";
  switch (record.statement().sql_response()) {
    case dbaudit::v1::SQL_RESPONSE_SUCCESS: return "SUCCESS";
    case dbaudit::v1::SQL_RESPONSE_FAILED: return "FAILED";
    default: return "UNKNOWN";
  }
}

std::string NormalizeQueryType(std::string_view query_type) {
  std::string out;
  out.reserve(query_type.size());
  for (char c : query_type) {
    if (c == ' ') {
      out.push_back('_');
    } else if (c >= 'a' && c <= 'z') {
      out.push_back(static_cast<char>(c - 'a' + 'A'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace dbaudit::collector::store
