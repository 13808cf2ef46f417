// Detection quality, measured on the lists in tests/testdata/sql (README.md there says where each
// list came from): benign workloads must raise no signal, classic payloads must be caught.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sensor/sql/analyzer.h"

namespace dbaudit::sensor::sql {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string DataPath(const std::string& name) {
  return std::string(DBAUDIT_SOURCE_DIR) + "/tests/testdata/sql/" + name;
}

struct BenignFile {
  const char* name;
  Dialect dialect;
  size_t min_statements;  // guards against a silently truncated list
};

class BenignTest : public testing::TestWithParam<BenignFile> {};

TEST_P(BenignTest, RaisesNoInjectionSignal) {
  const std::string text = ReadFile(DataPath(GetParam().name));
  ASSERT_FALSE(text.empty()) << "missing " << GetParam().name;
  Analyzer analyzer;
  size_t total = 0, flagged = 0, other = 0;
  for (std::string_view stmt : SplitStatements(GetParam().dialect, text)) {
    ++total;
    const Analysis a = analyzer.Analyze(GetParam().dialect, stmt);
    if (a.query_type == "OTHER") ++other;
    if (a.injection_score > 0) {
      ++flagged;
      ADD_FAILURE() << "false positive (" << a.injection_signals.front() << "): " << stmt;
    }
  }
  std::cout << GetParam().name << ": " << total << " statements, " << flagged
            << " flagged, " << other << " classified OTHER\n";
  EXPECT_GE(total, GetParam().min_statements);
  EXPECT_EQ(flagged, 0u);
}

INSTANTIATE_TEST_SUITE_P(Lists, BenignTest,
                         testing::Values(BenignFile{"benign_sysbench.sql", Dialect::kMysql, 70},
                                         BenignFile{"benign_pgbench.sql", Dialect::kPostgresql, 150},
                                         BenignFile{"benign_app_mysql.sql", Dialect::kMysql, 55},
                                         BenignFile{"benign_app_pg.sql", Dialect::kPostgresql, 50}),
                         [](const testing::TestParamInfo<BenignFile>& i) {
                           std::string n = i.param.name;
                           return n.substr(0, n.find('.'));
                         });

struct Payload {
  Dialect dialect;
  std::string sql;
};

std::vector<Payload> ReadPayloads(const std::string& name) {
  std::vector<Payload> out;
  std::istringstream in(ReadFile(DataPath(name)));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    const std::string dialect = line.substr(0, tab);
    out.push_back({dialect == "pg" ? Dialect::kPostgresql : Dialect::kMysql, line.substr(tab + 1)});
  }
  return out;
}

struct Family {
  const char* file;
  const char* signals;  // the family's own signal(s), '|'-separated; "" = no own-signal check
  size_t min_payloads;
};

class InjectionTest : public testing::TestWithParam<Family> {};

// Every payload must be caught (score > 0); at least 90% of a family must fire the family's own
// signal (a payload may legitimately be caught by a neighbour first, e.g. a UNION hidden in a
// version comment).
TEST_P(InjectionTest, PayloadsAreCaught) {
  const std::vector<Payload> payloads = ReadPayloads(GetParam().file);
  Analyzer analyzer;
  size_t caught = 0, own_signal = 0;
  for (const Payload& p : payloads) {
    const Analysis a = analyzer.Analyze(p.dialect, p.sql);
    if (a.injection_score > 0) {
      ++caught;
    } else {
      ADD_FAILURE() << "missed: " << p.sql;
    }
    const std::string own = std::string("|") + GetParam().signals + "|";
    bool has_own = false;
    for (const std::string& s : a.injection_signals) {
      has_own = has_own || own.find("|" + s + "|") != std::string::npos;
    }
    own_signal += has_own;
  }
  ASSERT_GE(payloads.size(), GetParam().min_payloads);
  const double rate = static_cast<double>(caught) / payloads.size();
  const double own_rate = static_cast<double>(own_signal) / payloads.size();
  std::cout << GetParam().file << ": " << payloads.size() << " payloads, caught " << caught
            << " (" << 100 * rate << "%), own signal '" << GetParam().signals << "' "
            << 100 * own_rate << "%\n";
  EXPECT_EQ(caught, payloads.size());
  if (*GetParam().signals != '\0') {
    EXPECT_GE(own_rate, 0.9);
  }
}

