// Every MySQL trace of the third-party Zeek corpus through the whole pipeline, compared with the
// mysql.log Zeek itself wrote for it (corpus README: cmd, arg, success, rows = affected rows from
// OK, response = server error text). Connections are compared as sequences of rows, independent
// of how the two tools interleave connections in their output.
//
// Where we report more than Zeek, the comparison accepts it and says so:
//  * quit / statistics: Zeek leaves success and rows unset ("-"). quit gets no answer, so we also
//    report UNKNOWN; statistics does get its answer string, which we report as SUCCESS.
//  * COM_CHANGE_USER: besides the change_user statement row Zeek has, we emit a login record for
//    the re-authentication (it is one), which this comparison skips.
//  * Result sets: Zeek's rows column is 0 for SELECTs; we also count returned_rows, checked here
//    against the number of mysql_result_row events Zeek's test scripts printed (`out`).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "sensor/app/pipeline.h"

namespace dbaudit::sensor::mysql {
namespace {

const std::string kZeek = std::string(DBAUDIT_SHARED_DIR) + "/corpus/zeek";

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// One row of Zeek's mysql.log, or one of our records seen the same way.
struct Row {
  std::string cmd, arg, success, rows, response;
  bool operator<(const Row& o) const {
    return std::tie(cmd, arg, success, rows, response) <
           std::tie(o.cmd, o.arg, o.success, o.rows, o.response);
  }
};
using Connection = std::vector<Row>;

std::string Unescape(std::string s) {
  // Zeek escapes non-printable bytes as \xNN; the corpus rows only need that form.
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 2, 2), nullptr, 16)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Zeek's rows grouped per connection uid, in the order of each uid's first row.
std::vector<Connection> ReadZeekLog(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> fields;
  std::map<std::string, size_t> by_uid;
  std::vector<Connection> out;
  while (std::getline(in, line)) {
    if (line.rfind("#fields", 0) == 0) {
      fields = absl::StrSplit(line.substr(8), '\t');
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    std::map<std::string, std::string> m;
    for (size_t i = 0; i < fields.size() && i < cols.size(); ++i) m[fields[i]] = cols[i];
    auto [it, inserted] = by_uid.emplace(m["uid"], out.size());
    if (inserted) out.emplace_back();
    std::string arg = m["arg"] == "(empty)" ? "" : Unescape(m["arg"]);
    out[it->second].push_back({m["cmd"], arg, m["success"], m["rows"],
                               m["response"] == "-" ? "" : Unescape(m["response"])});
  }
  return out;
}

std::vector<Connection> OurConnections(const std::vector<Record>& records, int* encrypted) {
  std::map<std::string, size_t> by_session;
  std::vector<Connection> out;
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    if (r.kind == RecordKind::kEncrypted) ++*encrypted;
    if (r.kind != RecordKind::kLogin && r.kind != RecordKind::kStatement) continue;
    const bool change_user_login = r.kind == RecordKind::kLogin && i + 1 < records.size() &&
                                   records[i + 1].kind == RecordKind::kStatement &&
                                   records[i + 1].command == "change_user";
    if (change_user_login) continue;
    auto [it, inserted] = by_session.emplace(r.session.session_id, out.size());
    if (inserted) out.emplace_back();
    Row row;
    if (r.kind == RecordKind::kLogin) {
      row = {"login", r.session.db_user, r.success ? "T" : "F", r.success ? "0" : "-",
             r.error_msg};
    } else {
      const bool known = r.sql_response != SqlResponse::kUnknown;
      row = {r.command, r.sql_statement, !known ? "-" : r.success ? "T" : "F",
             known && r.success ? std::to_string(r.affected_rows.value_or(0)) : "-", r.error_msg};
    }
    out[it->second].push_back(row);
  }
  return out;
}

// Zeek's row against ours: equal, except where we know more (file comment).
bool Matches(const Row& zeek, const Row& ours) {
  if (zeek.cmd != ours.cmd || zeek.arg != ours.arg) return false;
  if (zeek.success == "-") return true;  // Zeek saw no outcome (quit, statistics)
  if (zeek.success != ours.success) return false;
  if (zeek.success == "F") return zeek.response == ours.response;
  return zeek.rows == ours.rows;
}

std::string Describe(const Connection& c) {
  std::ostringstream s;
  for (const Row& r : c) s << "  " << r.cmd << " | " << r.arg << " | " << r.success << " | "
                           << r.rows << " | " << r.response << "\n";
  return s.str();
}

// Zeek's script output (`out`, printed by the test scripts' event handlers): per COM_QUERY
// request, its text and the number of `mysql_result_row` events that followed it.
std::vector<std::pair<std::string, uint64_t>> ReadZeekRowEvents(const std::string& path) {
  std::vector<std::pair<std::string, uint64_t>> out;
  std::ifstream in(path);
  std::string line;
  bool in_query = false;
  while (std::getline(in, line)) {
    if (line.rfind("mysql request, ", 0) == 0) {
      in_query = line.rfind("mysql request, 3, ", 0) == 0;
      if (in_query) out.emplace_back(Unescape(line.substr(18)), 0);
    } else if (in_query && line.rfind("mysql result row, ", 0) == 0) {
      ++out.back().second;
    }
  }
  return out;
}

struct Case {
  const char* test;   // baseline folder suffix
  const char* trace;  // under traces/mysql/
};

class MysqlCorpusTest : public testing::TestWithParam<Case> {};

TEST_P(MysqlCorpusTest, MatchesZeekBaseline) {
  const Case& c = GetParam();
  const std::string trace = kZeek + "/traces/mysql/" + c.trace;
  if (!Exists(trace)) GTEST_SKIP() << "third-party corpus not found at " << trace;
  PipelineOptions options;
  options.analyze_sql = false;
  auto records = ReadCaptureRecords(trace, options);
  ASSERT_TRUE(records.ok()) << records.status();
  int encrypted = 0;
  std::vector<Connection> ours = OurConnections(*records, &encrypted);
  if (getenv("DBAUDIT_DUMP") != nullptr) {
    for (const Connection& conn : ours) std::cerr << "connection:\n" << Describe(conn);
  }
  const std::string log = kZeek + "/baselines/scripts.base.protocols.mysql." + c.test + "/mysql.log";
  std::vector<Connection> zeek = Exists(log) ? ReadZeekLog(log) : std::vector<Connection>{};
  if (zeek.empty()) {
    // Zeek logs nothing for TLS sessions; we say the session went encrypted.
    EXPECT_TRUE(ours.empty()) << Describe(ours.empty() ? Connection{} : ours[0]);
    EXPECT_GT(encrypted, 0);
    return;
  }
  // Rows of each result set, against the row events Zeek raised (where its test printed them).
  const std::string out = kZeek + "/baselines/scripts.base.protocols.mysql." + c.test + "/out";
  const auto zeek_rows = Exists(out) ? ReadZeekRowEvents(out)
                                     : std::vector<std::pair<std::string, uint64_t>>{};
  if (!zeek_rows.empty()) {
    std::vector<const Record*> queries;
    for (const Record& r : *records) {
      if (r.kind == RecordKind::kStatement && r.command == "query") queries.push_back(&r);
    }
    ASSERT_EQ(queries.size(), zeek_rows.size());
    for (size_t i = 0; i < queries.size(); ++i) {
      EXPECT_EQ(queries[i]->sql_statement, zeek_rows[i].first);
      EXPECT_EQ(queries[i]->returned_rows.value_or(0), zeek_rows[i].second)
          << queries[i]->sql_statement;
    }
  }
  ASSERT_EQ(ours.size(), zeek.size()) << "connections with rows differ";
  // Pair connections: sort both sides by their rows, then compare pairwise.
  auto key = [](const Connection& a, const Connection& b) {
    return std::make_pair(a.size(), a.empty() ? Row{} : a[0]) <
           std::make_pair(b.size(), b.empty() ? Row{} : b[0]);
  };
  std::stable_sort(ours.begin(), ours.end(), key);
  std::stable_sort(zeek.begin(), zeek.end(), key);
  for (size_t i = 0; i < zeek.size(); ++i) {
    ASSERT_EQ(ours[i].size(), zeek[i].size()) << "zeek:\n" << Describe(zeek[i]) << "ours:\n"
                                              << Describe(ours[i]);
    for (size_t j = 0; j < zeek[i].size(); ++j) {
      EXPECT_TRUE(Matches(zeek[i][j], ours[i][j]))
          << "row " << j << "\nzeek:\n" << Describe(zeek[i]) << "ours:\n" << Describe(ours[i]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Zeek, MysqlCorpusTest,
    testing::Values(Case{"auth", "auth.pcap"},
                    Case{"caching_sha2_password", "caching_sha2_password.pcap"},
                    Case{"caching_sha2_password-after-auth-switch",
                         "caching_sha2_password-after-auth-switch.pcapng"},
                    Case{"caching_sha2_password-auth-switch-to-test-sha256_password",
                         "mysql8-navicat-login-failed.pcap"},
                    Case{"change-user-error", "change-user-error.pcap"},
                    Case{"change-user-success", "change-user-success.pcap"},
                    Case{"encrypted", "encrypted.pcap"},
                    Case{"encrypted-aws-rds", "tls-12-amazon-rds.pcap"},
                    Case{"encrypted-aws-rds", "tls-13-amazon-rds.pcap"},
                    Case{"many-query-attr", "many-query-attrs.pcap"},
                    Case{"plain-aws-rds", "plain-amazon-rds.pcap"},
                    Case{"query-attr", "query-attr.pcap"},
                    Case{"query-attr-non-string", "mysql-9.0.0-query-attributes.pcap"},
                    Case{"selects_with_new_proto", "selects_with_new_proto.pcap"},
                    Case{"show-engine-innodb-status",
                         "mysql-show-engine-innodb-status-no-password.pcap"},
                    Case{"wireshark", "mysql.pcap"}),
    [](const testing::TestParamInfo<Case>& info) {
      std::string name = std::string(info.param.trace);
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

// Other protocols on a port configured as MySQL: no MySQL record of any kind.
TEST(MysqlCorpusNegativeTest, NonMysqlTrafficOnAMysqlPortYieldsNothing) {
  for (const char* trace : {"postgresql/http-on-port-5432.pcap",
                            "postgresql/psql-select-now.pcap",
                            "postgresql/bad-startup-message-1.pcap"}) {
    const std::string path = kZeek + "/traces/" + trace;
    if (!Exists(path)) GTEST_SKIP() << "third-party corpus not found at " << path;
    PipelineOptions options;
    options.analyze_sql = false;
    options.mysql_ports = {5432, 80, 8080};
    options.pg_ports = {};
    options.detect_by_content = false;
    auto records = ReadCaptureRecords(path, options);
    ASSERT_TRUE(records.ok()) << records.status();
    for (const Record& r : *records) {
      EXPECT_NE(r.session.protocol, Protocol::kMysql) << trace << " " << RecordKindName(r.kind);
    }
  }
}

}  // namespace
}  // namespace dbaudit::sensor::mysql
