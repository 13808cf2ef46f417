// Conformance against Zeek: every trace in corpus/zeek/traces/postgresql/ goes through the whole
// sensor pipeline and the PostgreSQL records are compared with the postgresql.log Zeek wrote for
// it (the baseline of the Zeek test that reads that trace). Zeek's semantics (corpus README):
// one row per frontend message; `rows` is the number of DataRow messages; it does not log the
// extended protocol.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sensor/app/pipeline.h"

namespace dbaudit::sensor::postgres {
namespace {

namespace fs = std::filesystem;

const std::string kZeek = DBAUDIT_SHARED_DIR "/corpus/zeek";

struct ZeekRow {
  std::map<std::string, std::string> f;
  const std::string& operator[](const std::string& k) const {
    static const std::string kMissing = "-";
    auto it = f.find(k);
    return it == f.end() ? kMissing : it->second;
  }
};

// Zeek escapes bytes as \xHH in logs.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() + 0 && s[i + 1] == 'x') {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 2, 2), nullptr, 16)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, '\t')) out.push_back(cell);
  return out;
}

// Reads a postgresql.log or a zeek-cut of it (header either "#fields\t..." or a plain line
// starting with "ts\t").
std::vector<ZeekRow> ReadZeekLog(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> header;
  std::vector<ZeekRow> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("#fields\t", 0) == 0) {
      header = SplitTabs(line.substr(8));
    } else if (line.rfind("ts\t", 0) == 0) {
      header = SplitTabs(line);
    } else if (!line.empty() && line[0] != '#' && !header.empty()) {
      auto cells = SplitTabs(line);
      ZeekRow r;
      for (size_t i = 0; i < cells.size() && i < header.size(); ++i) r.f[header[i]] = cells[i];
      rows.push_back(r);
    }
  }
  return rows;
}

// Which trace each Zeek test reads (tests/postgresql/<name>.zeek, "-r ${TRACES}/postgresql/X").
std::map<std::string, std::string> TraceOfTest() {
  std::map<std::string, std::string> out;
  const std::regex re(R"(\$\{TRACES\}/postgresql/([A-Za-z0-9_.-]+\.pcap))");
  for (const auto& e : fs::directory_iterator(kZeek + "/tests/postgresql")) {
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    std::smatch m;
    if (std::regex_search(text, m, re)) out[e.path().stem().string()] = m[1];
  }
  return out;
}

std::string NormalizeSql(std::string s) {
  while (!s.empty() && (s.back() == ';' || isspace(static_cast<unsigned char>(s.back())))) {
    s.pop_back();
  }
  return s;
}

std::vector<Record> RunTrace(const std::string& trace) {
  PipelineOptions options;
  options.analyze_sql = false;
  auto records = ReadCaptureRecords(kZeek + "/traces/postgresql/" + trace, options);
  EXPECT_TRUE(records.ok()) << trace << ": " << records.status();
  std::vector<Record> pg;
  if (!records.ok()) return pg;
  for (Record& r : *records) {
    if (r.session.protocol == Protocol::kPostgresql) pg.push_back(std::move(r));
  }
  return pg;
}

class ZeekPostgresCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kZeek + "/traces/postgresql")) {
      GTEST_SKIP() << "Zeek corpus not found at " << kZeek << " (../shared/corpus is absent)";
    }
  }
};

// Compares one session's records with Zeek's rows for the same client port.
// Returns how many statements and logins were compared.
int CompareSession(const std::string& what, const std::vector<ZeekRow>& zeek,
                   const std::vector<const Record*>& ours) {
  int compared = 0;
  std::vector<const Record*> logins, statements, encrypted;
  for (const Record* r : ours) {
    if (r->kind == RecordKind::kLogin) logins.push_back(r);
    if (r->kind == RecordKind::kStatement) statements.push_back(r);
    if (r->kind == RecordKind::kEncrypted) encrypted.push_back(r);
  }
  size_t next_statement = 0;
  bool want_login = false, want_encrypted = false;
  for (const ZeekRow& z : zeek) {
    const std::string& fe = z["frontend"];
    if (fe == "ssl_request" && z["backend_arg"] == "S") want_encrypted = true;
    if (fe == "startup" && z["success"] != "-") {
      want_login = true;
      ++compared;
      EXPECT_EQ(logins.size(), 1u) << what;
      if (logins.size() != 1) return compared;
      EXPECT_EQ(logins[0]->success, z["success"] == "T") << what;
      EXPECT_EQ(logins[0]->session.db_user, z["user"]) << what;
      EXPECT_EQ(logins[0]->session.database, z["database"]) << what;
      if (z["application_name"] != "-") {
        EXPECT_EQ(logins[0]->session.client_name, z["application_name"]) << what;
      }
      std::smatch m;
      const std::string backend_arg = z["backend_arg"];
      if (std::regex_search(backend_arg, m, std::regex("Code=([0-9A-Z]{5})"))) {
        EXPECT_EQ(logins[0]->error_code, m[1].str()) << what;
      }
      if (backend_arg.find("MD5Password") != std::string::npos) {
        EXPECT_EQ(logins[0]->auth_method, "md5") << what;
      }
      if (backend_arg.find("SASL") != std::string::npos) {
        EXPECT_EQ(logins[0]->auth_method, "scram-sha-256") << what;
      }
    }
    if (fe != "simple_query") continue;
    EXPECT_LT(next_statement, statements.size()) << what << ": missing " << z["frontend_arg"];
    if (next_statement >= statements.size()) return compared;
    const Record& r = *statements[next_statement++];
    ++compared;
    EXPECT_EQ(r.sql_statement, NormalizeSql(Unescape(z["frontend_arg"]))) << what;
    EXPECT_EQ(r.command, "simple_query") << what;
    const bool ok = z["success"] == "T";
    EXPECT_EQ(r.sql_response, ok ? SqlResponse::kSuccess : SqlResponse::kFailed)
        << what << ": " << r.sql_statement;
    if (z["rows"] != "-") {
      EXPECT_EQ(r.returned_rows.value_or(0), std::stoull(z["rows"])) << what << ": " << r.sql_statement;
    }
    if (!ok) {
      std::smatch m;
      const std::string backend_arg = z["backend_arg"];
      EXPECT_TRUE(std::regex_search(backend_arg, m, std::regex("Code=([0-9A-Z]{5})")));
      if (!m.empty()) {
        EXPECT_EQ(r.error_code, m[1].str()) << what;
      }
    }
  }
  EXPECT_EQ(next_statement, statements.size()) << what << ": statements Zeek did not see";
  if (!want_login) {
    EXPECT_TRUE(logins.empty()) << what << ": a login record Zeek has no verdict for";
  }
  EXPECT_EQ(encrypted.size(), want_encrypted ? 1u : 0u) << what;
  return compared + static_cast<int>(encrypted.size());
}

