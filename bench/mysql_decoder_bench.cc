// MySQL decoder throughput: statements decoded per second (one core), next to the raw cost of
// walking the same bytes.
//
//   DBAUDIT_BENCH_CAPTURE=/path/big.pcap [DBAUDIT_BENCH_MYSQL_PORT=23306] mysql_decoder_bench
//
// With a capture (bench/make-large-capture.sh makes a sysbench one; its MariaDB port is 23306)
// the MySQL flows are reassembled once, outside the timed loop, into per-connection lists of
// chunks; each iteration replays them into fresh mysql::Session objects. Without one, a
// synthetic connection is built from bytes captured from MariaDB (sensor/protocols/mysql/
// test_data.h): a login, then text queries with result sets, errors and prepared executions.
//   BM_MysqlRawWalk:  reads every byte of every chunk (the floor)
//   BM_MysqlDecode:   mysql::Session over the same chunks; items = statement records,
//                     ratio_vs_raw = time per pass / the raw walk's
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "sensor/capture/packet_source.h"
#include "sensor/flow/packet_engine.h"
#include "common/metrics.h"
#include "sensor/protocols/mysql/session.h"
#include "sensor/protocols/mysql/test_data.h"

namespace dbaudit::sensor::mysql {
namespace {

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

std::vector<std::unique_ptr<Flow>> SyntheticFlows() {
  auto flow = std::make_unique<Flow>();
  flow->info.session_id = "s-bench";
  flow->info.server_port = 3306;
  int64_t ts = 1;
  auto add = [&](Direction dir, std::string_view bytes) {
    flow->chunks.push_back({dir, ++ts, std::string(bytes)});
  };
  constexpr auto kC = Direction::kClientToServer;
  constexpr auto kS = Direction::kServerToClient;
  add(kS, testdata::kGreeting);
  add(kC, testdata::kHandshakeResponse);
  add(kS, testdata::kLoginOk);
  add(kC, testdata::kPrepareSelect);
  add(kS, testdata::kPrepareSelectOk);
  for (int i = 0; i < 20000; ++i) {
    add(kC, testdata::kQueryCount);
    add(kS, testdata::kCountResultSet);
    add(kC, testdata::kExecuteCursor);
    add(kS, testdata::kExecuteCursorResponse);
    add(kC, testdata::kFetchTwo);
    add(kS, testdata::kFetchTwoRows);
  }
  std::vector<std::unique_ptr<Flow>> flows;
  flows.push_back(std::move(flow));
  return flows;
}

const std::vector<std::unique_ptr<Flow>>& Flows() {
  static const auto* flows = [] {
    auto* out = new std::vector<std::unique_ptr<Flow>>();
    const char* path = std::getenv("DBAUDIT_BENCH_CAPTURE");
    if (path == nullptr || *path == '\0') {
      *out = SyntheticFlows();
      return out;
    }
    const char* port_env = std::getenv("DBAUDIT_BENCH_MYSQL_PORT");
    const uint16_t port = static_cast<uint16_t>(port_env != nullptr ? std::atoi(port_env) : 3306);
    auto source = capture::PacketSource::OpenOffline(path, "");
    if (!source.ok()) return out;
    flow::EngineOptions options;
    options.server_ports = {port};
    flow::PacketEngine engine(options, (*source)->linktype(), [&](int) {
      return std::make_unique<RecordingFactory>(out, port);
    });
    capture::Packet packet;
    while ((*source)->Next(&packet) == capture::NextStatus::kPacket) engine.OnPacket(packet);
    engine.Finish();
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

void BM_MysqlRawWalk(benchmark::State& state) {
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

void BM_MysqlDecode(benchmark::State& state) {
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
  // Decoding health over all passes: these should stay 0 on a clean capture.
  MetricsRegistry::Default().ForEach([&](const std::string& name, int64_t value) {
    for (const char* n : {"dbaudit_mysql_desync_total", "dbaudit_mysql_unexpected_responses_total",
                          "dbaudit_mysql_parse_errors_total", "dbaudit_mysql_unknown_statement_total",
                          "dbaudit_mysql_unknown_outcome_total", "dbaudit_mysql_statements_total"}) {
      if (name == n) state.counters[name.substr(14)] = static_cast<double>(value);
    }
  });
}

BENCHMARK(BM_MysqlRawWalk)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MysqlDecode)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dbaudit::sensor::mysql

BENCHMARK_MAIN();
