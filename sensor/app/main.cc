// dbaudit-sensor: capture -> decode -> reassemble -> protocols -> SQL analysis -> JSON Lines
// and/or the collector.
#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "sensor/app/options.h"
#include "sensor/app/pipeline.h"
#include "sensor/record/jsonl_writer.h"
#include "sensor/ship/grpc_ship_sink.h"

namespace dbaudit::sensor {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

Pipeline* g_pipeline = nullptr;

extern "C" void HandleStopSignal(int) {
  if (g_pipeline != nullptr) g_pipeline->Stop();
}

// Hands every record to several sinks in the same order, so each assigns the same seq.
class TeeSink : public RecordSink {
 public:
  explicit TeeSink(std::vector<RecordSink*> sinks) : sinks_(std::move(sinks)) {}
  void Emit(Record&& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i + 1 < sinks_.size(); ++i) {
      Record copy = r;
      sinks_[i]->Emit(std::move(copy));
    }
    sinks_.back()->Emit(std::move(r));
  }
  void Flush() override {
    for (RecordSink* s : sinks_) s->Flush();
  }

 private:
  std::mutex mu_;
  std::vector<RecordSink*> sinks_;
};

void PrintSummary(const Pipeline& pipeline, bool all_metrics) {
  const capture::CaptureStats& c = pipeline.stats().capture;
  std::fprintf(stderr,
               "dbaudit-sensor: %llu packets, %llu bytes; kernel received %llu, dropped %llu, "
               "interface dropped %llu%s\n",
               static_cast<unsigned long long>(c.packets), static_cast<unsigned long long>(c.bytes),
               static_cast<unsigned long long>(c.kernel_received),
               static_cast<unsigned long long>(c.kernel_dropped),
               static_cast<unsigned long long>(c.interface_dropped),
               c.truncated ? "; capture file truncated (records up to the cut were kept)" : "");
  if (all_metrics) {
    std::fputs(MetricsRegistry::Default().PrometheusText().c_str(), stderr);
  } else {
    // Every non-zero drop/error counter, so loss is never silent.
    MetricsRegistry::Default().ForEach([](const std::string& name, int64_t v) {
      const bool loss = name.find("drop") != std::string::npos || name.find("error") != std::string::npos ||
                        name.find("gap") != std::string::npos || name.find("desync") != std::string::npos ||
                        name.find("malformed") != std::string::npos || name.find("evict") != std::string::npos;
      if (loss && v != 0) std::fprintf(stderr, "dbaudit-sensor: %s %lld\n", name.c_str(), static_cast<long long>(v));
    });
  }
}

int Run(const SensorOptions& options) {
  Pipeline pipeline(options.pipeline);
  if (absl::Status s = pipeline.Open(); !s.ok()) {
    std::fprintf(stderr, "dbaudit-sensor: %s\n", std::string(s.message()).c_str());
    return kExitFailure;
  }
  if (!options.pipeline.live.interface.empty()) {
    // Tools that drive traffic (tests, scripts) wait for this line before they start.
    std::fprintf(stderr, "dbaudit-sensor: listening on %s\n", options.pipeline.live.interface.c_str());
  }
  std::FILE* out = stdout;
  if (!options.output_path.empty()) {
    out = std::fopen(options.output_path.c_str(), "w");
    if (out == nullptr) {
      std::fprintf(stderr, "dbaudit-sensor: cannot write %s\n", options.output_path.c_str());
      return kExitFailure;
    }
  }
  std::vector<RecordSink*> sinks;
  std::unique_ptr<JsonlSink> jsonl;
  std::unique_ptr<ship::GrpcShipSink> shipper;
  if (options.emit == EmitMode::kJsonl) {
    jsonl = std::make_unique<JsonlSink>(options.sensor_id, out);
    sinks.push_back(jsonl.get());
  }
  if (!options.collector.empty()) {
    ship::ShipOptions so;
    so.collector = options.collector;
    so.sensor_id = options.sensor_id;
    shipper = std::make_unique<ship::GrpcShipSink>(so);
    sinks.push_back(shipper.get());
  }
  TeeSink tee(sinks);
  RecordSink* sink = sinks.size() == 1 ? sinks[0] : &tee;

  g_pipeline = &pipeline;
  std::signal(SIGINT, HandleStopSignal);
  std::signal(SIGTERM, HandleStopSignal);
  absl::Status status = pipeline.Run(sink);
  g_pipeline = nullptr;

  int rc = kExitOk;
  if (!status.ok()) {
    std::fprintf(stderr, "dbaudit-sensor: %s\n", std::string(status.message()).c_str());
    rc = kExitFailure;
  }
  if (shipper) {
    if (absl::Status s = shipper->Finish(); !s.ok()) {
      std::fprintf(stderr, "dbaudit-sensor: collector: %s\n", std::string(s.message()).c_str());
      rc = kExitFailure;
    }
  }
  if (jsonl) jsonl->Flush();
  if (out != stdout) std::fclose(out);
  PrintSummary(pipeline, options.print_metrics);
  return rc;
}

}  // namespace
}  // namespace dbaudit::sensor

int main(int argc, char** argv) {
  using namespace dbaudit::sensor;
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<SensorOptions> options = ParseSensorOptions(args);
  if (!options.ok()) {
    std::fprintf(stderr, "dbaudit-sensor: %s\nTry 'dbaudit-sensor --help'.\n",
                 std::string(options.status().message()).c_str());
    return kExitUsage;
  }
  if (options->help) {
    std::fputs(SensorUsage(), stdout);
    return kExitOk;
  }
  if (options->version) {
    std::puts("dbaudit-sensor " DBAUDIT_VERSION);
    return kExitOk;
  }
  return Run(*options);
}
