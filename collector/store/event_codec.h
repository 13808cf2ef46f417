// How records become audit rows and events, and how an event is stored (the value in the
// events column family). Pure functions, no RocksDB.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dbaudit/v1/records.pb.h"

namespace dbaudit::collector::store {

// What the events column family keeps per event. The fields a list filter needs are kept here
// so that filtering never loads the record.
//   value = version (u8, 1) | processed_at_us (u64 BE) | lp type | lp severity | lp user
//           | lp source_ip | lp database_id            (lp = varint32 length + bytes)
struct EventInfo {
  std::string type;
  std::string severity;
  int64_t processed_at_us = 0;
  std::string user;
  std::string source_ip;
  std::string database_id;
};

// The event a record gives, or nullopt (encrypted and gap records give none):
// statement -> database.query, login -> user.login_success / user.login_failed,
// connect -> database.connection, disconnect -> database.disconnect.
std::optional<EventInfo> DeriveEvent(const dbaudit::v1::Record& record, int64_t processed_at_us);

// Severity of an event type per the Events API table; "info" for unknown types.
std::string_view SeverityOfType(std::string_view type);
// True for the event types the Events API documents.
bool IsKnownEventType(std::string_view type);
// "*" matches all, "security.*" a category, anything else exactly.
bool EventTypeMatches(std::string_view pattern, std::string_view type);
// "security" for "security.threat_detected"; the whole type when it has no dot.
std::string_view EventCategory(std::string_view type);

std::string EncodeEventValue(const EventInfo& info);
std::optional<EventInfo> DecodeEventValue(std::string_view value);

// Stable id of a monitored database from its server address: "db_" + 12 hex digits of the
// FNV-1a 64 hash of "ip:port". The inventory (later) may map it to a name.
std::string DatabaseIdFor(std::string_view server_ip, uint32_t server_port);

// Statements and logins are the rows of audit/sqls.
bool IsAuditRow(const dbaudit::v1::Record& record);
// The row's query_type: "LOGIN" for logins, the statement's type, "OTHER" when unknown.
std::string AuditQueryType(const dbaudit::v1::Record& record);
// "SUCCESS", "FAILED" or "UNKNOWN" (response never seen).
std::string AuditSqlResponse(const dbaudit::v1::Record& record);
// Upper-case, spaces to underscores: "create table" -> "CREATE_TABLE".
std::string NormalizeQueryType(std::string_view query_type);

}  // namespace dbaudit::collector::store
