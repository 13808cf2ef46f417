// The sensor's front half: decode -> flow table -> TCP reassembly -> StreamHandler, spread over
// N worker threads by a symmetric flow hash (both directions of a connection land on one worker).
//
// With workers == 1 everything runs inline on the caller's thread (deterministic; tests use it).
// With workers > 1 the caller's thread only decodes and hands segments to bounded per-worker
// queues; it never blocks (unless EngineOptions::block_when_full): when a queue is full the
// packets are dropped and counted (dbaudit_flow_queue_dropped_packets_total), and reassembly
// turns the loss into gaps.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sensor/capture/packet_source.h"
#include "sensor/decode/decoder.h"
#include "sensor/flow/stream_handler.h"

namespace dbaudit::sensor::flow {

class BufferBudget;
class SessionIdGenerator;

struct EngineOptions {
  int workers = 1;
  // Server ports for role detection when the handshake was not captured.
  std::vector<uint16_t> server_ports;
  // Flows tracked at once, all workers together; past it the oldest idle flow is evicted. A
  // tracked flow costs about 0.9 KB plus its protocol handler and buffers, so the default
  // bounds the table near 250 MB.
  size_t max_flows = 1 << 18;
  uint64_t max_flow_buffer_bytes = 4 << 20;  // out-of-order bytes per flow direction
  // Reassembly bytes (out-of-order data and unacknowledged history), whole engine.
  uint64_t max_total_buffer_bytes = uint64_t{256} << 20;
  int64_t idle_timeout_us = int64_t{3600} * 1000000;
  int64_t closed_linger_us = int64_t{30} * 1000000;
  size_t queue_batches = 512;  // per worker; a batch holds up to 64 segments
  // Offline reads (--read) may set this: a full queue then makes OnPacket wait for the worker
  // instead of dropping, since nothing is lost by reading a file more slowly. Live capture must
  // leave it off so the capture never stalls behind a slow worker.
  bool block_when_full = false;
  uint64_t session_id_seed = 0;  // 0: a random seed per run
};

class PacketEngine {
 public:
  // make_factory(worker_index) is called once per worker, on the constructing thread, before any
  // packet. Each worker's handlers run on that worker's thread only.
  PacketEngine(const EngineOptions& options, int linktype,
               std::function<std::unique_ptr<StreamHandlerFactory>(int worker)> make_factory);
  ~PacketEngine();  // calls Finish() if it was not called
  PacketEngine(const PacketEngine&) = delete;
  PacketEngine& operator=(const PacketEngine&) = delete;

  // Decodes the frame and dispatches its TCP segment. Never blocks.
  void OnPacket(const capture::Packet& packet);
  // Call when live capture had no packet for a while (PacketSource::Next returned kTimeout),
  // with the wall clock: hands partly filled batches to the workers (with workers > 1 the last
  // packets before a quiet spell otherwise wait for more traffic) and lets idle timeouts fire.
  void OnIdle(int64_t now_us);
  // End of capture: delivers what is queued, flushes holes as gaps, closes every flow with
  // EndReason::kCaptureEnd and joins the workers. Later OnPacket calls are ignored.
  void Finish();

 private:
  class Worker;

  EngineOptions options_;
  decode::Decoder decoder_;
  std::unique_ptr<BufferBudget> budget_;
  std::unique_ptr<SessionIdGenerator> ids_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint32_t since_stale_check_ = 0;
  int64_t latest_ts_us_ = 0;  // newest packet time handed to the workers
  bool finished_ = false;
};

}  // namespace dbaudit::sensor::flow
