// The project's own MariaDB captures (tests/testdata/captures/mysql/<case>/, made by
// scripts/generate.sh) through the whole pipeline, checked against what the server itself logged
// for the same connections: server_audit.log (every executed statement, the server's own split of
// multi-statements, and its return code; connects, failed connects, change user) and general.log
// (init_db arguments). Row counts are facts of the scenario the script runs, written down here.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sensor/app/pipeline.h"

namespace dbaudit::sensor::mysql {
namespace {

const std::string kCaptures = std::string(DBAUDIT_SOURCE_DIR) + "/tests/testdata/captures/mysql/";

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One line of server_audit.log: ts,host,user,client,connection,query_id,operation,db,'object',rc
struct AuditEvent {
  std::string user, client, op, db, object;
  int connection = 0;
  int retcode = 0;
};

// The object field is quoted with ' and escapes ' and \ with a backslash.
std::string UnquoteAuditObject(const std::string& field) {
  if (field.size() < 2 || field.front() != '\'') return field;
  std::string out;
  for (size_t i = 1; i + 1 < field.size(); ++i) {
    if (field[i] == '\\' && i + 2 < field.size()) ++i;
    out.push_back(field[i]);
  }
  return out;
}

std::vector<AuditEvent> ReadAuditLog(const std::string& path) {
  std::vector<AuditEvent> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    // The first 7 fields never contain commas; the object may, and the retcode is last.
    std::vector<std::string> f;
    size_t pos = 0;
    for (int i = 0; i < 8 && pos != std::string::npos; ++i) {
      const size_t comma = line.find(',', pos);
      f.push_back(line.substr(pos, comma == std::string::npos ? comma : comma - pos));
      pos = comma == std::string::npos ? comma : comma + 1;
    }
    if (f.size() < 8 || pos == std::string::npos) continue;
    const size_t last = line.rfind(',');
    AuditEvent e;
    e.user = f[2];
    e.client = f[3];
    e.connection = std::atoi(f[4].c_str());
    e.op = f[6];
    e.db = f[7];
    e.object = UnquoteAuditObject(line.substr(pos, last - pos));
    e.retcode = std::atoi(line.substr(last + 1).c_str());
    if (e.client == "127.0.0.1" || e.op == "CHANGEUSER") out.push_back(e);
  }
  return out;
}

// General log "Init DB" arguments of TCP connections, in order.
std::vector<std::string> InitDbArguments(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    const size_t at = line.find(" Init DB\t");
    if (at != std::string::npos) out.push_back(line.substr(at + 9));
  }
  return out;
}

// A classic pcap split into its records, to write variants with packets left out.
struct PcapFile {
  std::string header;                // 24-byte global header
  std::vector<std::string> records;  // 16-byte record header + frame
};

PcapFile ReadPcap(const std::string& path) {
  PcapFile f;
  const std::string data = ReadFile(path);
  if (data.size() < 24) return f;
  f.header = data.substr(0, 24);
  for (size_t pos = 24; pos + 16 <= data.size();) {
    uint32_t caplen;
    std::memcpy(&caplen, data.data() + pos + 8, 4);  // little-endian host and file
    f.records.push_back(data.substr(pos, 16 + caplen));
    pos += 16 + caplen;
  }
  return f;
}

// TCP payload of an Ethernet/IPv4 record, and whether it goes to `port`.
std::string_view TcpPayload(const std::string& record, uint16_t port, bool* to_port) {
  const std::string_view frame = std::string_view(record).substr(16);
  if (frame.size() < 14 + 20) return {};
  const size_t ihl = (static_cast<uint8_t>(frame[14]) & 0x0f) * 4;
  const std::string_view tcp = frame.substr(14 + ihl);
  if (tcp.size() < 20) return {};
  const uint16_t dport = static_cast<uint16_t>((static_cast<uint8_t>(tcp[2]) << 8) |
                                               static_cast<uint8_t>(tcp[3]));
  *to_port = dport == port;
  return tcp.substr((static_cast<uint8_t>(tcp[12]) >> 4) * 4);
}