INSTANTIATE_TEST_SUITE_P(Families, InjectionTest,
                         testing::Values(Family{"injection_tautology.txt", "tautology", 25},
                                         Family{"injection_union.txt", "union_based", 20},
                                         Family{"injection_stacked.txt", "stacked_query", 15},
                                         Family{"injection_time.txt", "time_delay", 15},
                                         Family{"injection_error.txt", "error_based", 15},
                                         Family{"injection_encoded.txt", "encoded_payload|comment_obfuscation", 10},
                                         Family{"injection_blind.txt", "blind_extraction", 6},
                                         Family{"injection_misc.txt", "", 15}),
                         [](const testing::TestParamInfo<Family>& i) {
                           std::string n = i.param.file;
                           return n.substr(10, n.find('.') - 10);
                         });

TEST(InjectionTotalsTest, AtLeastOneHundredPayloads) {
  size_t total = 0;
  for (const char* f : {"injection_tautology.txt", "injection_union.txt", "injection_stacked.txt",
                        "injection_time.txt", "injection_error.txt", "injection_encoded.txt",
                        "injection_blind.txt", "injection_misc.txt"}) {
    total += ReadPayloads(f).size();
  }
  EXPECT_GE(total, 100u);
}

}  // namespace
}  // namespace dbaudit::sensor::sql

namespace dbaudit::sensor::sql {
namespace {

// The cache must never change a result: every statement of every list analysed by one shared,
// warm analyzer equals the analysis of an analyzer without cache.
TEST(CacheConsistencyTest, CachedResultsEqualFreshOnes) {
  std::vector<Payload> all;
  for (const char* f : {"injection_tautology.txt", "injection_union.txt", "injection_stacked.txt",
                        "injection_time.txt", "injection_error.txt", "injection_encoded.txt",
                        "injection_blind.txt", "injection_misc.txt"}) {
    for (Payload& p : ReadPayloads(f)) all.push_back(std::move(p));
  }
  for (const BenignFile& b : {BenignFile{"benign_sysbench.sql", Dialect::kMysql, 0},
                              BenignFile{"benign_pgbench.sql", Dialect::kPostgresql, 0},
                              BenignFile{"benign_app_mysql.sql", Dialect::kMysql, 0},
                              BenignFile{"benign_app_pg.sql", Dialect::kPostgresql, 0}}) {
    const std::string text = ReadFile(DataPath(b.name));
    for (std::string_view s : SplitStatements(b.dialect, text)) all.push_back({b.dialect, std::string(s)});
  }
  ASSERT_GT(all.size(), 400u);
  Analyzer shared(1 << 12);
  for (int round = 0; round < 2; ++round) {
    for (const Payload& p : all) {
      Analyzer fresh(0);
      const Analysis want = fresh.Analyze(p.dialect, p.sql);
      const Analysis got = shared.Analyze(p.dialect, p.sql);
      ASSERT_EQ(got.query_type, want.query_type) << p.sql;
      ASSERT_EQ(got.fingerprint, want.fingerprint) << p.sql;
      ASSERT_EQ(got.injection_signals, want.injection_signals) << p.sql;
      ASSERT_EQ(got.injection_score, want.injection_score) << p.sql;
      ASSERT_EQ(got.objects.size(), want.objects.size()) << p.sql;
      for (size_t k = 0; k < got.objects.size(); ++k) {
        ASSERT_EQ(got.objects[k].table_name, want.objects[k].table_name) << p.sql;
        ASSERT_EQ(got.objects[k].schema_name, want.objects[k].schema_name) << p.sql;
        ASSERT_EQ(got.objects[k].column_name, want.objects[k].column_name) << p.sql;
      }
    }
  }
}

}  // namespace
}  // namespace dbaudit::sensor::sql
