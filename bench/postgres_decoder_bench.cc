// PostgreSQL decoder throughput: statements decoded per second (one core), next to the raw cost
// of walking the same bytes.
//
//   DBAUDIT_BENCH_CAPTURE=/path/big.pcap [DBAUDIT_BENCH_PG_PORT=25432] postgres_decoder_bench
//
// With a capture (bench/make-large-capture.sh makes a pgbench one on port 25432) the PostgreSQL
// flows are reassembled once, outside the timed loop, into per-connection lists of chunks; each
// iteration replays them into fresh postgres::Session objects. Without one, a synthetic stream
// is built from the committed pgbench captures (simple, extended and prepared protocol): each
// capture's login is kept once and its query phase (the TPC-B transactions) is repeated
// kRepeats times, so the bytes are real pgbench bytes and the session stays in sync.
//   BM_PostgresRawWalk: reads every byte of every chunk (the floor)
//   BM_PostgresDecode:  postgres::Session over the same chunks; items = statement records,
//                       ratio_vs_raw = time per pass / the raw walk's
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "sensor/capture/packet_source.h"
#include "sensor/flow/packet_engine.h"
#include "sensor/protocols/postgres/session.h"

namespace dbaudit::sensor::postgres {
namespace {

constexpr int kRepeats = 400;

struct Chunk {
  Direction dir;
  int64_t ts_us;
  std::string bytes;  // empty with gap > 0: a gap
  uint64_t gap = 0;
};
struct Flow {
  ConnectionInfo info;
  std::vector<Chunk> chunks;
};

class RecordingHandler : public StreamHandler {
 public:
  explicit RecordingHandler(Flow* flow) : flow_(flow) {}
  void OnData(Direction dir, int64_t ts, absl::Span<const uint8_t> data) override {
    flow_->chunks.push_back({dir, ts, std::string(reinterpret_cast<const char*>(data.data()),
                                                  data.size())});
  }
  void OnGap(Direction dir, int64_t ts, uint64_t length) override {
    flow_->chunks.push_back({dir, ts, std::string(), length});
  }
  void OnClose(int64_t, const CloseInfo&) override {}

 private:
  Flow* flow_;
};

class RecordingFactory : public StreamHandlerFactory {
 public:
  RecordingFactory(std::vector<std::unique_ptr<Flow>>* flows, uint16_t port)
      : flows_(flows), port_(port) {}
  std::unique_ptr<StreamHandler> Create(const ConnectionInfo& info) override {
    if (info.server_port != port_) return nullptr;
    flows_->push_back(std::make_unique<Flow>());
    flows_->back()->info = info;
    return std::make_unique<RecordingHandler>(flows_->back().get());
  }