class OwnCaptureTest : public testing::Test {
 protected:
  void Load(const std::string& name, const std::string& pcap = "") {
    dir_ = kCaptures + name + "/";
    if (!Exists(dir_ + "input.pcap")) GTEST_SKIP() << "capture missing: " << dir_;
    PipelineOptions options;
    options.analyze_sql = false;
    options.mysql_ports = {Port()};
    auto records = ReadCaptureRecords(pcap.empty() ? dir_ + "input.pcap" : pcap, options);
    ASSERT_TRUE(records.ok()) << records.status();
    records_ = std::move(*records);
    audit_ = ReadAuditLog(dir_ + "server_audit.log");
    if (getenv("DBAUDIT_DUMP") != nullptr) Dump();
  }

  uint16_t Port() const {
    return static_cast<uint16_t>(std::atoi(ReadFile(dir_ + "server_port").c_str()));
  }

  // Writes the case's capture without the records `drop` selects, returns the file's path.
  std::string WriteVariant(const std::string& name,
                           const std::function<bool(size_t, const std::string&)>& drop) {
    const PcapFile f = ReadPcap(dir_ + "input.pcap");
    const std::string path = ::testing::TempDir() + "/" + name + ".pcap";
    std::ofstream out(path, std::ios::binary);
    out << f.header;
    for (size_t i = 0; i < f.records.size(); ++i) {
      if (!drop(i, f.records[i])) out << f.records[i];
    }
    return path;
  }

  void Dump() const {
    for (const Record& r : records_) {
      std::cerr << RecordKindName(r.kind) << " user=" << r.session.db_user
                << " db=" << r.session.database << " cmd=" << r.command << " sql=["
                << r.sql_statement << "] resp=" << SqlResponseName(r.sql_response)
                << " ok=" << r.success << " err=" << r.error_code << " " << r.error_msg
                << " aff=" << (r.affected_rows ? std::to_string(*r.affected_rows) : "-")
                << " rows=" << (r.returned_rows ? std::to_string(*r.returned_rows) : "-")
                << " auth=" << r.auth_method << " client=" << r.session.client_name;
      for (const BoundParam& p : r.params) std::cerr << " [" << p.type << ":" << p.value << "]";
      std::cerr << "\n";
    }
  }

  std::vector<const Record*> Of(RecordKind kind) const {
    std::vector<const Record*> out;
    for (const Record& r : records_) {
      if (r.kind == kind) out.push_back(&r);
    }
    return out;
  }

  // Our statement records the audit plugin also logs: executed statements (query, execute,
  // failed prepare), not the "not executed" rest of a failed batch.
  std::vector<const Record*> AuditedStatements() const {
    std::vector<const Record*> out;
    for (const Record* r : Of(RecordKind::kStatement)) {
      const bool executed = r->command == "query" || r->command == "execute" ||
                            (r->command == "prepare" && !r->success);
      if (executed && r->error_msg.rfind("not executed", 0) != 0) out.push_back(r);
    }
    return out;
  }

  // Every QUERY the server audited, in order, against our statements: same text (for executions
  // the prepared text's pieces around each '?' appear in the server's expanded text) and the
  // same outcome (retcode 0 = SUCCESS, else FAILED with that error number).
  void ExpectStatementsMatchAudit() const {
    std::vector<const AuditEvent*> queries;
    for (const AuditEvent& e : audit_) {
      if (e.op == "QUERY") queries.push_back(&e);
    }
    const std::vector<const Record*> ours = AuditedStatements();
    ASSERT_EQ(ours.size(), queries.size());
    for (size_t i = 0; i < ours.size(); ++i) {
      const Record& r = *ours[i];
      const AuditEvent& e = *queries[i];
      if (r.command == "execute") {
        size_t pos = 0;
        std::istringstream pieces(r.sql_statement);
        std::string piece;
        while (std::getline(pieces, piece, '?')) {
          pos = e.object.find(piece, pos);
          ASSERT_NE(pos, std::string::npos) << piece << " not in " << e.object;
        }
      } else {
        EXPECT_EQ(r.sql_statement, e.object);
      }
      EXPECT_EQ(r.sql_response, e.retcode == 0 ? SqlResponse::kSuccess : SqlResponse::kFailed)
          << r.sql_statement;
      if (e.retcode != 0) {
        EXPECT_EQ(r.error_code, std::to_string(e.retcode));
      }
    }
  }