TEST_F(ZeekPostgresCorpusTest, EveryTraceWithABaselineMatchesZeek) {
  int compared = 0;
  int checks = 0;
  for (const auto& [test, trace] : TraceOfTest()) {
    const fs::path dir = kZeek + "/baselines/scripts.base.protocols.postgresql." + test;
    fs::path log = dir / "postgresql.cut";
    if (!fs::exists(log)) log = dir / "postgresql.log";
    if (!fs::exists(log)) continue;
    SCOPED_TRACE(test + " / " + trace);
    const std::vector<ZeekRow> zeek = ReadZeekLog(log);
    const std::vector<Record> ours = RunTrace(trace);
    std::map<std::string, std::vector<ZeekRow>> zeek_by_port;
    for (const ZeekRow& z : zeek) zeek_by_port[z["id.orig_p"]].push_back(z);
    std::map<std::string, std::vector<const Record*>> ours_by_port;
    for (const Record& r : ours) ours_by_port[std::to_string(r.session.client_port)].push_back(&r);
    for (const auto& [port, rows] : zeek_by_port) {
      checks += CompareSession(test + " port " + port, rows, ours_by_port[port]);
    }
    ++compared;
  }
  EXPECT_GE(compared, 10);
  // greenhouse-app alone has 84 queries and 2 logins.
  EXPECT_GE(checks, 110);
}

// Zeek's baselines for these show no postgresql.log: no PostgreSQL record may come out.
TEST_F(ZeekPostgresCorpusTest, OtherProtocolsOnPort5432GiveNoPostgresRecords) {
  for (const char* trace : {"mysql-on-port-5432.pcap", "http-on-port-5432.pcap"}) {
    EXPECT_TRUE(RunTrace(trace).empty()) << trace;
  }
}

// Malformed lengths: no crash and no invented login or statement.
TEST_F(ZeekPostgresCorpusTest, MalformedTracesInventNothing) {
  for (const char* trace : {"bad-startup-message-1.pcap", "bad-backend-message-1.pcap"}) {
    for (const Record& r : RunTrace(trace)) {
      EXPECT_NE(r.kind, RecordKind::kStatement) << trace;
      EXPECT_NE(r.kind, RecordKind::kLogin) << trace;
    }
  }
}

// Traces no Zeek test reads: what they hold is plain from their payloads.
TEST_F(ZeekPostgresCorpusTest, TracesWithoutBaselineGiveTheirLogins) {
  struct Case {
    const char* trace;
    bool success;
    const char* sqlstate;
  } cases[] = {{"psql-login.pcap", true, ""}, {"psql-login-wrong.pcap", false, "28P01"}};
  for (const Case& c : cases) {
    std::vector<const Record*> logins;
    const std::vector<Record> ours = RunTrace(c.trace);
    for (const Record& r : ours) {
      if (r.kind == RecordKind::kLogin) logins.push_back(&r);
    }
    ASSERT_EQ(logins.size(), 1u) << c.trace;
    EXPECT_EQ(logins[0]->success, c.success) << c.trace;
    EXPECT_EQ(logins[0]->error_code, c.sqlstate) << c.trace;
    EXPECT_EQ(logins[0]->auth_method, "scram-sha-256") << c.trace;
    EXPECT_EQ(logins[0]->session.db_user, "zeek") << c.trace;
  }
}

TEST_F(ZeekPostgresCorpusTest, EveryTraceReadsCleanly) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(kZeek + "/traces/postgresql")) {
    PipelineOptions options;
    options.pg_ports = {5432, 15432};
    auto records = ReadCaptureRecords(e.path().string(), options);
    EXPECT_TRUE(records.ok()) << e.path() << ": " << records.status();
    ++n;
  }
  EXPECT_GE(n, 18);
}

TEST_F(ZeekPostgresCorpusTest, SslPreferredTraceIsEncrypted) {
  const std::vector<Record> ours = RunTrace("psql-aws-ssl-preferred.pcap");
  int encrypted = 0;
  for (const Record& r : ours) encrypted += r.kind == RecordKind::kEncrypted;
  EXPECT_EQ(encrypted, 1);
}

}  // namespace
}  // namespace dbaudit::sensor::postgres
