// dbaudit's own PostgreSQL captures (tests/testdata/captures/postgres/<case>/input.pcap, made by
// generate.py from a real PostgreSQL 15) through the whole pipeline, compared with what the
// server itself logged for the same connections (server_log.csv: log_statement=all,
// log_connections=on, log_replication_commands=on). Sessions are matched by client port.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <pcap/pcap.h>

#include "sensor/app/pipeline.h"
#include "sensor/sql/splitter.h"

namespace dbaudit::sensor::postgres {
namespace {

namespace fs = std::filesystem;

const std::string kCaptures = DBAUDIT_SOURCE_DIR "/tests/testdata/captures/postgres";

// csvlog columns (PostgreSQL 15).
enum Col {
  kUser = 1, kDatabase = 2, kPid = 3, kFrom = 4, kCommandTag = 7, kSeverity = 11, kSqlState = 12,
  kMessage = 13, kDetail = 14, kQuery = 19, kQueryPos = 20, kNumCols = 26
};

std::vector<std::vector<std::string>> ReadCsv(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(cell));
      cell.clear();
    } else if (c == '\n') {
      rows.back().push_back(std::move(cell));
      cell.clear();
      rows.emplace_back();
    } else {
      cell.push_back(c);
    }
  }
  rows.pop_back();  // after the final newline
  for (auto& r : rows) r.resize(kNumCols);
  return rows;
}

// "parameters: $1 = '11', $2 = 'it''s', $3 = NULL" -> values (NULL as "NULL").
std::vector<std::string> ParseParameters(const std::string& detail) {
  std::vector<std::string> out;
  size_t i = detail.find("$1 = ");
  while (i != std::string::npos && i < detail.size()) {
    i = detail.find(" = ", i) + 3;
    std::string v;
    if (detail.compare(i, 4, "NULL") == 0) {
      v = "NULL";
      i += 4;
    } else if (i < detail.size() && detail[i] == '\'') {
      for (++i; i < detail.size(); ++i) {
        if (detail[i] == '\'' && i + 1 < detail.size() && detail[i + 1] == '\'') {
          v.push_back('\'');
          ++i;
        } else if (detail[i] == '\'') {
          ++i;
          break;
        } else {
          v.push_back(detail[i]);
        }
      }
    }
    out.push_back(v);
    i = detail.find(", $", i);
  }
  return out;
}

struct Expected {
  std::string command;  // simple_query, execute, parse, bind, function_call
  std::string sql;
  std::string sqlstate;  // empty: success
  std::optional<std::vector<std::string>> params;
};

struct ExpectedSession {
  bool login_seen = false;
  bool login_ok = false;
  bool tls = false;
  bool replication = false;
  std::string user, database, auth_method = "trust", login_sqlstate;
  std::string pid;
  std::vector<Expected> statements;
  // Simple-query texts still to expand, with the error they hit (if any).
  struct Query {
    std::string text, sqlstate, query_pos;
    size_t insert_at;
  };
  std::vector<Query> queries;
};

std::string After(const std::string& s, const std::string& key) {
  const size_t i = s.find(key);
  if (i == std::string::npos) return "";
  const size_t start = i + key.size();
  return s.substr(start, s.find(' ', start) - start);
}