  // Connects and failed connects against our login records.
  void ExpectLoginsMatchAudit() const {
    std::vector<const AuditEvent*> connects;
    for (const AuditEvent& e : audit_) {
      if (e.op == "CONNECT" || e.op == "FAILED_CONNECT") connects.push_back(&e);
    }
    std::vector<const Record*> logins;
    for (size_t i = 0; i < records_.size(); ++i) {
      // A login followed by a change_user statement is that command's re-authentication.
      const bool change_user = i + 1 < records_.size() && records_[i + 1].command == "change_user";
      if (records_[i].kind == RecordKind::kLogin && !change_user) logins.push_back(&records_[i]);
    }
    ASSERT_EQ(logins.size(), connects.size());
    for (size_t i = 0; i < logins.size(); ++i) {
      EXPECT_EQ(logins[i]->session.db_user, connects[i]->user);
      EXPECT_EQ(logins[i]->success, connects[i]->op == "CONNECT");
      if (connects[i]->op == "CONNECT") {
        EXPECT_EQ(logins[i]->session.database, connects[i]->db);
      }
      if (connects[i]->retcode != 0) {
        EXPECT_EQ(logins[i]->error_code, std::to_string(connects[i]->retcode));
      }
    }
  }

  const Record* FindStatement(const std::string& sql) const {
    for (const Record* r : Of(RecordKind::kStatement)) {
      if (r->sql_statement == sql) return r;
    }
    return nullptr;
  }

  std::string dir_;
  std::vector<Record> records_;
  std::vector<AuditEvent> audit_;
};

TEST_F(OwnCaptureTest, TextQueries) {
  Load("text_queries");
  ExpectLoginsMatchAudit();
  ExpectStatementsMatchAudit();
  const Record* select = FindStatement("SELECT * FROM items WHERE price > 1");
  ASSERT_NE(select, nullptr);
  EXPECT_EQ(select->returned_rows, 2u);  // apple 1.20 and plum 2.50
  const Record* insert = FindStatement(
      "INSERT INTO items (name, price) VALUES ('apple', 1.20), ('pear', 0.80), ('plum', 2.50)");
  ASSERT_NE(insert, nullptr);
  EXPECT_EQ(insert->affected_rows, 3u);
  // USE mysql: the server refused it; the general log holds the error text as its argument.
  std::vector<std::string> init_db_log = InitDbArguments(dir_ + "general.log");
  std::vector<const Record*> init_db;
  for (const Record* r : Of(RecordKind::kStatement)) {
    if (r->command == "init_db") init_db.push_back(r);
  }
  ASSERT_EQ(init_db.size(), init_db_log.size());
  for (size_t i = 0; i < init_db.size(); ++i) {
    EXPECT_EQ(init_db[i]->success ? init_db[i]->sql_statement : init_db[i]->error_msg,
              init_db_log[i]);
  }
  // The failed USE leaves the current database as it was.
  EXPECT_EQ(Of(RecordKind::kStatement).back()->session.database, "shop");
}

