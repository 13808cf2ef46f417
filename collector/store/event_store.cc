#include "collector/store/event_store.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "collector/store/event_codec.h"
#include "common/metrics.h"
#include "common/status.h"
#include "common/time_util.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace dbaudit::collector::store {
namespace {

struct ColumnFamilyConfig {
  ColumnFamily id;
  const char* name;
  bool point_lookups;  // gets a bloom filter: records and events are read by key
};

// The config table for ColumnFamily (order = enum order).
constexpr std::array<ColumnFamilyConfig, kColumnFamilyCount> kColumnFamilies = {{
    {ColumnFamily::kDefault, "default", false},
    {ColumnFamily::kRecords, "records", true},
    {ColumnFamily::kEvents, "events", true},
    {ColumnFamily::kIdxRecords, "idx_records", false},
    {ColumnFamily::kIdxEvents, "idx_events", false},
    {ColumnFamily::kMeta, "meta", true},
}};

// meta keys
constexpr std::string_view kMetaSensorPrefix = "sensor/";  // + sensor id -> sensor_num (u32 BE)
constexpr std::string_view kMetaNextSensor = "sensor_next";  // -> next sensor_num (u32 BE)
constexpr std::string_view kMetaSeqPrefix = "seq/";  // + sensor_num (u32 BE) -> highest seq (u64 BE)
constexpr std::string_view kMetaSettingPrefix = "setting/";  // + name -> value

rocksdb::ColumnFamilyOptions CfOptions(const ColumnFamilyConfig& config) {
  rocksdb::ColumnFamilyOptions options;
  if (config.point_lookups) {
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  }
  return options;
}

absl::Status ToStatus(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  return absl::InternalError(msg);
}

std::string SeqKey(uint32_t sensor_num) {
  std::string key(kMetaSeqPrefix);
  AppendBigEndian32(&key, sensor_num);
  return key;
}

}  // namespace

struct EventStore::State {
  std::mutex write_mu;  // one writer at a time: the duplicate check and the write are one step
  std::mutex sensors_mu;
  std::map<std::string, uint32_t, std::less<>> sensors;  // cache of meta sensor/..., under sensors_mu
  Counter* written = MetricsRegistry::Default().GetCounter(
      "dbaudit_store_records_written_total", "Records written to the store");
  Counter* duplicates = MetricsRegistry::Default().GetCounter(
      "dbaudit_store_duplicate_records_total", "Resent records that were already stored");
};

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(const Options& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return absl::InvalidArgumentError("cannot create data dir " + options.path + ": " + ec.message());
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const ColumnFamilyConfig& config : kColumnFamilies) {
    descriptors.emplace_back(config.name, CfOptions(config));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  if (!s.ok()) return absl::UnavailableError("cannot open store at " + options.path + ": " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  return std::unique_ptr<EventStore>(new EventStore(options, std::move(db), std::move(handles)));
}

EventStore::EventStore(const Options& options, std::unique_ptr<rocksdb::DB> db,
                       std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : options_(options), db_(std::move(db)), handles_(std::move(handles)), state_(std::make_unique<State>()) {}

EventStore::~EventStore() {
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
}

absl::StatusOr<bool> EventStore::Exists(ColumnFamily cf, std::string_view key) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Cf(cf), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return false;
  RETURN_IF_ERROR(ToStatus(s, "read"));
  return true;
}

absl::StatusOr<uint32_t> EventStore::SensorNum(std::string_view sensor_id, bool create) {
  std::lock_guard<std::mutex> lock(state_->sensors_mu);
  if (auto it = state_->sensors.find(sensor_id); it != state_->sensors.end()) return it->second;
  const std::string key = std::string(kMetaSensorPrefix) + std::string(sensor_id);
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Cf(ColumnFamily::kMeta), key, &value);
  if (s.ok() && value.size() == 4) {
    const uint32_t num = ReadBigEndian32(value);
    state_->sensors.emplace(std::string(sensor_id), num);
    return num;
  }
  if (!s.ok() && !s.IsNotFound()) return ToStatus(s, "read sensor");
  if (!create) return absl::NotFoundError("unknown sensor");
  std::string next;
  s = db_->Get(rocksdb::ReadOptions(), Cf(ColumnFamily::kMeta), kMetaNextSensor, &next);
  if (!s.ok() && !s.IsNotFound()) return ToStatus(s, "read sensor counter");
  const uint32_t num = next.size() == 4 ? ReadBigEndian32(next) : 1;
  std::string num_bytes, next_bytes;
  AppendBigEndian32(&num_bytes, num);
  AppendBigEndian32(&next_bytes, num + 1);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(ToStatus(batch.Put(Cf(ColumnFamily::kMeta), key, num_bytes), "batch"));
  RETURN_IF_ERROR(ToStatus(batch.Put(Cf(ColumnFamily::kMeta), kMetaNextSensor, next_bytes), "batch"));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  RETURN_IF_ERROR(ToStatus(db_->Write(wo, &batch), "register sensor"));
  state_->sensors.emplace(std::string(sensor_id), num);
  return num;
}