void OnLogRow(const std::vector<std::string>& row, ExpectedSession* s) {
  const std::string& msg = row[kMessage];
  s->pid = row[kPid];
  if (msg.rfind("connection authenticated:", 0) == 0) {
    s->auth_method = After(msg, "method=");
  } else if (msg.rfind("connection authorized:", 0) == 0 ||
             msg.rfind("replication connection authorized:", 0) == 0) {
    s->login_seen = s->login_ok = true;
    s->replication = msg.rfind("replication", 0) == 0;
    s->user = After(msg, "user=");
    s->database = s->replication ? row[kDatabase] : After(msg, "database=");
    s->tls = msg.find("SSL enabled") != std::string::npos;
  } else if (row[kSeverity] == "FATAL" && s->statements.empty() && s->queries.empty()) {
    s->login_seen = true;
    s->login_ok = false;
    s->login_sqlstate = row[kSqlState];
  } else if (msg.rfind("statement: ", 0) == 0) {
    s->queries.push_back({msg.substr(11), "", "", s->statements.size()});
  } else if (msg.rfind("received replication command: ", 0) == 0) {
    s->queries.push_back({msg.substr(30), "", "", s->statements.size()});
  } else if (msg.rfind("execute ", 0) == 0) {
    const size_t colon = msg.find(": ");
    s->statements.push_back({"execute", msg.substr(colon + 2), "", ParseParameters(row[kDetail])});
  } else if (msg.rfind("fastpath function call:", 0) == 0) {
    s->statements.push_back({"function_call", "", "", std::nullopt});
  } else if (row[kSeverity] == "ERROR") {
    const std::string& tag = row[kCommandTag];
    if (tag == "PARSE" || tag == "BIND") {
      s->statements.push_back({tag == "PARSE" ? "parse" : "bind", row[kQuery], row[kSqlState],
                               std::nullopt});
    } else if (!s->queries.empty() && s->queries.back().text == row[kQuery] &&
               s->queries.back().insert_at == s->statements.size()) {
      s->queries.back().sqlstate = row[kSqlState];
      s->queries.back().query_pos = row[kQueryPos];
    } else if (!s->statements.empty() && s->statements.back().sql == row[kQuery]) {
      s->statements.back().sqlstate = row[kSqlState];
    }
  }
}

// Expands each logged Query into its statements: all of them, or those up to the failing one
// (found from the error's position in the text when the server gave one).
void ExpandQueries(ExpectedSession* s) {
  for (auto q = s->queries.rbegin(); q != s->queries.rend(); ++q) {
    const auto parts = sql::SplitStatements(sql::Dialect::kPostgresql, q->text);
    std::vector<Expected> expanded;
    for (std::string_view part : parts) {
      const size_t begin = static_cast<size_t>(part.data() - q->text.data());
      Expected e{"simple_query", std::string(part), "", std::nullopt};
      const bool failing =
          !q->sqlstate.empty() &&
          (parts.size() == 1 ||
           (!q->query_pos.empty() && std::stoul(q->query_pos) - 1 >= begin &&
            std::stoul(q->query_pos) - 1 < begin + part.size()));
      if (failing) e.sqlstate = q->sqlstate;
      expanded.push_back(e);
      if (failing) break;
    }
    s->statements.insert(s->statements.begin() + static_cast<long>(q->insert_at), expanded.begin(),
                         expanded.end());
  }
}

std::map<uint16_t, ExpectedSession> ReadServerLog(const fs::path& path) {
  std::map<uint16_t, ExpectedSession> sessions;
  for (const auto& row : ReadCsv(path)) {
    const std::string& from = row[kFrom];
    const size_t colon = from.rfind(':');
    if (colon == std::string::npos) continue;  // [local]: setup, not captured
    OnLogRow(row, &sessions[static_cast<uint16_t>(std::stoi(from.substr(colon + 1)))]);
  }
  for (auto& [port, s] : sessions) ExpandQueries(&s);
  return sessions;
}

class PostgresCapturesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PostgresCapturesTest, RecordsMatchTheServerLog) {
  const fs::path dir = fs::path(kCaptures) / GetParam();
  std::ifstream port_file(dir / "port.txt");
  int port = 0;
  port_file >> port;
  ASSERT_GT(port, 0);
  PipelineOptions options;
  options.pg_ports = {static_cast<uint16_t>(port)};
  options.analyze_sql = false;
  auto records = ReadCaptureRecords((dir / "input.pcap").string(), options);
  ASSERT_TRUE(records.ok()) << records.status();
  std::map<uint16_t, std::vector<const Record*>> ours;
  std::vector<const Record*> cancels;
  for (const Record& r : *records) {
    ASSERT_EQ(r.session.protocol, Protocol::kPostgresql);
    if (r.kind == RecordKind::kStatement && r.command == "cancel") cancels.push_back(&r);
    ours[r.session.client_port].push_back(&r);
  }
  const auto expected = ReadServerLog(dir / "server_log.csv");
  ASSERT_FALSE(expected.empty());
  int statements_compared = 0;
  std::map<std::string, bool> pids;
  for (const auto& [port, want] : expected) {
    SCOPED_TRACE("client port " + std::to_string(port));
    pids[want.pid] = true;
    std::vector<const Record*> logins, stmts, encrypted;
    for (const Record* r : ours[port]) {
      if (r->kind == RecordKind::kLogin) logins.push_back(r);
      if (r->kind == RecordKind::kStatement && r->command != "cancel") stmts.push_back(r);
      if (r->kind == RecordKind::kEncrypted) encrypted.push_back(r);
    }
    if (want.tls) {
      EXPECT_EQ(encrypted.size(), 1u);
      EXPECT_TRUE(logins.empty());
      EXPECT_TRUE(stmts.empty());
      continue;
    }
    EXPECT_TRUE(encrypted.empty());
    if (!want.login_seen) {
      EXPECT_TRUE(logins.empty());
      continue;
    }
    ASSERT_EQ(logins.size(), 1u);
    EXPECT_EQ(logins[0]->success, want.login_ok);
    EXPECT_EQ(logins[0]->error_code, want.login_sqlstate);
    if (want.login_ok) {
      EXPECT_EQ(logins[0]->session.db_user, want.user);
      EXPECT_EQ(logins[0]->session.database, want.database);
      EXPECT_EQ(logins[0]->auth_method, want.auth_method);
      EXPECT_EQ(logins[0]->command, want.replication ? "replication" : "login");
    }
    ASSERT_EQ(stmts.size(), want.statements.size());
    for (size_t i = 0; i < stmts.size(); ++i) {
      const Expected& e = want.statements[i];
      const Record& r = *stmts[i];
      SCOPED_TRACE("statement " + std::to_string(i) + ": " + e.sql);
      EXPECT_EQ(r.command == "copy" ? "simple_query" : r.command, e.command);
      if (e.command != "function_call") {
        EXPECT_EQ(r.sql_statement, e.sql);
      }
      EXPECT_EQ(r.sql_response, e.sqlstate.empty() ? SqlResponse::kSuccess : SqlResponse::kFailed);
      EXPECT_EQ(r.error_code, e.sqlstate);
      if (e.params) {
        ASSERT_EQ(r.params.size(), e.params->size());
        for (size_t p = 0; p < r.params.size(); ++p) {
          EXPECT_EQ(r.params[p].is_null ? "NULL" : r.params[p].value, (*e.params)[p]);
        }
      }
      EXPECT_GE(r.latency_us, 0);
      ++statements_compared;
    }
  }
  for (const Record* c : cancels) {
    ASSERT_EQ(c->params.size(), 1u);
    EXPECT_TRUE(pids.count(c->params[0].value)) << "cancel names pid " << c->params[0].value;
  }
  if (GetParam() != "failed_logins") {
    EXPECT_GT(statements_compared, 0);
  }
  // libpq's PQcancel opens a second connection carrying only a CancelRequest.
  EXPECT_EQ(cancels.size(), GetParam() == "libpq_client" ? 1u : 0u);
}

// Offset of the TCP payload in an Ethernet/IPv4 frame (tcpdump -i lo writes Ethernet) and the
// destination port; 0 when the frame is something else.
size_t TcpPayloadOffset(const uint8_t* p, size_t n, uint16_t* dst_port) {
  if (n < 14 + 20 || p[12] != 0x08 || p[13] != 0x00) return 0;
  const size_t ip = 14;
  const size_t ihl = (p[ip] & 0x0F) * 4u;
  if (p[ip + 9] != 6 || n < ip + ihl + 20) return 0;
  const size_t tcp = ip + ihl;
  *dst_port = static_cast<uint16_t>((p[tcp + 2] << 8) | p[tcp + 3]);
  return tcp + (p[tcp + 12] >> 4) * 4u;
}

