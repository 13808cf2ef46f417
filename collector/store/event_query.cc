// The read side of EventStore: pick one index, scan it in time order within the time bounds,
// filter the rest, count the total and keep one page (STYLE.md section 5).
#include <algorithm>
#include <limits>

#include "collector/store/event_codec.h"
#include "collector/store/event_store.h"
#include "common/metrics.h"
#include "common/status.h"
#include "rocksdb/db.h"

namespace dbaudit::collector::store {

// One bounded scan of one column family: [lower, upper) in key order.
struct EventStore::Scan {
  ColumnFamily cf;
  std::string lower;
  std::string upper;
  bool is_index;  // keys are index keys; their target is the key to load
};

namespace {

constexpr uint64_t kMaxTs = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

Counter* CorruptEntries() {
  static Counter* c = MetricsRegistry::Default().GetCounter(
      "dbaudit_store_corrupt_entries_total", "Stored keys or values that could not be decoded");
  return c;
}

Counter* BudgetExhausted() {
  static Counter* c = MetricsRegistry::Default().GetCounter(
      "dbaudit_store_scan_budget_exhausted_total", "Queries whose scan stopped at the scan budget");
  return c;
}

// Inclusive filter times -> [lo, hi) over unsigned key time.
std::pair<uint64_t, uint64_t> TimeBounds(std::optional<int64_t> start, std::optional<int64_t> end) {
  const uint64_t lo = start ? static_cast<uint64_t>(std::max<int64_t>(*start, 0)) : 0;
  uint64_t hi = kMaxTs;
  if (end) hi = *end < 0 ? 0 : std::min(static_cast<uint64_t>(*end) + 1, kMaxTs);
  return {lo, std::max(lo, hi)};
}

bool EventMatches(const EventInfo& e, const EventFilter& f) {
  return EventTypeMatches(f.type, e.type) && (f.severity.empty() || e.severity == f.severity) &&
         (f.user.empty() || e.user == f.user) && (f.source_ip.empty() || e.source_ip == f.source_ip) &&
         (f.database_id.empty() || e.database_id == f.database_id);
}

bool SqlMatches(const dbaudit::v1::Record& r, const SqlFilter& f) {
  if (!IsAuditRow(r)) return false;
  if (!f.db_user.empty() && r.db_user() != f.db_user) return false;
  if (!f.client_ip.empty() && r.client_ip() != f.client_ip) return false;
  if (!f.db_ip.empty() && r.server_ip() != f.db_ip) return false;
  if (!f.client_name.empty() && r.client_name() != f.client_name) return false;
  if (!f.query_type.empty() && AuditQueryType(r) != NormalizeQueryType(f.query_type)) return false;
  if (!f.sql_response.empty() && AuditSqlResponse(r) != f.sql_response) return false;
  if (!f.sql_statement.empty() &&
      (!r.has_statement() || r.statement().sql_statement().find(f.sql_statement) == std::string::npos)) {
    return false;
  }
  // No rule has run on any row yet: every row has rule_name "" and risk_level "".
  return f.rule_name.empty() && f.risk_levels.empty();
}

}  // namespace

absl::Status EventStore::RunScan(
    const Scan& scan, const PageRequest& page,
    const std::function<absl::StatusOr<bool>(std::string_view, std::string_view)>& match,
    std::vector<std::string>* page_keys, uint64_t* total, bool* exact) {
  rocksdb::ReadOptions ro;
  const rocksdb::Slice lower(scan.lower), upper(scan.upper);
  ro.iterate_lower_bound = &lower;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, Cf(scan.cf)));
  const uint64_t skip = static_cast<uint64_t>(page.page - 1) * page.per_page;
  size_t visited = 0;
  *total = 0;
  *exact = true;
  for (page.newest_first ? it->SeekToLast() : it->SeekToFirst(); it->Valid();
       page.newest_first ? it->Prev() : it->Next()) {
    if (++visited > options_.scan_budget) {
      *exact = false;
      BudgetExhausted()->Add();
      break;
    }
    const std::string_view key(it->key().data(), it->key().size());
    std::optional<std::string_view> target = scan.is_index ? IndexTarget(key) : key;
    if (!target) {
      CorruptEntries()->Add();
      continue;
    }
    ASSIGN_OR_RETURN(const bool matched, match(*target, std::string_view(it->value().data(), it->value().size())));
    if (!matched) continue;
    if (*total >= skip && page_keys->size() < page.per_page) page_keys->emplace_back(*target);
    ++*total;
  }
  if (!it->status().ok()) return absl::InternalError("scan: " + it->status().ToString());
  return absl::OkStatus();
}

