// Statements/s per core for sensor/sql on the sysbench + pgbench statement mix.
//   BM_AnalyzeWarm   the mix replayed with a cache that holds every shape (the steady state of
//                    an application: a hit costs one lexing pass + one hash lookup)
//   BM_AnalyzeCold   every statement a new shape (a table name made unique per call) with the
//                    cache disabled: lexing + fingerprint + classifier + injection heuristics
//   BM_ClassifyingSink  warm path through ClassifyingSink into a null sink (record copies included)
//   BM_PgQueryParse  libpg_query's parse of the pgbench statements, for comparison
// Targets: >= 1M statements/s warm, >= 100k/s cold (report items_per_second).
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "sensor/sql/analyzer.h"
#include "sensor/sql/pg_parse.h"

namespace sql = dbaudit::sensor::sql;

namespace {

struct Stmt {
  sql::Dialect dialect;
  std::string text;
};

std::vector<Stmt> LoadFile(const char* name, sql::Dialect d) {
  std::ifstream in(std::string(DBAUDIT_SOURCE_DIR) + "/tests/testdata/sql/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<Stmt> out;
  for (std::string_view s : sql::SplitStatements(d, text)) {
    if (s.substr(0, 2) == "--") continue;  // the file header comment
    out.push_back({d, std::string(s)});
  }
  return out;
}

const std::vector<Stmt>& Mix() {
  static const std::vector<Stmt> mix = [] {
    std::vector<Stmt> m = LoadFile("benign_sysbench.sql", sql::Dialect::kMysql);
    for (Stmt& s : LoadFile("benign_pgbench.sql", sql::Dialect::kPostgresql)) m.push_back(s);
    return m;
  }();
  return mix;
}

void BM_AnalyzeWarm(benchmark::State& state) {
  const std::vector<Stmt>& mix = Mix();
  sql::Analyzer analyzer(1 << 16);
  size_t i = 0;
  for (auto _ : state) {
    const Stmt& s = mix[i++ % mix.size()];
    sql::LexOptions o;
    o.dialect = s.dialect;
    benchmark::DoNotOptimize(analyzer.AnalyzeCached(o, s.text).fingerprint_id);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AnalyzeWarm);

void BM_AnalyzeCold(benchmark::State& state) {
  // Each statement gets a unique table suffix so no two calls share a shape.
  std::vector<Stmt> mix = Mix();
  sql::Analyzer analyzer(0);
  size_t i = 0;
  std::string buf;
  for (auto _ : state) {
    const Stmt& s = mix[i % mix.size()];
    buf = s.text;
    const size_t at = buf.find("bench_");
    const size_t sb = at == std::string::npos ? buf.find("sbtest") : at;
    buf.insert(sb == std::string::npos ? buf.size() : sb, "t" + std::to_string(i) + "_");
    ++i;
    sql::LexOptions o;
    o.dialect = s.dialect;
    benchmark::DoNotOptimize(analyzer.AnalyzeCached(o, buf).fingerprint_id);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AnalyzeCold);

class NullSink : public dbaudit::sensor::RecordSink {
 public:
  void Emit(dbaudit::sensor::Record&& r) override { benchmark::DoNotOptimize(r.fingerprint_id); }
};

void BM_ClassifyingSink(benchmark::State& state) {
  const std::vector<Stmt>& mix = Mix();
  NullSink null;
  sql::ClassifyingSink sink(&null);
  size_t i = 0;
  for (auto _ : state) {
    const Stmt& s = mix[i++ % mix.size()];
    dbaudit::sensor::Record r;
    r.session.protocol = s.dialect == sql::Dialect::kPostgresql ? dbaudit::sensor::Protocol::kPostgresql
                                                                 : dbaudit::sensor::Protocol::kMysql;
    r.sql_statement = s.text;
    sink.Emit(std::move(r));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClassifyingSink);

void BM_PgQueryParse(benchmark::State& state) {
  if (!sql::PgParserAvailable()) {
    state.SkipWithError("built without libpg_query");
    return;
  }
  std::vector<Stmt> pg = LoadFile("benign_pgbench.sql", sql::Dialect::kPostgresql);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sql::PgParse(pg[i++ % pg.size()].text).ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PgQueryParse);

void BM_AnalyzeColdPgbenchOnly(benchmark::State& state) {
  std::vector<Stmt> pg = LoadFile("benign_pgbench.sql", sql::Dialect::kPostgresql);
  sql::Analyzer analyzer(0);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(analyzer.Analyze(sql::Dialect::kPostgresql, pg[i++ % pg.size()].text));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AnalyzeColdPgbenchOnly);

}  // namespace

BENCHMARK_MAIN();
