// EventStore: the collector's storage facade over RocksDB (DESIGN.md "Collector data model",
// STYLE.md sections 4-5). It owns the DB and its column families; nothing else in the collector
// sees RocksDB. Every call is thread-safe.
//
// Data model: each ingested dbaudit.v1.Record is kept once under its primary key (keys.h).
// Statements and logins are rows of audit/sqls; statements, logins, connects and disconnects
// also give one event each (event_codec.h). Secondary indexes are written in the same
// WriteBatch as the record, so a reader never sees a record without its index entries.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collector/store/keys.h"
#include "dbaudit/v1/ingest.pb.h"
#include "dbaudit/v1/records.pb.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace dbaudit::collector::store {

// One enum, one config table (event_store.cc kColumnFamilies) naming every column family.
enum class ColumnFamily : uint8_t { kDefault, kRecords, kEvents, kIdxRecords, kIdxEvents, kMeta };
inline constexpr size_t kColumnFamilyCount = 6;

// An event with the record it was derived from.
struct StoredEvent {
  std::string id;  // "evt_..."
  EventKey key;
  std::string type;      // "database.query", ...
  std::string severity;  // "info", "warning", "critical"
  std::string database_id;
  int64_t timestamp_us = 0;
  int64_t processed_at_us = 0;
  std::string record_id;  // the audit row id of the record (RecordIdFromKey)
  dbaudit::v1::Record record;
};

// A stored record (audit/sqls row).
struct StoredRecord {
  std::string id;
  PrimaryKey key;
  dbaudit::v1::Record record;
};

// Filters of GET /v1/events. Empty strings match everything; times are inclusive.
struct EventFilter {
  std::optional<int64_t> start_us;
  std::optional<int64_t> end_us;
  std::string type;  // exact ("database.query"), category ("security.*") or "*"
  std::string severity;
  std::string user;
  std::string source_ip;
  std::string database_id;
};

// Filters of audit/sqls. Empty strings match everything; times are inclusive.
struct SqlFilter {
  std::optional<int64_t> start_us;
  std::optional<int64_t> end_us;
  std::string db_user;
  std::string client_ip;
  std::string db_ip;
  std::string client_name;
  std::string query_type;    // DBSS vocabulary with underscores ("CREATE_TABLE")
  std::string sql_response;  // "SUCCESS" or "FAILED"
  std::string sql_statement;  // substring, case-sensitive
  std::string rule_name;      // exact; no rules exist yet, so only "" rows match a non-empty one
  std::vector<std::string> risk_levels;  // any of; rows carry no risk level until rules exist
};

struct PageRequest {
  size_t page = 1;  // 1-based
  size_t per_page = 50;
  bool newest_first = true;
};

struct EventPage {
  std::vector<StoredEvent> events;
  uint64_t total = 0;
  bool total_exact = true;  // false when the scan budget ran out; total is then a lower bound
};

struct SqlPage {
  std::vector<StoredRecord> rows;
  uint64_t total = 0;
  bool total_exact = true;
};

struct WriteResult {
  uint64_t highest_seq = 0;  // highest seq of the batch now durable (written or already present)
  size_t written = 0;
  size_t duplicates = 0;
};

class EventStore {
 public:
  struct Options {
    std::string path;
    // Index entries one query may visit before it stops counting (bounds every scan).
    size_t scan_budget = 1'000'000;
    // fsync the WAL on every write (the ingest contract); tests may turn it off for speed.
    bool sync_writes = true;
  };

  static absl::StatusOr<std::unique_ptr<EventStore>> Open(const Options& options);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Durably writes a batch from one sensor. A record whose (timestamp, sensor, seq) is already
  // stored is counted as a duplicate and not written again. Records with seq 0 are rejected.
  absl::StatusOr<WriteResult> Write(const dbaudit::v1::RecordBatch& batch);

  // Highest seq ever stored for `sensor_id`; 0 when the sensor is unknown.
  absl::StatusOr<uint64_t> HighestSeq(std::string_view sensor_id);

  absl::StatusOr<EventPage> ListEvents(const EventFilter& filter, const PageRequest& page);
  // NotFound for an unknown or malformed id.
  absl::StatusOr<StoredEvent> GetEvent(std::string_view id);
  absl::StatusOr<SqlPage> ListSqls(const SqlFilter& filter, const PageRequest& page);

  // Small settings of the layers above (API key hashes, ...), kept in the meta column family
  // under a namespace of their own. GetSetting returns NotFound when absent.
  absl::StatusOr<std::string> GetSetting(std::string_view name);
  absl::Status PutSetting(std::string_view name, std::string_view value);

 private:
  struct Scan;
  EventStore(const Options& options, std::unique_ptr<rocksdb::DB> db,
             std::vector<rocksdb::ColumnFamilyHandle*> handles);
  rocksdb::ColumnFamilyHandle* Cf(ColumnFamily cf) const { return handles_[static_cast<size_t>(cf)]; }
  absl::StatusOr<uint32_t> SensorNum(std::string_view sensor_id, bool create);
  absl::StatusOr<bool> Exists(ColumnFamily cf, std::string_view key);
  absl::Status AddHighestSeq(std::string_view sensor_id, uint32_t sensor_num, uint64_t seq, rocksdb::WriteBatch* wb);
  // Visits the target keys of `scan` in order; `match` decides whether one counts.
  absl::Status RunScan(const Scan& scan, const PageRequest& page,
                       const std::function<absl::StatusOr<bool>(std::string_view target,
                                                                std::string_view value)>& match,
                       std::vector<std::string>* page_keys, uint64_t* total, bool* exact);
  static Scan PlanEventScan(const EventFilter& filter);
  absl::StatusOr<StoredEvent> LoadEvent(std::string_view event_key, std::string_view value);
  absl::StatusOr<dbaudit::v1::Record> LoadRecord(std::string_view primary_key);

  Options options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dbaudit::collector::store
