// Every RocksDB key the collector writes, and only here (STYLE.md section 5).
//
//   records    primary key  = ts_us (u64 BE) | sensor_num (u32 BE) | seq (u64 BE)      20 bytes
//   events     event key    = primary key | ordinal (u8)                               21 bytes
//                             ordinal 0 is the event derived from the record itself;
//                             rules add 1..255 for the events they raise on it.
//   idx_*      index key    = field (u8) | varint32 len | value | ts_us (u64 BE) | target key
//                             (target = primary key in idx_records, event key in idx_events);
//                             the value of an index entry is empty.
//   meta       text keys, see event_store.cc.
//
// Big-endian integers make byte order equal time order, so a time range is one bounded scan.
// `sensor_num` is the collector's small number for a sensor id (kept in meta), which keeps keys
// and ids short; a resent record maps to the same key because ts, sensor and seq are the same.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dbaudit::collector::store {

inline constexpr size_t kPrimaryKeySize = 20;
inline constexpr size_t kEventKeySize = 21;

struct PrimaryKey {
  uint64_t ts_us = 0;
  uint32_t sensor_num = 0;
  uint64_t seq = 0;
  auto operator<=>(const PrimaryKey&) const = default;
};

struct EventKey {
  PrimaryKey record;
  uint8_t ordinal = 0;
  auto operator<=>(const EventKey&) const = default;
};

// Fields of the secondary indexes. The numbers are stored: never renumber.
enum class IndexField : uint8_t {
  // idx_records
  kAuditRow = 1,  // value "": the record is a row of audit/sqls (statement or login)
  kDbUser = 2,
  kClientIp = 3,
  kDbIp = 4,
  kClientName = 5,
  kQueryType = 6,
  kSqlResponse = 7,
  // idx_events
  kEventType = 20,
  kEventCategory = 21,  // "security" for "security.threat_detected": serves "security.*"
  kSeverity = 22,
  kUser = 23,
  kSourceIp = 24,
  kDatabaseId = 25,
};

void AppendBigEndian64(std::string* out, uint64_t v);
void AppendBigEndian32(std::string* out, uint32_t v);
uint64_t ReadBigEndian64(std::string_view in);  // PRE: in.size() >= 8
uint32_t ReadBigEndian32(std::string_view in);  // PRE: in.size() >= 4

std::string EncodePrimaryKey(const PrimaryKey& k);
std::optional<PrimaryKey> DecodePrimaryKey(std::string_view key);
std::string EncodeEventKey(const EventKey& k);
std::optional<EventKey> DecodeEventKey(std::string_view key);

// The full index key of one entry.
std::string EncodeIndexKey(IndexField field, std::string_view value, uint64_t ts_us,
                           std::string_view target_key);
// The prefix shared by all entries of (field, value) at time `ts_us` or later; used for scan bounds.
std::string EncodeIndexPrefix(IndexField field, std::string_view value, uint64_t ts_us);
// The key the index entry points at (the bytes after the time), or nullopt when malformed.
std::optional<std::string_view> IndexTarget(std::string_view index_key);

// Public ids: a prefix plus the key in an order-preserving base32 ("0-9a-v"), so ids sort like
// keys, i.e. by time. Event ids are "evt_" + 34 chars, audit row ids 32 chars.
std::string EventIdFromKey(const EventKey& k);
std::optional<EventKey> EventKeyFromId(std::string_view id);
std::string RecordIdFromKey(const PrimaryKey& k);
std::optional<PrimaryKey> RecordKeyFromId(std::string_view id);

}  // namespace dbaudit::collector::store