 private:
  std::vector<std::unique_ptr<Flow>>* flows_;
  uint16_t port_;
};

std::vector<std::unique_ptr<Flow>> ReadFlows(const std::string& path, uint16_t port) {
  std::vector<std::unique_ptr<Flow>> out;
  auto source = capture::PacketSource::OpenOffline(path, "");
  if (!source.ok()) return out;
  flow::EngineOptions options;
  options.server_ports = {port};
  flow::PacketEngine engine(options, (*source)->linktype(), [&](int) {
    return std::make_unique<RecordingFactory>(&out, port);
  });
  capture::Packet packet;
  while ((*source)->Next(&packet) == capture::NextStatus::kPacket) engine.OnPacket(packet);
  engine.Finish();
  return out;
}

bool EndsWithReadyForQuery(const std::string& b) {
  return b.size() >= 6 && b.compare(b.size() - 6, 5, std::string("Z\0\0\0\x05", 5)) == 0;
}

// Login once, then the query phase (after the first ReadyForQuery, before Terminate) repeated.
std::unique_ptr<Flow> Repeat(const Flow& real) {
  size_t body_begin = 0;
  while (body_begin < real.chunks.size() &&
         !(real.chunks[body_begin].dir == Direction::kServerToClient &&
           EndsWithReadyForQuery(real.chunks[body_begin].bytes))) {
    ++body_begin;
  }
  ++body_begin;
  size_t body_end = real.chunks.size();
  while (body_end > body_begin && (real.chunks[body_end - 1].dir == Direction::kClientToServer ||
                                   !EndsWithReadyForQuery(real.chunks[body_end - 1].bytes))) {
    --body_end;
  }
  auto flow = std::make_unique<Flow>();
  flow->info = real.info;
  flow->info.mid_stream = false;
  flow->chunks.assign(real.chunks.begin(), real.chunks.begin() + static_cast<long>(body_begin));
  for (int i = 0; i < kRepeats; ++i) {
    flow->chunks.insert(flow->chunks.end(), real.chunks.begin() + static_cast<long>(body_begin),
                        real.chunks.begin() + static_cast<long>(body_end));
  }
  return flow;
}

std::vector<std::unique_ptr<Flow>> SyntheticFlows() {
  std::vector<std::unique_ptr<Flow>> out;
  for (const char* mode : {"simple", "extended", "prepared"}) {
    const std::string dir =
        std::string(DBAUDIT_SOURCE_DIR "/tests/testdata/captures/postgres/pgbench_") + mode;
    std::ifstream port_file(dir + "/port.txt");
    int port = 0;
    port_file >> port;
    for (const auto& f : ReadFlows(dir + "/input.pcap", static_cast<uint16_t>(port))) {
      if (f->chunks.size() > 20) out.push_back(Repeat(*f));  // the pgbench connection
    }
  }
  return out;
}

const std::vector<std::unique_ptr<Flow>>& Flows() {
  static const auto* flows = [] {
    auto* out = new std::vector<std::unique_ptr<Flow>>();
    const char* path = std::getenv("DBAUDIT_BENCH_CAPTURE");
    if (path == nullptr || *path == '\0') {
      *out = SyntheticFlows();
      return out;
    }
    const char* port_env = std::getenv("DBAUDIT_BENCH_PG_PORT");
    *out = ReadFlows(path, static_cast<uint16_t>(port_env != nullptr ? std::atoi(port_env) : 25432));
    return out;
  }();
  return *flows;
}

class CountingSink : public RecordSink {
 public:
  void Emit(Record&& r) override {
    if (r.kind == RecordKind::kStatement) ++statements;
    benchmark::DoNotOptimize(r.sql_statement.data());
  }
  uint64_t statements = 0;
};

double g_raw_seconds_per_pass = 0;

void BM_PostgresRawWalk(benchmark::State& state) {
  const auto& flows = Flows();
  uint64_t bytes = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const auto& f : flows) {
      for (const Chunk& c : f->chunks) {
        for (const char ch : c.bytes) sum += static_cast<uint8_t>(ch);
        bytes += c.bytes.size();
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  g_raw_seconds_per_pass =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
      static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["flows"] = static_cast<double>(flows.size());
}

void BM_PostgresDecode(benchmark::State& state) {
  const auto& flows = Flows();
  uint64_t bytes = 0;
  uint64_t statements = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    CountingSink sink;
    for (const auto& f : flows) {
      Session session(f->info, &sink);
      for (const Chunk& c : f->chunks) {
        if (c.gap > 0) {
          session.OnGap(c.dir, c.ts_us, c.gap);
        } else {
          session.OnData(c.dir, c.ts_us,
                         absl::Span<const uint8_t>(
                             reinterpret_cast<const uint8_t*>(c.bytes.data()), c.bytes.size()));
        }
        bytes += c.bytes.size();
      }
      session.OnClose(0, CloseInfo{});
    }
    statements += sink.statements;
  }
  const double seconds_per_pass =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
      static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(statements));
  state.counters["statements_per_s"] =
      benchmark::Counter(static_cast<double>(statements), benchmark::Counter::kIsRate);
  if (g_raw_seconds_per_pass > 0) {
    state.counters["ratio_vs_raw"] = seconds_per_pass / g_raw_seconds_per_pass;
  }
}

BENCHMARK(BM_PostgresRawWalk)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PostgresDecode)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dbaudit::sensor::postgres

BENCHMARK_MAIN();