absl::StatusOr<dbaudit::v1::Record> EventStore::LoadRecord(std::string_view primary_key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Cf(ColumnFamily::kRecords),
                               rocksdb::Slice(primary_key.data(), primary_key.size()), &value);
  if (s.IsNotFound()) return absl::NotFoundError("record not found");
  if (!s.ok()) return absl::InternalError("read record: " + s.ToString());
  dbaudit::v1::Record record;
  if (!record.ParseFromString(value)) {
    CorruptEntries()->Add();
    return absl::DataLossError("corrupt stored record");
  }
  return record;
}

absl::StatusOr<StoredEvent> EventStore::LoadEvent(std::string_view event_key, std::string_view value) {
  std::string loaded;
  if (value.empty()) {
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Cf(ColumnFamily::kEvents),
                                 rocksdb::Slice(event_key.data(), event_key.size()), &loaded);
    if (s.IsNotFound()) return absl::NotFoundError("event not found");
    if (!s.ok()) return absl::InternalError("read event: " + s.ToString());
    value = loaded;
  }
  std::optional<EventKey> key = DecodeEventKey(event_key);
  std::optional<EventInfo> info = DecodeEventValue(value);
  if (!key || !info) {
    CorruptEntries()->Add();
    return absl::DataLossError("corrupt stored event");
  }
  StoredEvent event;
  event.id = EventIdFromKey(*key);
  event.key = *key;
  event.type = std::move(info->type);
  event.severity = std::move(info->severity);
  event.database_id = std::move(info->database_id);
  event.timestamp_us = static_cast<int64_t>(key->record.ts_us);
  event.processed_at_us = info->processed_at_us;
  event.record_id = RecordIdFromKey(key->record);
  ASSIGN_OR_RETURN(event.record, LoadRecord(event_key.substr(0, kPrimaryKeySize)));
  return event;
}

// Most selective index first, without statistics yet: an address or a user beats a type; no
// filter scans the events column family itself.
EventStore::Scan EventStore::PlanEventScan(const EventFilter& f) {
  const auto [lo, hi] = TimeBounds(f.start_us, f.end_us);
  auto index = [&, lo = lo, hi = hi](IndexField field, std::string_view v) {
    return Scan{ColumnFamily::kIdxEvents, EncodeIndexPrefix(field, v, lo), EncodeIndexPrefix(field, v, hi), true};
  };
  if (!f.source_ip.empty()) return index(IndexField::kSourceIp, f.source_ip);
  if (!f.user.empty()) return index(IndexField::kUser, f.user);
  if (!f.database_id.empty()) return index(IndexField::kDatabaseId, f.database_id);
  if (f.type.size() > 2 && f.type.substr(f.type.size() - 2) == ".*") {
    return index(IndexField::kEventCategory, std::string_view(f.type).substr(0, f.type.size() - 2));
  }
  if (!f.type.empty() && f.type != "*") return index(IndexField::kEventType, f.type);
  if (!f.severity.empty()) return index(IndexField::kSeverity, f.severity);
  return Scan{ColumnFamily::kEvents, EncodePrimaryKey({lo, 0, 0}), EncodePrimaryKey({hi, 0, 0}), false};
}

