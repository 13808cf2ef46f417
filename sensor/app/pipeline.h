// The sensor's whole pipeline: capture -> decode -> flow/reassembly -> protocol dispatch ->
// SQL analysis -> a RecordSink. Live and offline captures run the same code.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sensor/capture/packet_source.h"
#include "sensor/flow/packet_engine.h"
#include "sensor/protocols/dispatcher.h"
#include "sensor/record/record.h"
#include "sensor/record/record_sink.h"

namespace dbaudit::sensor {

struct PipelineOptions {
  std::string read_path;          // offline capture (pcap or pcapng); empty for live
  capture::LiveOptions live;      // used when read_path is empty; live.interface must be set
  std::string bpf_filter;         // empty: live captures filter on the database ports, files are read whole
  std::vector<uint16_t> mysql_ports{3306};
  std::vector<uint16_t> pg_ports{5432};
  bool detect_by_content = true;  // also parse database traffic found on other ports
  bool analyze_sql = true;        // run sensor/sql on statements
  size_t sql_cache_entries = 65536;
  int workers = 1;
  flow::EngineOptions engine;     // caps and timeouts; workers/server_ports are set from above
};

struct PipelineStats {
  capture::CaptureStats capture;
};

class Pipeline {
 public:
  explicit Pipeline(PipelineOptions options);
  ~Pipeline();

  // Opens the capture. Errors: NotFound / InvalidArgument / PermissionDenied with a clear message.
  absl::Status Open();
  // Runs until the capture ends or Stop() is called, then flushes every flow (capture_end) and
  // the sink. PRE: Open() succeeded; `sink` is thread-safe when workers > 1.
  absl::Status Run(RecordSink* sink);
  // Async-signal-safe: makes Run() return after the current packet.
  void Stop();

  const PipelineStats& stats() const { return stats_; }

 private:
  PipelineOptions options_;
  std::unique_ptr<capture::PacketSource> source_;
  std::atomic<capture::PacketSource*> stoppable_{nullptr};
  PipelineStats stats_;
};

// Runs an offline capture through the whole pipeline and returns its records in emission order,
// with seq assigned from 1. For tests and tools.
absl::StatusOr<std::vector<Record>> ReadCaptureRecords(const std::string& pcap_path,
                                                       const PipelineOptions& options = {});

}  // namespace dbaudit::sensor
