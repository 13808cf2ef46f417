// Raw libpcap read vs the sensor's capture front half (decode + flow table + reassembly with
// handlers that discard what they get), on the same capture file.
//
//   DBAUDIT_BENCH_CAPTURE=/path/big.pcap capture_bench [--benchmark_filter=...]
//
// Without DBAUDIT_BENCH_CAPTURE the link-type test capture is used (tiny: a smoke run only; make
// a real one with bench/make-large-capture.sh). Each benchmark reads the whole file per
// iteration and reports bytes/s, packets/s, and the process's peak RSS; the engine benchmarks
// also report `ratio_vs_raw` (their time per pass over the raw loop's, when both ran).
#include <pcap/pcap.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "sensor/capture/packet_source.h"
#include "sensor/flow/packet_engine.h"

namespace dbaudit::sensor::flow {
namespace {

std::string CapturePath() {
  const char* path = std::getenv("DBAUDIT_BENCH_CAPTURE");
  if (path != nullptr && *path != '\0') return path;
  return DBAUDIT_SOURCE_DIR "/tests/testdata/captures/linktypes/ethernet.pcap";
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Wall time of one raw pass, set by BM_RawPcapRead (registered, and so run, first).
double g_raw_seconds_per_pass = 0;

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// (a) The floor: pcap_next_ex over the file and nothing else.
void BM_RawPcapRead(benchmark::State& state) {
  const std::string path = CapturePath();
  uint64_t packets = 0, bytes = 0;
  double seconds = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    // Opened exactly as PacketSource::OpenOffline opens files (1 MiB stdio buffer), so the
    // ratio measures decode + flow + reassembly and not a difference in file reading.
    char errbuf[PCAP_ERRBUF_SIZE];
    FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
      state.SkipWithError("cannot open the capture");
      return;
    }
    std::setvbuf(file, nullptr, _IOFBF, 1 << 20);
    pcap_t* p = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (p == nullptr) {
      std::fclose(file);
      state.SkipWithError(errbuf);
      return;
    }
    pcap_pkthdr* header;
    const u_char* data;
    while (pcap_next_ex(p, &header, &data) == 1) {
      ++packets;
      bytes += header->caplen;
      benchmark::DoNotOptimize(data);
    }
    pcap_close(p);
    seconds += Seconds(start);
  }
  g_raw_seconds_per_pass = seconds / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  state.counters["peak_rss_mb"] = PeakRssMb();
}

class NullHandler : public StreamHandler {
 public:
  void OnData(Direction, int64_t, absl::Span<const uint8_t> data) override {
    benchmark::DoNotOptimize(data.data());
  }
  void OnGap(Direction, int64_t, uint64_t) override {}
  void OnClose(int64_t, const CloseInfo&) override {}
};

class NullFactory : public StreamHandlerFactory {
 public:
  std::unique_ptr<StreamHandler> Create(const ConnectionInfo&) override {
    return std::make_unique<NullHandler>();
  }
};

// (b) The sensor's front half through the production read loop (PacketSource::Next).
void BM_EngineReassemblyOnly(benchmark::State& state) {
  const std::string path = CapturePath();
  uint64_t packets = 0, bytes = 0;
  double seconds = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    auto source = capture::PacketSource::OpenOffline(path, "");
    if (!source.ok()) {
      state.SkipWithError(std::string(source.status().message()).c_str());
      return;
    }
    EngineOptions options;
    options.workers = static_cast<int>(state.range(0));
    PacketEngine engine(options, (*source)->linktype(),
                        [](int) { return std::make_unique<NullFactory>(); });
    capture::Packet packet;
    while ((*source)->Next(&packet) == capture::NextStatus::kPacket) {
      engine.OnPacket(packet);
      ++packets;
      bytes += packet.caplen;
    }
    engine.Finish();
    seconds += Seconds(start);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  state.counters["peak_rss_mb"] = PeakRssMb();
  if (g_raw_seconds_per_pass > 0) {
    state.counters["ratio_vs_raw"] =
        seconds / static_cast<double>(state.iterations()) / g_raw_seconds_per_pass;
  }
}

BENCHMARK(BM_RawPcapRead)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(BM_EngineReassemblyOnly)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("workers")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

}  // namespace
}  // namespace dbaudit::sensor::flow

BENCHMARK_MAIN();