TEST_F(OwnCaptureTest, PreparedStatements) {
  Load("prepared_statements");
  ExpectLoginsMatchAudit();
  ExpectStatementsMatchAudit();
  std::vector<const Record*> executes;
  for (const Record* r : Of(RecordKind::kStatement)) {
    if (r->command == "execute") executes.push_back(r);
  }
  ASSERT_EQ(executes.size(), 3u);
  // First execution: every parameter type the client bound, values as the server expanded them.
  const std::vector<BoundParam>& p = executes[0]->params;
  ASSERT_EQ(p.size(), 16u);
  EXPECT_EQ(p[0].value, "-5");
  EXPECT_EQ(p[3].value, "4000000000");  // unsigned LONG
  EXPECT_EQ(p[4].value, "9007199254740993");
  EXPECT_EQ(p[5].value, "1.5");
  EXPECT_EQ(p[6].value, "-2.25");
  EXPECT_EQ(p[7].value, "1234.56");
  EXPECT_EQ(p[8].value, "2024-02-29");
  EXPECT_EQ(p[9].value, "-13:14:15");
  EXPECT_EQ(p[10].value, "2023-12-31 23:59:58.123456");
  EXPECT_EQ(p[11].value, "2022-01-02 03:04:05");
  EXPECT_EQ(p[12].value, "O'Reilly");
  EXPECT_EQ(p[13].value, "0x0001feff");
  EXPECT_TRUE(p[14].is_null);
  EXPECT_EQ(p[15].value, "long data part one, part two");  // COM_STMT_SEND_LONG_DATA x2
  // Second execution does not rebind types on the wire: they are remembered from the first.
  ASSERT_EQ(executes[1]->params.size(), 16u);
  EXPECT_EQ(executes[1]->params[0].value, "7");
  EXPECT_EQ(executes[1]->params[2].value, "42");
  EXPECT_EQ(executes[1]->params[15].value, "again");
  // Cursor: rows arrive with COM_STMT_FETCH; 6 rows have i > 0 (42 and 1..5).
  uint64_t fetched = 0;
  for (const Record* r : Of(RecordKind::kStatement)) {
    if (r->command == "stmt_fetch") {
      EXPECT_EQ(r->sql_statement, "SELECT i, v FROM typed WHERE i > ? ORDER BY i");
      fetched += r->returned_rows.value_or(0);
    }
  }
  EXPECT_EQ(fetched, 6u);
}

TEST_F(OwnCaptureTest, MultiStatementsWithAFailureInTheMiddle) {
  Load("multi_statements");
  ExpectStatementsMatchAudit();
  const Record* select = FindStatement("SELECT * FROM multi");
  ASSERT_NE(select, nullptr);
  EXPECT_EQ(select->returned_rows, 2u);
  // The statement after the duplicate key was never run: reported, but not as executed.
  const Record* never = FindStatement("UPDATE multi SET name='never' WHERE id=2");
  ASSERT_NE(never, nullptr);
  EXPECT_EQ(never->sql_response, SqlResponse::kFailed);
  EXPECT_EQ(never->error_msg.rfind("not executed", 0), 0u);
}

TEST_F(OwnCaptureTest, ChangeUser) {
  Load("change_user");
  ExpectLoginsMatchAudit();
  ExpectStatementsMatchAudit();
  std::vector<int> server_outcomes;
  for (const AuditEvent& e : audit_) {
    if (e.op == "CHANGEUSER") server_outcomes.push_back(e.retcode);
  }
  std::vector<const Record*> changes;
  for (const Record* r : Of(RecordKind::kStatement)) {
    if (r->command == "change_user") changes.push_back(r);
  }
  ASSERT_EQ(changes.size(), server_outcomes.size());
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i]->sql_statement, "reader");
    EXPECT_EQ(changes[i]->success, server_outcomes[i] == 0);
  }
  // Statements after the successful change run as the new user.
  const Record* second = Of(RecordKind::kStatement)[2];
  EXPECT_EQ(second->session.db_user, "reader");
}

TEST_F(OwnCaptureTest, CompressedProtocol) {
  Load("compressed");
  ExpectLoginsMatchAudit();
  ExpectStatementsMatchAudit();
  const Record* seq = FindStatement("SELECT seq, CONCAT('row ', seq) FROM seq_1_to_50");
  ASSERT_NE(seq, nullptr);
  EXPECT_EQ(seq->returned_rows, 50u);
}

