#include "sensor/flow/packet_engine.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "absl/hash/hash.h"
#include "sensor/flow/flow_counters.h"
#include "sensor/flow/flow_table.h"
#include "sensor/flow/tcp_reassembler.h"

namespace dbaudit::sensor::flow {
namespace {

constexpr size_t kBatchSegments = 64;
constexpr size_t kBatchBytes = 256 << 10;
// A partly filled batch is handed over once its first packet is this old (capture time), so a
// quiet live link does not hold packets back for long even without OnIdle.
constexpr int64_t kBatchMaxAgeUs = 20000;
// Every this many packets the capture thread also hands over other workers' stale batches.
constexpr uint32_t kStaleCheckInterval = 256;
// How far (capture time) a worker's clock may lag the capture's before it gets a tick.
constexpr int64_t kTickIntervalUs = 1000000;

// Segments copied out of libpcap's buffer for a worker; payload pointers are rebuilt from
// `offsets` on the worker.
struct Batch {
  std::vector<decode::TcpSegment> segments;
  std::vector<size_t> offsets;
  std::vector<uint8_t> bytes;
  int64_t tick_us = 0;  // when set, the worker advances its clock to it after the segments
  void Clear() {
    segments.clear();
    offsets.clear();
    bytes.clear();
    tick_us = 0;
  }
};

}  // namespace

class PacketEngine::Worker {
 public:
  Worker(const FlowTableOptions& options, std::unique_ptr<StreamHandlerFactory> factory,
         BufferBudget* budget, SessionIdGenerator* ids, size_t queue_batches,
         bool block_when_full)
      : factory_(std::move(factory)),
        table_(options, factory_.get(), budget, ids),
        queue_batches_(queue_batches),
        block_when_full_(block_when_full) {}

  // Inline mode (one worker): the caller's thread does everything.
  void Process(const decode::TcpSegment& seg) { table_.OnSegment(seg); }
  void AdvanceInline(int64_t now_us) { table_.Advance(now_us); }
  void FinishInline() { table_.CloseAll(EndReason::kCaptureEnd); }

  void StartThread() { thread_ = std::thread([this] { Run(); }); }

  // Producer side (capture thread only).
  void Enqueue(const decode::TcpSegment& seg) {
    if (!filling_) filling_ = TakeFreeBatch();
    Batch& b = *filling_;
    if (b.segments.empty()) first_ts_us_ = seg.ts_us;
    b.offsets.push_back(b.bytes.size());
    b.bytes.insert(b.bytes.end(), seg.payload, seg.payload + seg.payload_len);
    b.segments.push_back(seg);
    if (b.segments.size() >= kBatchSegments || b.bytes.size() >= kBatchBytes ||
        seg.ts_us - first_ts_us_ >= kBatchMaxAgeUs) {
      Push();
    }
  }

  // Hands over a partly filled batch whose first packet is older than kBatchMaxAgeUs at `now_us`
  // (another worker's traffic keeps the clock moving while this one's flow went quiet).
  // Also keeps the worker's clock within kTickIntervalUs of the capture's, so its idle timeouts
  // fire even when none of its own flows has traffic.
  void FlushIfStale(int64_t now_us) {
    if (filling_ && !filling_->segments.empty() && now_us - first_ts_us_ >= kBatchMaxAgeUs) {
      Push();
    } else if (now_us - last_tick_us_ >= kTickIntervalUs) {
      Tick(now_us);
    }
  }

  void Tick(int64_t now_us) {
    if (!filling_) filling_ = TakeFreeBatch();
    filling_->tick_us = now_us;
    last_tick_us_ = now_us;
    Push();
  }

  void FinishThread() {
    if (filling_ && !filling_->segments.empty()) Push();
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::unique_ptr<Batch> TakeFreeBatch() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return std::make_unique<Batch>();
    std::unique_ptr<Batch> b = std::move(free_.back());
    free_.pop_back();
    return b;
  }

  void Push() {
    std::unique_ptr<Batch> b = std::move(filling_);
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (block_when_full_) {
        space_cv_.wait(lock, [this] { return queue_.size() < queue_batches_; });
      }
      if (queue_.size() < queue_batches_) {
        queue_.push_back(std::move(b));
      } else {
        GetFlowCounters().queue_dropped_packets->Add(b->segments.size());
        b->Clear();
        free_.push_back(std::move(b));
      }
    }
    cv_.notify_one();
  }