namespace {

// Adds the record, its audit-row index entries and its event to `wb`.
absl::Status AddRecord(rocksdb::WriteBatch* wb, const std::array<rocksdb::ColumnFamilyHandle*, 4>& cf,
                       const PrimaryKey& pk, const dbaudit::v1::Record& record, int64_t now_us) {
  const std::string key = EncodePrimaryKey(pk);
  RETURN_IF_ERROR(ToStatus(wb->Put(cf[0], key, record.SerializeAsString()), "batch"));
  auto put_index = [&](rocksdb::ColumnFamilyHandle* h, IndexField f, std::string_view v,
                       const std::string& target) {
    return ToStatus(wb->Put(h, EncodeIndexKey(f, v, pk.ts_us, target), rocksdb::Slice()), "batch");
  };
  if (IsAuditRow(record)) {
    const std::pair<IndexField, std::string> entries[] = {
        {IndexField::kDbUser, record.db_user()},         {IndexField::kClientIp, record.client_ip()},
        {IndexField::kDbIp, record.server_ip()},         {IndexField::kClientName, record.client_name()},
        {IndexField::kQueryType, AuditQueryType(record)}, {IndexField::kSqlResponse, AuditSqlResponse(record)}};
    RETURN_IF_ERROR(put_index(cf[2], IndexField::kAuditRow, "", key));
    for (const auto& [field, value] : entries) {
      if (!value.empty()) RETURN_IF_ERROR(put_index(cf[2], field, value, key));
    }
  }
  std::optional<EventInfo> event = DeriveEvent(record, now_us);
  if (!event) return absl::OkStatus();
  const std::string event_key = EncodeEventKey(EventKey{pk, 0});
  RETURN_IF_ERROR(ToStatus(wb->Put(cf[1], event_key, EncodeEventValue(*event)), "batch"));
  const std::pair<IndexField, std::string> entries[] = {
      {IndexField::kEventType, event->type},
      {IndexField::kEventCategory, std::string(EventCategory(event->type))},
      {IndexField::kSeverity, event->severity},   {IndexField::kUser, event->user},
      {IndexField::kSourceIp, event->source_ip},  {IndexField::kDatabaseId, event->database_id}};
  for (const auto& [field, value] : entries) {
    if (!value.empty()) RETURN_IF_ERROR(put_index(cf[3], field, value, event_key));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<WriteResult> EventStore::Write(const dbaudit::v1::RecordBatch& batch) {
  if (batch.sensor_id().empty()) return absl::InvalidArgumentError("batch without sensor_id");
  std::lock_guard<std::mutex> lock(state_->write_mu);
  ASSIGN_OR_RETURN(const uint32_t sensor_num, SensorNum(batch.sensor_id(), true));
  const std::array<rocksdb::ColumnFamilyHandle*, 4> cf = {
      Cf(ColumnFamily::kRecords), Cf(ColumnFamily::kEvents), Cf(ColumnFamily::kIdxRecords),
      Cf(ColumnFamily::kIdxEvents)};
  rocksdb::WriteBatch wb;
  WriteResult result;
  std::set<std::string> in_batch;
  const int64_t now_us = NowUs();
  for (const dbaudit::v1::Record& r : batch.records()) {
    if (r.seq() == 0) return absl::InvalidArgumentError("record with seq 0");
    if (!r.sensor_id().empty() && r.sensor_id() != batch.sensor_id()) {
      return absl::InvalidArgumentError("record sensor_id differs from its batch");
    }
    const PrimaryKey pk{static_cast<uint64_t>(std::max<int64_t>(r.timestamp_us(), 0)), sensor_num, r.seq()};
    result.highest_seq = std::max(result.highest_seq, r.seq());
    const std::string key = EncodePrimaryKey(pk);
    ASSIGN_OR_RETURN(const bool stored, Exists(ColumnFamily::kRecords, key));
    if (stored || !in_batch.insert(key).second) {
      ++result.duplicates;
      continue;
    }
    if (r.sensor_id().empty()) {
      dbaudit::v1::Record copy = r;
      copy.set_sensor_id(batch.sensor_id());
      RETURN_IF_ERROR(AddRecord(&wb, cf, pk, copy, now_us));
    } else {
      RETURN_IF_ERROR(AddRecord(&wb, cf, pk, r, now_us));
    }
    ++result.written;
  }
  RETURN_IF_ERROR(AddHighestSeq(batch.sensor_id(), sensor_num, result.highest_seq, &wb));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  RETURN_IF_ERROR(ToStatus(db_->Write(wo, &wb), "write batch"));
  state_->written->Add(result.written);
  state_->duplicates->Add(result.duplicates);
  return result;
}

// PRE: write_mu held (read-modify-write of the sensor's highest seq).
absl::Status EventStore::AddHighestSeq(std::string_view sensor_id, uint32_t sensor_num, uint64_t seq,
                                       rocksdb::WriteBatch* wb) {
  ASSIGN_OR_RETURN(const uint64_t previous, HighestSeq(sensor_id));
  if (seq <= previous) return absl::OkStatus();
  std::string value;
  AppendBigEndian64(&value, seq);
  return ToStatus(wb->Put(Cf(ColumnFamily::kMeta), SeqKey(sensor_num), value), "batch");
}

absl::StatusOr<uint64_t> EventStore::HighestSeq(std::string_view sensor_id) {
  absl::StatusOr<uint32_t> num = SensorNum(sensor_id, false);
  if (absl::IsNotFound(num.status())) return 0;
  if (!num.ok()) return num.status();
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Cf(ColumnFamily::kMeta), SeqKey(*num), &value);
  if (s.IsNotFound()) return 0;
  RETURN_IF_ERROR(ToStatus(s, "read highest seq"));
  if (value.size() != 8) return absl::DataLossError("corrupt highest seq");
  return ReadBigEndian64(value);
}

absl::StatusOr<std::string> EventStore::GetSetting(std::string_view name) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Cf(ColumnFamily::kMeta),
                               std::string(kMetaSettingPrefix) + std::string(name), &value);
  RETURN_IF_ERROR(ToStatus(s, "setting " + std::string(name)));
  return value;
}

absl::Status EventStore::PutSetting(std::string_view name, std::string_view value) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return ToStatus(db_->Put(wo, Cf(ColumnFamily::kMeta), std::string(kMetaSettingPrefix) + std::string(name),
                           rocksdb::Slice(value.data(), value.size())),
                  "write setting");
}

}  // namespace dbaudit::collector::store