TEST_F(OwnCaptureTest, FailedLogins) {
  Load("failed_logins");
  ExpectLoginsMatchAudit();
  ExpectStatementsMatchAudit();
  // ed25519 users get an AuthSwitchRequest; the login record names the plugin that decided.
  for (const Record* r : Of(RecordKind::kLogin)) {
    if (r->session.db_user == "edwin") {
      EXPECT_EQ(r->auth_method, "client_ed25519");
    }
  }
}

TEST_F(OwnCaptureTest, LoadDataLocalInfile) {
  Load("load_data_local");
  ExpectLoginsMatchAudit();
  ExpectStatementsMatchAudit();
  for (const Record* r : Of(RecordKind::kStatement)) {
    if (r->sql_statement.rfind("LOAD DATA", 0) == 0) {
      EXPECT_EQ(r->affected_rows, 3u);
    }
  }
  const Record* select = FindStatement("SELECT * FROM loaded");
  ASSERT_NE(select, nullptr);
  EXPECT_EQ(select->returned_rows, 3u);
}

TEST_F(OwnCaptureTest, TlsSessionNextToAPlainOne) {
  Load("tls_and_plain");
  EXPECT_EQ(Of(RecordKind::kEncrypted).size(), 1u);
  EXPECT_EQ(FindStatement("SELECT 'secret over tls'"), nullptr);
  const Record* plain = FindStatement("SELECT 'plain text'");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(Of(RecordKind::kConnect).size(), 2u);
  EXPECT_EQ(Of(RecordKind::kDisconnect).size(), 2u);
}

// The capture picked up after the login: everything before the first COM_QUERY is left out
// (the TCP handshake included), so the pipeline hands over a mid-stream flow.
TEST_F(OwnCaptureTest, MidStreamPickupStillReportsEveryStatement) {
  Load("text_queries");
  const uint16_t port = Port();
  bool started = false;
  const std::string path = WriteVariant("mid_stream", [&](size_t, const std::string& record) {
    bool to_server = false;
    const std::string_view payload = TcpPayload(record, port, &to_server);
    started = started || (to_server && payload.size() > 4 && payload[3] == 0 && payload[4] == 3);
    return !started;
  });
  Load("text_queries", path);
  EXPECT_TRUE(Of(RecordKind::kLogin).empty());
  ExpectStatementsMatchAudit();  // every statement, with the server's outcome
  for (const Record* r : Of(RecordKind::kStatement)) EXPECT_EQ(r->session.db_user, "");
}

// One answer lost on the wire: its statement is UNKNOWN, every other one keeps its outcome.
TEST_F(OwnCaptureTest, LostAnswerMakesOnlyItsStatementUnknown) {
  Load("text_queries");
  const uint16_t port = Port();
  bool armed = false;
  bool dropped = false;
  const std::string path = WriteVariant("lost_answer", [&](size_t, const std::string& record) {
    bool to_server = false;
    const std::string_view payload = TcpPayload(record, port, &to_server);
    if (payload.empty()) return false;
    if (to_server) armed = payload.find("WHERE price > 1") != std::string_view::npos;
    if (!to_server && armed && !dropped) return dropped = true;
    return false;
  });
  Load("text_queries", path);
  ASSERT_TRUE(dropped);
  const Record* lost = FindStatement("SELECT * FROM items WHERE price > 1");
  ASSERT_NE(lost, nullptr);
  EXPECT_EQ(lost->sql_response, SqlResponse::kUnknown);
  EXPECT_FALSE(lost->returned_rows.has_value());
  const Record* update = FindStatement("UPDATE items SET price = price * 2 WHERE name = 'pear'");
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(update->affected_rows, 1u);
  const Record* missing = FindStatement("SELECT 1 FROM nonexistent_table");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->error_code, "1146");
  EXPECT_FALSE(Of(RecordKind::kGap).empty());
}

}  // namespace
}  // namespace dbaudit::sensor::mysql