  void Run() {
    for (;;) {
      std::unique_ptr<Batch> b;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return done_ || !queue_.empty(); });
        if (queue_.empty()) break;  // done and drained
        b = std::move(queue_.front());
        queue_.pop_front();
      }
      space_cv_.notify_one();
      for (size_t i = 0; i < b->segments.size(); ++i) {
        decode::TcpSegment& seg = b->segments[i];
        seg.payload = b->bytes.data() + b->offsets[i];
        table_.OnSegment(seg);
      }
      if (b->tick_us != 0) table_.Advance(b->tick_us);
      b->Clear();
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(std::move(b));
    }
    table_.CloseAll(EndReason::kCaptureEnd);
  }

  std::unique_ptr<StreamHandlerFactory> factory_;
  FlowTable table_;
  size_t queue_batches_;
  bool block_when_full_;
  std::unique_ptr<Batch> filling_;
  int64_t first_ts_us_ = 0;
  int64_t last_tick_us_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;        // the worker waits for batches
  std::condition_variable space_cv_;  // the producer waits for room (block_when_full_ only)
  std::deque<std::unique_ptr<Batch>> queue_;
  std::vector<std::unique_ptr<Batch>> free_;
  bool done_ = false;
};

PacketEngine::PacketEngine(
    const EngineOptions& options, int linktype,
    std::function<std::unique_ptr<StreamHandlerFactory>(int worker)> make_factory)
    : options_(options), decoder_(linktype) {
  if (options_.workers < 1) options_.workers = 1;
  uint64_t seed = options_.session_id_seed;
  if (seed == 0) {
    std::random_device rd;
    seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }
  budget_ = std::make_unique<BufferBudget>(options_.max_total_buffer_bytes);
  ids_ = std::make_unique<SessionIdGenerator>(seed);
  FlowTableOptions table_options;
  table_options.server_ports = options_.server_ports;
  table_options.max_flows =
      std::max<size_t>(1, options_.max_flows / static_cast<size_t>(options_.workers));
  table_options.max_flow_buffer_bytes = options_.max_flow_buffer_bytes;
  table_options.idle_timeout_us = options_.idle_timeout_us;
  table_options.closed_linger_us = options_.closed_linger_us;
  for (int i = 0; i < options_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(table_options, make_factory(i), budget_.get(),
                                                ids_.get(), options_.queue_batches,
                                                options_.block_when_full));
  }
  if (options_.workers > 1) {
    for (auto& w : workers_) w->StartThread();
  }
}

PacketEngine::~PacketEngine() { Finish(); }

void PacketEngine::OnPacket(const capture::Packet& packet) {
  if (finished_) return;
  decode::TcpSegment seg;
  if (decoder_.Decode(packet, &seg) != decode::DecodeStatus::kTcp) return;
  if (workers_.size() == 1) {
    workers_[0]->Process(seg);
    return;
  }
  // Symmetric: both directions of a connection hash to the same worker.
  absl::Hash<Endpoint> hash;
  size_t h = hash(Endpoint{seg.src, seg.src_port}) + hash(Endpoint{seg.dst, seg.dst_port});
  workers_[h % workers_.size()]->Enqueue(seg);
  latest_ts_us_ = std::max(latest_ts_us_, seg.ts_us);
  if (++since_stale_check_ >= kStaleCheckInterval) {
    since_stale_check_ = 0;
    for (auto& w : workers_) w->FlushIfStale(latest_ts_us_);
  }
}

void PacketEngine::OnIdle(int64_t now_us) {
  if (finished_) return;
  if (workers_.size() == 1) {
    workers_[0]->AdvanceInline(now_us);
    return;
  }
  for (auto& w : workers_) w->Tick(now_us);
}

void PacketEngine::Finish() {
  if (finished_) return;
  finished_ = true;
  if (workers_.size() == 1) {
    workers_[0]->FinishInline();
    return;
  }
  for (auto& w : workers_) {
    // Bring every worker's clock to the end of the capture first, so flows that went idle
    // before it end the way they would with a single worker.
    if (latest_ts_us_ != 0) w->Tick(latest_ts_us_);
    w->FinishThread();
  }
}

}  // namespace dbaudit::sensor::flow