absl::StatusOr<EventPage> EventStore::ListEvents(const EventFilter& f, const PageRequest& page) {
  if (page.page < 1 || page.per_page < 1) return absl::InvalidArgumentError("page and per_page start at 1");
  const Scan scan = PlanEventScan(f);
  auto match = [&](std::string_view target, std::string_view value) -> absl::StatusOr<bool> {
    std::string loaded;
    if (scan.is_index) {
      rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Cf(ColumnFamily::kEvents),
                                   rocksdb::Slice(target.data(), target.size()), &loaded);
      if (s.IsNotFound()) return false;
      if (!s.ok()) return absl::InternalError("read event: " + s.ToString());
      value = loaded;
    }
    std::optional<EventInfo> info = DecodeEventValue(value);
    if (!info) CorruptEntries()->Add();
    return info && EventMatches(*info, f);
  };
  EventPage result;
  std::vector<std::string> keys;
  RETURN_IF_ERROR(RunScan(scan, page, match, &keys, &result.total, &result.total_exact));
  for (const std::string& key : keys) {
    ASSIGN_OR_RETURN(StoredEvent event, LoadEvent(key, ""));
    result.events.push_back(std::move(event));
  }
  return result;
}

absl::StatusOr<StoredEvent> EventStore::GetEvent(std::string_view id) {
  std::optional<EventKey> key = EventKeyFromId(id);
  if (!key) return absl::NotFoundError("no event with id " + std::string(id));
  absl::StatusOr<StoredEvent> event = LoadEvent(EncodeEventKey(*key), "");
  if (absl::IsNotFound(event.status())) return absl::NotFoundError("no event with id " + std::string(id));
  return event;
}

absl::StatusOr<SqlPage> EventStore::ListSqls(const SqlFilter& f, const PageRequest& page) {
  if (page.page < 1 || page.per_page < 1) return absl::InvalidArgumentError("page and size start at 1");
  const auto [lo, hi] = TimeBounds(f.start_us, f.end_us);
  const std::string query_type = NormalizeQueryType(f.query_type);
  std::pair<IndexField, std::string_view> plan{IndexField::kAuditRow, ""};
  const std::pair<IndexField, const std::string*> candidates[] = {
      {IndexField::kDbUser, &f.db_user},         {IndexField::kClientIp, &f.client_ip},
      {IndexField::kClientName, &f.client_name}, {IndexField::kDbIp, &f.db_ip},
      {IndexField::kQueryType, &query_type},     {IndexField::kSqlResponse, &f.sql_response}};
  for (const auto& [field, value] : candidates) {
    if (!value->empty()) {
      plan = {field, *value};
      break;
    }
  }
  const Scan scan{ColumnFamily::kIdxRecords, EncodeIndexPrefix(plan.first, plan.second, lo),
                  EncodeIndexPrefix(plan.first, plan.second, hi), true};
  auto match = [&](std::string_view target, std::string_view) -> absl::StatusOr<bool> {
    absl::StatusOr<dbaudit::v1::Record> record = LoadRecord(target);
    if (absl::IsNotFound(record.status()) || absl::IsDataLoss(record.status())) return false;
    if (!record.ok()) return record.status();
    return SqlMatches(*record, f);
  };
  SqlPage result;
  std::vector<std::string> keys;
  RETURN_IF_ERROR(RunScan(scan, page, match, &keys, &result.total, &result.total_exact));
  for (const std::string& key : keys) {
    StoredRecord row;
    std::optional<PrimaryKey> pk = DecodePrimaryKey(key);
    if (!pk) return absl::DataLossError("corrupt index target");
    row.key = *pk;
    row.id = RecordIdFromKey(row.key);
    ASSIGN_OR_RETURN(row.record, LoadRecord(key));
    result.rows.push_back(std::move(row));
  }
  return result;
}

}  // namespace dbaudit::collector::store