// Writes `in` without its packets before the `skip_queries`-th client Query to `out`, so the
// connection is seen from the middle: no handshake, no startup, no login. Returns how many
// client Query messages the capture holds, or -1.
int CutBeforeQuery(const std::string& in, const std::string& out, uint16_t port, int skip_queries) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* src = pcap_open_offline(in.c_str(), err);
  if (src == nullptr) return -1;
  pcap_dumper_t* dst = pcap_dump_open(src, out.c_str());
  int queries = 0;
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(src, &h, &data) == 1) {
    uint16_t dst_port = 0;
    const size_t off = TcpPayloadOffset(data, h->caplen, &dst_port);
    if (off > 0 && off < h->caplen && dst_port == port && data[off] == 'Q') ++queries;
    if (queries > skip_queries) pcap_dump(reinterpret_cast<u_char*>(dst), h, data);
  }
  pcap_dump_close(dst);
  pcap_close(src);
  return queries;
}

// pgbench_simple picked up after its login and first queries: the statements from the cut on
// are reported, with the outcome the server logged, and user and database stay unknown.
TEST(PostgresMidStreamTest, PickupReportsTheRestWithoutUserOrLogin) {
  const fs::path dir = fs::path(kCaptures) / "pgbench_simple";
  std::ifstream port_file(dir / "port.txt");
  int port = 0;
  port_file >> port;
  const std::string cut = (fs::temp_directory_path() / "dbaudit_pg_midstream.pcap").string();
  constexpr int kSkip = 5;
  ASSERT_GT(CutBeforeQuery((dir / "input.pcap").string(), cut, static_cast<uint16_t>(port), kSkip),
            kSkip);
  PipelineOptions options;
  options.pg_ports = {static_cast<uint16_t>(port)};
  options.analyze_sql = false;
  auto records = ReadCaptureRecords(cut, options);
  fs::remove(cut);
  ASSERT_TRUE(records.ok()) << records.status();
  // The server's statements for the pgbench connection (the one with the most).
  std::vector<Expected> all;
  uint16_t pgbench_port = 0;
  for (const auto& [p, s] : ReadServerLog(dir / "server_log.csv")) {
    if (s.statements.size() > all.size()) {
      all = s.statements;
      pgbench_port = p;
    }
  }
  std::vector<const Record*> stmts;
  for (const Record& r : *records) {
    EXPECT_NE(r.kind, RecordKind::kLogin);
    if (r.kind == RecordKind::kStatement && r.session.client_port == pgbench_port) {
      stmts.push_back(&r);
    }
  }
  // Queries of other connections may be among the skipped ones, so at most kSkip are missing;
  // what is reported is exactly the tail of what the server ran.
  ASSERT_GT(all.size(), static_cast<size_t>(kSkip));
  ASSERT_GE(stmts.size(), all.size() - kSkip);
  ASSERT_LT(stmts.size(), all.size());
  const size_t first = all.size() - stmts.size();
  for (size_t i = 0; i < stmts.size(); ++i) {
    EXPECT_EQ(stmts[i]->sql_statement, all[first + i].sql);
    EXPECT_EQ(stmts[i]->sql_response, SqlResponse::kSuccess);
    EXPECT_TRUE(stmts[i]->session.db_user.empty());
    EXPECT_TRUE(stmts[i]->session.database.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, PostgresCapturesTest,
                         ::testing::Values("psql_queries", "pgbench_simple", "pgbench_extended",
                                           "pgbench_prepared", "libpq_client", "failed_logins",
                                           "auth_methods", "tls"));

}  // namespace
}  // namespace dbaudit::sensor::postgres
