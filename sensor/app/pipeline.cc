#include "sensor/app/pipeline.h"

#include <mutex>

#include "common/time_util.h"
#include "sensor/sql/analyzer.h"

namespace dbaudit::sensor {
namespace {

// One per worker: dispatcher -> (SQL analysis) -> the shared sink.
class WorkerFactory : public StreamHandlerFactory {
 public:
  WorkerFactory(const PipelineOptions& options, RecordSink* shared_sink) {
    RecordSink* next = shared_sink;
    if (options.analyze_sql) {
      classify_ = std::make_unique<sql::ClassifyingSink>(shared_sink, options.sql_cache_entries);
      next = classify_.get();
    }
    protocols::DispatchOptions d;
    d.mysql_ports = options.mysql_ports;
    d.pg_ports = options.pg_ports;
    d.detect_by_content = options.detect_by_content;
    dispatcher_ = std::make_unique<protocols::ProtocolDispatcher>(d, next);
  }
  std::unique_ptr<StreamHandler> Create(const ConnectionInfo& info) override {
    return dispatcher_->Create(info);
  }

 private:
  std::unique_ptr<sql::ClassifyingSink> classify_;
  std::unique_ptr<protocols::ProtocolDispatcher> dispatcher_;
};

class CollectingSink : public RecordSink {
 public:
  void Emit(Record&& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    r.seq = records_.size() + 1;
    records_.push_back(std::move(r));
  }
  std::vector<Record> Take() { return std::move(records_); }

 private:
  std::mutex mu_;
  std::vector<Record> records_;
};

}  // namespace

Pipeline::Pipeline(PipelineOptions options) : options_(std::move(options)) {}
Pipeline::~Pipeline() = default;

absl::Status Pipeline::Open() {
  absl::StatusOr<std::unique_ptr<capture::PacketSource>> source;
  if (!options_.read_path.empty()) {
    // Offline files are read whole unless a filter was asked for: the content detection then
    // also sees databases on unconfigured ports.
    source = capture::PacketSource::OpenOffline(options_.read_path, options_.bpf_filter);
  } else {
    // With no --filter, the capture builds a port filter that fits the interface's link type
    // (VLAN/QinQ clauses on Ethernet; none on Linux cooked captures, which cannot express them).
    capture::LiveOptions live = options_.live;
    live.filter = options_.bpf_filter;
    live.filter_ports = options_.mysql_ports;
    live.filter_ports.insert(live.filter_ports.end(), options_.pg_ports.begin(), options_.pg_ports.end());
    source = capture::PacketSource::OpenLive(live);
  }
  if (!source.ok()) return source.status();
  source_ = std::move(source).value();
  stoppable_.store(source_.get());
  return absl::OkStatus();
}

absl::Status Pipeline::Run(RecordSink* sink) {
  if (!source_) return absl::FailedPreconditionError("pipeline not open");
  flow::EngineOptions engine = options_.engine;
  engine.workers = options_.workers;
  engine.server_ports = options_.mysql_ports;
  engine.server_ports.insert(engine.server_ports.end(), options_.pg_ports.begin(), options_.pg_ports.end());
  // A file can wait for the workers; a live capture must never block (full queues drop and count).
  engine.block_when_full = !options_.read_path.empty();
  flow::PacketEngine packets(engine, source_->linktype(), [&](int) -> std::unique_ptr<StreamHandlerFactory> {
    return std::make_unique<WorkerFactory>(options_, sink);
  });
  capture::Packet packet;
  absl::Status status = absl::OkStatus();
  for (;;) {
    const capture::NextStatus s = source_->Next(&packet);
    if (s == capture::NextStatus::kPacket) {
      packets.OnPacket(packet);
    } else if (s == capture::NextStatus::kTimeout) {
      // A quiet link: let idle timeouts fire and workers drain what they hold.
      packets.OnIdle(NowUs());
    } else {
      if (s == capture::NextStatus::kError) status = absl::DataLossError(source_->error());
      break;
    }
  }
  packets.Finish();
  sink->Flush();
  stats_.capture = source_->Stats();
  return status;
}

void Pipeline::Stop() {
  capture::PacketSource* s = stoppable_.load();
  if (s != nullptr) s->BreakLoop();
}

absl::StatusOr<std::vector<Record>> ReadCaptureRecords(const std::string& pcap_path,
                                                       const PipelineOptions& options) {
  PipelineOptions o = options;
  o.read_path = pcap_path;
  Pipeline pipeline(o);
  if (absl::Status s = pipeline.Open(); !s.ok()) return s;
  CollectingSink sink;
  if (absl::Status s = pipeline.Run(&sink); !s.ok()) return s;
  return sink.Take();
}

}  // namespace dbaudit::sensor
