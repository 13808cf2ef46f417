#include "sensor/protocols/postgres/session.h"

#include <gtest/gtest.h>

#include <random>

#include "sensor/protocols/postgres/postgres_test_utils.h"
#include "sensor/protocols/postgres/test_data.h"

namespace dbaudit::sensor::postgres {
namespace {

using testing::Be16;
using testing::Be32;
using testing::Bytes;
using testing::Cstr;
using testing::FakeSink;
using testing::Feed;
using testing::Msg;
using testing::TestConn;
using testing::Turn;
namespace td = testdata;
using namespace std::string_literals;

constexpr Direction kC2S = Direction::kClientToServer;
constexpr Direction kS2C = Direction::kServerToClient;

// psql-insert-fail-drop-fail.pcap, abridged: SSL refused, SCRAM login, a NOTICE, a failing INSERT.
std::vector<Turn> PsqlConversation() {
  return {{kC2S, td::kSslRequest},         {kS2C, td::kSslRefused},
          {kC2S, td::kStartupPsql},        {kS2C, td::kAuthSasl},
          {kC2S, td::kSaslInitialResponse}, {kS2C, td::kAuthSaslContinue},
          {kC2S, td::kSaslResponse},       {kS2C, td::kAuthDone},
          {kC2S, td::kQueryDropIfExists},  {kS2C, td::kNoticeDropTable},
          {kC2S, td::kQueryInsertNow},     {kS2C, td::kError42804},
          {kC2S, td::kQuerySelect},        {kS2C, td::kSelectTwoRows},
          {kC2S, td::kTerminate}};
}

class PostgresSessionTest : public ::testing::Test {
 protected:
  void Run(const std::vector<Turn>& turns, bool mid_stream = false, size_t split = SIZE_MAX) {
    Session s(TestConn(mid_stream), &sink_);
    Feed(&s, turns, split);
    s.OnClose(999999, CloseInfo{});
    final_state_ = s.state();
  }
  FakeSink sink_;
  Session::State final_state_ = Session::State::kStartup;
};

TEST_F(PostgresSessionTest, PsqlSessionGivesLoginAndStatements) {
  Run(PsqlConversation());
  ASSERT_EQ(sink_.records.front().kind, RecordKind::kConnect);
  ASSERT_EQ(sink_.records.back().kind, RecordKind::kDisconnect);
  auto logins = sink_.Of(RecordKind::kLogin);
  ASSERT_EQ(logins.size(), 1u);
  EXPECT_TRUE(logins[0].success);
  EXPECT_EQ(logins[0].auth_method, "scram-sha-256");
  EXPECT_EQ(logins[0].session.db_user, "postgres");
  EXPECT_EQ(logins[0].session.database, "postgres");
  EXPECT_EQ(logins[0].session.client_name, "psql");
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[0].sql_statement, "DROP TABLE IF EXISTS t");
  EXPECT_EQ(st[0].command, "simple_query");
  EXPECT_EQ(st[0].sql_response, SqlResponse::kSuccess);
  EXPECT_FALSE(st[0].returned_rows.has_value());
  EXPECT_EQ(st[1].sql_statement, "INSERT INTO t VALUES (now(), now(), now())");
  EXPECT_EQ(st[1].sql_response, SqlResponse::kFailed);
  EXPECT_EQ(st[1].error_code, "42804");
  EXPECT_EQ(st[1].sql_state, "42804");
  EXPECT_NE(st[1].error_msg.find("HINT: You will need"), std::string::npos);
  EXPECT_EQ(st[2].sql_statement, "SELECT * from t");
  EXPECT_EQ(st[2].returned_rows, 2u);
  EXPECT_FALSE(st[2].affected_rows.has_value());
  // RowDescription, both DataRows and CommandComplete; the 6-byte ReadyForQuery comes after
  // the statement is complete.
  EXPECT_EQ(st[2].response_bytes, td::kSelectTwoRows.size() - 6);
  EXPECT_EQ(st[2].latency_us, 1000);
  EXPECT_EQ(final_state_, Session::State::kTerminated);
}

// The same conversation cut at every byte offset of every chunk yields the same records.
TEST_F(PostgresSessionTest, EverySplitPointGivesTheSameRecords) {
  Run(PsqlConversation());
  const std::vector<Record> whole = sink_.records;
  size_t longest = 0;
  for (const Turn& t : PsqlConversation()) longest = std::max(longest, t.bytes.size());
  for (size_t split = 0; split < longest; ++split) {
    FakeSink sink;
    Session s(TestConn(), &sink);
    Feed(&s, PsqlConversation(), split);
    s.OnClose(999999, CloseInfo{});
    ASSERT_EQ(sink.records.size(), whole.size()) << "split " << split;
    for (size_t i = 0; i < whole.size(); ++i) {
      EXPECT_EQ(sink.records[i].kind, whole[i].kind) << split;
      EXPECT_EQ(sink.records[i].sql_statement, whole[i].sql_statement) << split;
      EXPECT_EQ(sink.records[i].returned_rows, whole[i].returned_rows) << split;
      EXPECT_EQ(sink.records[i].response_bytes, whole[i].response_bytes) << split;
    }
  }
}

TEST_F(PostgresSessionTest, NoSecretReachesAnyRecord) {
  Run(PsqlConversation());
  for (const Record& r : sink_.records) {
    for (const std::string* f : {&r.sql_statement, &r.error_msg, &r.auth_method, &r.command}) {
      EXPECT_EQ(f->find("p=Y0Vu"), std::string::npos);
      EXPECT_EQ(f->find("r=TwGb"), std::string::npos);
    }
    EXPECT_TRUE(r.params.empty());
  }
}

TEST_F(PostgresSessionTest, AuthOkThenFatalIsAFailedLogin) {
  Run({{kC2S, td::kSslRequest},
       {kS2C, td::kSslRefused},
       {kC2S, td::kStartupNavicat},
       {kS2C, td::kAuthOkThenNoRole}});
  auto logins = sink_.Of(RecordKind::kLogin);
  ASSERT_EQ(logins.size(), 1u);
  EXPECT_FALSE(logins[0].success);
  EXPECT_EQ(logins[0].error_code, "28000");
  EXPECT_EQ(logins[0].error_msg, "role \"test\" does not exist");
  EXPECT_EQ(logins[0].auth_method, "trust");
  EXPECT_EQ(logins[0].session.client_name, "Navicat");
  EXPECT_TRUE(sink_.Of(RecordKind::kStatement).empty());
}

std::string Startup(const std::string& params) {
  const std::string body = Be32(196608) + params + std::string(1, '\0');
  return Be32(static_cast<uint32_t>(body.size() + 4)) + body;
}

TEST_F(PostgresSessionTest, AuthMethodsFromTheServerChallenge) {
  struct Case {
    std::string challenge;  // Authentication request body
    std::string answer;     // the client's 'p' body
    std::string method;
  } cases[] = {
      {Be32(5) + "\x01\x02\x03\x04", Cstr("md5a3556571e93b0d20722ba62be61e8c2d"), "md5"},
      {Be32(3), Cstr("cleartext-secret"), "password"},
      {Be32(10) + Cstr("SCRAM-SHA-256-PLUS") + Cstr("SCRAM-SHA-256") + std::string(1, '\0'),
       Cstr("SCRAM-SHA-256-PLUS") + Be32(8) + "p=tls-se", "scram-sha-256-plus"},
  };
  for (const Case& c : cases) {
    FakeSink sink;
    Session s(TestConn(), &sink);
    Feed(&s, {{kC2S, Startup(Cstr("user") + Cstr("u1") + Cstr("replication") + Cstr("database") +
                             Cstr("database") + Cstr("db1"))},
              {kS2C, Msg('R', c.challenge)},
              {kC2S, Msg('p', c.answer)},
              {kS2C, Msg('R', Be32(0)) + Msg('Z', "I")}});
    auto logins = sink.Of(RecordKind::kLogin);
    ASSERT_EQ(logins.size(), 1u) << c.method;
    EXPECT_EQ(logins[0].auth_method, c.method);
    EXPECT_TRUE(logins[0].success);
    EXPECT_EQ(logins[0].command, "replication");
    EXPECT_EQ(logins[0].session.database, "db1");
    // The secret the client sent is nowhere in the record.
    EXPECT_EQ(logins[0].error_msg.find("secret"), std::string::npos);
  }
}

TEST_F(PostgresSessionTest, GssEncRefusedThenSslRefusedThenStartup) {
  Run({{kC2S, std::string("\x00\x00\x00\x08\x04\xd2\x16\x30", 8)},
       {kS2C, "N"},
       {kC2S, td::kSslRequest},
       {kS2C, td::kSslRefused},
       {kC2S, td::kStartupNavicat},
       {kS2C, td::kAuthOkThenNoRole}});
  ASSERT_EQ(sink_.Of(RecordKind::kLogin).size(), 1u);
  EXPECT_TRUE(sink_.Of(RecordKind::kEncrypted).empty());
}

TEST_F(PostgresSessionTest, SslAcceptedMeansEncryptedAndNothingElse) {
  Run({{kC2S, td::kSslRequest}, {kS2C, "S"}, {kC2S, "\x16\x03\x01\x02\x05\x01\x07\x01\xfc\x03\x03"},
       {kS2C, "\x16\x03\x03\x01\x7a\x02"}});
  ASSERT_EQ(sink_.Of(RecordKind::kEncrypted).size(), 1u);
  EXPECT_TRUE(sink_.Of(RecordKind::kLogin).empty());
  EXPECT_TRUE(sink_.Of(RecordKind::kStatement).empty());
  EXPECT_EQ(final_state_, Session::State::kEncrypted);
}

TEST_F(PostgresSessionTest, HttpIsNotPostgres) {
  Run({{kC2S, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"}, {kS2C, "HTTP/1.1 200 OK\r\n\r\n"}});
  EXPECT_EQ(final_state_, Session::State::kNotPostgres);
  EXPECT_EQ(sink_.records.size(), 2u);  // connect, disconnect
}

TEST_F(PostgresSessionTest, CancelRequestNamesTheBackend) {
  Run({{kC2S, std::string("\x00\x00\x00\x10\x04\xd2\x16\x2e", 8) + Be32(876) + Be32(0xdeadbeef)}});
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].command, "cancel");
  ASSERT_EQ(st[0].params.size(), 1u);
  EXPECT_EQ(st[0].params[0].value, "876");
  EXPECT_EQ(st[0].sql_response, SqlResponse::kUnknown);
}

// Bytes of a logged-in trust session, to put query-phase exchanges after.
std::vector<Turn> LoggedIn() {
  return {{kC2S, td::kStartupPsql},
          {kS2C, Msg('R', Be32(0)) + Msg('K', Be32(4242) + Be32(1)) + Msg('Z', "I")}};
}

TEST_F(PostgresSessionTest, TracksTransactionStatusAndBackendPid) {
  Session s(TestConn(), &sink_);
  Feed(&s, LoggedIn());
  EXPECT_EQ(s.backend_pid(), 4242u);
  EXPECT_EQ(s.transaction_status(), 'I');
  s.OnData(kC2S, 5000, Bytes(Msg('Q', Cstr("BEGIN"))));
  s.OnData(kS2C, 5100, Bytes(Msg('C', Cstr("BEGIN")) + Msg('Z', "T")));
  EXPECT_EQ(s.transaction_status(), 'T');
  s.OnData(kC2S, 5200, Bytes(Msg('Q', Cstr("SELECT nope"))));
  s.OnData(kS2C, 5300, Bytes(Msg('E', "SERROR\0C42703\0Mcolumn \"nope\" does not exist\0\0"s) +
                              Msg('Z', "E")));
  EXPECT_EQ(s.transaction_status(), 'E');
  EXPECT_EQ(s.state(), Session::State::kReady);
}

TEST_F(PostgresSessionTest, MultiStatementQueryStopsAtTheFailingStatement) {
  auto turns = LoggedIn();
  turns.push_back({kC2S, Msg('Q', Cstr("SELECT 1; UPDATE t SET a = 1; SELEC 2; SELECT 3"))});
  const std::string row_desc = Msg('T', Be16(1) + Cstr("c") + Be32(0) + Be16(0) + Be32(23) +
                                            Be16(4) + Be32(0xFFFFFFFF) + Be16(0));
  turns.push_back({kS2C, row_desc + Msg('D', Be16(1) + Be32(1) + "1") + Msg('C', Cstr("SELECT 1")) +
                             Msg('C', Cstr("UPDATE 7")) +
                             Msg('E', "SERROR\0C42601\0Msyntax error at or near \"SELEC\"\0P32\0\0"s) +
                             Msg('Z', "I")});
  Run(turns);
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[0].sql_statement, "SELECT 1");
  EXPECT_EQ(st[0].returned_rows, 1u);
  EXPECT_EQ(st[1].sql_statement, "UPDATE t SET a = 1");
  EXPECT_EQ(st[1].affected_rows, 7u);
  EXPECT_FALSE(st[1].returned_rows.has_value());
  EXPECT_EQ(st[2].sql_statement, "SELEC 2");
  EXPECT_EQ(st[2].error_code, "42601");
  EXPECT_EQ(st[2].error_msg, "syntax error at or near \"SELEC\" POSITION: 32");
}

std::string Parse(const std::string& name, const std::string& sql, std::vector<uint32_t> oids) {
  std::string body = Cstr(name) + Cstr(sql) + Be16(static_cast<uint16_t>(oids.size()));
  for (uint32_t o : oids) body += Be32(o);
  return Msg('P', body);
}

// Bind with binary format for all parameters.
std::string BindBinary(const std::string& portal, const std::string& stmt,
                       const std::vector<std::string>& values) {
  std::string body = Cstr(portal) + Cstr(stmt) + Be16(1) + Be16(1) +
                     Be16(static_cast<uint16_t>(values.size()));
  for (const std::string& v : values) body += Be32(static_cast<uint32_t>(v.size())) + v;
  return Msg('B', body + Be16(0));
}

std::string Execute(const std::string& portal, uint32_t max_rows = 0) {
  return Msg('E', Cstr(portal) + Be32(max_rows));
}

TEST_F(PostgresSessionTest, PipelinedExtendedQueriesWithBindError) {
  auto turns = LoggedIn();
  // Pipeline: [P B E S] ok, [B E S] fails at Bind, [P S] fails at Parse, then [B E S] ok.
  turns.push_back({kC2S, Parse("s1", "SELECT $1::int4 + $2", {23, 20}) +
                             BindBinary("", "s1", {Be32(40), Be32(0) + Be32(2)}) + Execute("") +
                             Msg('S', "") + BindBinary("", "s1", {Be32(1)}) + Execute("") +
                             Msg('S', "") + Parse("bad", "SELEC 1", {}) + Msg('S', "") +
                             BindBinary("p", "s1", {Be32(1), Be32(0) + Be32(1)}) + Execute("p") +
                             Msg('S', "")});
  const std::string err_bind =
      Msg('E', "SERROR\0C08P01\0Mbind message supplies 1 parameters, but prepared statement "
               "\"s1\" requires 2\0\0"s);
  const std::string err_parse = Msg('E', "SERROR\0C42601\0Msyntax error at or near \"SELEC\"\0\0"s);
  turns.push_back({kS2C, Msg('1', "") + Msg('2', "") + Msg('D', Be16(1) + Be32(2) + "42") +
                             Msg('C', Cstr("SELECT 1")) + Msg('Z', "I") + err_bind + Msg('Z', "I") +
                             err_parse + Msg('Z', "I") + Msg('2', "") +
                             Msg('D', Be16(1) + Be32(1) + "2") + Msg('C', Cstr("SELECT 1")) +
                             Msg('Z', "I")});
  Run(turns);
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 4u);
  EXPECT_EQ(st[0].command, "execute");
  EXPECT_EQ(st[0].sql_statement, "SELECT $1::int4 + $2");
  ASSERT_EQ(st[0].params.size(), 2u);
  EXPECT_EQ(st[0].params[0].type, "int4");
  EXPECT_EQ(st[0].params[0].value, "40");
  EXPECT_EQ(st[0].params[1].type, "int8");
  EXPECT_EQ(st[0].params[1].value, "2");
  EXPECT_EQ(st[0].returned_rows, 1u);
  EXPECT_EQ(st[0].sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(st[1].command, "bind");
  EXPECT_EQ(st[1].error_code, "08P01");
  EXPECT_EQ(st[1].sql_statement, "SELECT $1::int4 + $2");
  EXPECT_EQ(st[2].command, "parse");
  EXPECT_EQ(st[2].sql_statement, "SELEC 1");
  EXPECT_EQ(st[2].error_code, "42601");
  EXPECT_EQ(st[3].command, "execute");
  EXPECT_EQ(st[3].sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(st[3].params[1].value, "1");
}

TEST_F(PostgresSessionTest, OversizedBindStillNamesItsStatement) {
  SessionOptions options;
  options.max_buffer_bytes = 256;  // the Bind below does not fit
  Session s(TestConn(), &sink_, options);
  Feed(&s, LoggedIn());
  const std::string big(1000, 'b');
  s.OnData(kC2S, 5000, Bytes(Parse("up", "UPDATE f SET data = $1", {17})));
  const std::string bind = BindBinary("", "up", {big});
  s.OnData(kC2S, 5001, Bytes(bind).subspan(0, 200));
  s.OnData(kC2S, 5002, Bytes(bind).subspan(200));
  s.OnData(kC2S, 5003, Bytes(Execute("") + Msg('S', "")));
  s.OnData(kS2C, 6000, Bytes(Msg('1', "") + Msg('2', "") + Msg('C', Cstr("UPDATE 1")) +
                              Msg('Z', "I")));
  s.OnClose(7000, CloseInfo{});
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].sql_statement, "UPDATE f SET data = $1");
  EXPECT_EQ(st[0].affected_rows, 1u);
  EXPECT_TRUE(st[0].params.empty());
}

TEST_F(PostgresSessionTest, FunctionCallDescribeCloseAndEmptyQuery) {
  auto turns = LoggedIn();
  // FunctionCall lo_creat(oid 957) with one int4 argument in binary.
  turns.push_back({kC2S, Msg('F', Be32(957) + Be16(1) + Be16(1) + Be16(1) + Be32(4) + Be32(0x60000) +
                                      Be16(1))});
  turns.push_back({kS2C, Msg('V', Be32(4) + Be32(16417)) + Msg('Z', "T")});
  turns.push_back({kC2S, Parse("st", "SELECT $1", {25}) + Msg('D', "S" + Cstr("st")) +
                             Msg('C', "S" + Cstr("st")) + Msg('S', "")});
  turns.push_back({kS2C, Msg('1', "") + Msg('t', Be16(1) + Be32(25)) + Msg('n', "") +
                             Msg('3', "") + Msg('Z', "I")});
  turns.push_back({kC2S, Msg('Q', Cstr(""))});
  turns.push_back({kS2C, Msg('I', "") + Msg('Z', "I")});
  turns.push_back({kC2S, Msg('Q', Cstr("SELECT 1"))});
  turns.push_back({kS2C, Msg('D', Be16(1) + Be32(1) + "1") + Msg('C', Cstr("SELECT 1")) +
                             Msg('Z', "I")});
  Run(turns);
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].command, "function_call");
  ASSERT_EQ(st[0].params.size(), 2u);
  EXPECT_EQ(st[0].params[0].type, "function_oid");
  EXPECT_EQ(st[0].params[0].value, "957");
  EXPECT_EQ(st[0].sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(st[1].sql_statement, "SELECT 1");  // the queue stayed aligned
  EXPECT_EQ(st[1].returned_rows, 1u);
}

TEST_F(PostgresSessionTest, DescribedStatementGivesParameterTypes) {
  auto turns = LoggedIn();
  // Parse with unspecified types, Describe the statement, then Bind/Execute text parameters.
  turns.push_back({kC2S, Parse("q", "SELECT $1 + $2", {0, 0}) + Msg('D', "S" + Cstr("q")) +
                             Msg('S', "")});
  turns.push_back({kS2C, Msg('1', "") + Msg('t', Be16(2) + Be32(23) + Be32(20)) +
                             Msg('T', Be16(1) + Cstr("?column?") + Be32(0) + Be16(0) + Be32(20) +
                                          Be16(8) + Be32(0xFFFFFFFF) + Be16(0)) +
                             Msg('Z', "I")});
  turns.push_back({kC2S, Msg('B', Cstr("") + Cstr("q") + Be16(0) + Be16(2) + Be32(1) + "1" +
                                      Be32(1) + "2" + Be16(0)) +
                             Execute("") + Msg('S', "")});
  turns.push_back({kS2C, Msg('2', "") + Msg('D', Be16(1) + Be32(1) + "3") +
                             Msg('C', Cstr("SELECT 1")) + Msg('Z', "I")});
  Run(turns);
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 1u);
  ASSERT_EQ(st[0].params.size(), 2u);
  EXPECT_EQ(st[0].params[0].type, "int4");
  EXPECT_EQ(st[0].params[1].type, "int8");
  EXPECT_EQ(st[0].params[1].value, "2");
  EXPECT_EQ(st[0].returned_rows, 1u);
}

TEST_F(PostgresSessionTest, RowLimitedExecuteAndPortalSuspended) {
  auto turns = LoggedIn();
  const std::string row = Msg('D', Be16(1) + Be32(1) + "x");
  turns.push_back({kC2S, Parse("", "SELECT x FROM t", {}) + Msg('B', Cstr("c") + Cstr("") +
                                                                          Be16(0) + Be16(0) + Be16(0)) +
                             Execute("c", 2) + Msg('H', "")});
  turns.push_back({kS2C, Msg('1', "") + Msg('2', "") + row + row + Msg('s', "")});
  turns.push_back({kC2S, Execute("c", 2) + Msg('S', "")});
  turns.push_back({kS2C, row + Msg('C', Cstr("SELECT 1")) + Msg('Z', "I")});
  Run(turns);
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].returned_rows, 2u);
  EXPECT_EQ(st[0].sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(st[1].returned_rows, 1u);
  EXPECT_EQ(st[1].sql_statement, "SELECT x FROM t");
}

TEST_F(PostgresSessionTest, CopyInAndCopyOutCountRows) {
  auto turns = LoggedIn();
  turns.push_back({kC2S, Msg('Q', Cstr("COPY t FROM STDIN"))});
  turns.push_back({kS2C, Msg('G', std::string(1, '\0') + Be16(1) + Be16(0))});
  turns.push_back({kC2S, Msg('d', "1\n") + Msg('d', "2\n") + Msg('d', "3\n") + Msg('c', "")});
  turns.push_back({kS2C, Msg('C', Cstr("COPY 3")) + Msg('Z', "I")});
  turns.push_back({kC2S, Msg('Q', Cstr("COPY t TO STDOUT"))});
  turns.push_back({kS2C, Msg('H', std::string(1, '\0') + Be16(1) + Be16(0)) + Msg('d', "1\n") +
                             Msg('d', "2\n") + Msg('c', "") + Msg('C', Cstr("COPY 2")) +
                             Msg('Z', "I")});
  Run(turns);
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].command, "copy");
  EXPECT_EQ(st[0].affected_rows, 3u);
  EXPECT_EQ(st[1].command, "copy");
  EXPECT_EQ(st[1].returned_rows, 2u);
  EXPECT_EQ(final_state_, Session::State::kReady);
}

TEST_F(PostgresSessionTest, GapInsideDataRowKeepsSync) {
  Session s(TestConn(), &sink_);
  Feed(&s, LoggedIn());
  s.OnData(kC2S, 5000, Bytes(Msg('Q', Cstr("SELECT big FROM t"))));
  const std::string big_row = Msg('D', Be16(1) + Be32(1000) + std::string(1000, 'z'));
  s.OnData(kS2C, 6000, Bytes(big_row).subspan(0, 100));
  s.OnGap(kS2C, 6100, 500);
  s.OnData(kS2C, 6200, Bytes(big_row).subspan(600));
  s.OnData(kS2C, 6300, Bytes(Msg('C', Cstr("SELECT 1")) + Msg('Z', "I")));
  s.OnClose(7000, CloseInfo{});
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(st[0].returned_rows, 1u);
  EXPECT_EQ(sink_.Of(RecordKind::kGap).size(), 1u);
}

TEST_F(PostgresSessionTest, LostResponseIsUnknownAndTheNextQueryIsFound) {
  Session s(TestConn(), &sink_);
  Feed(&s, LoggedIn());
  s.OnData(kC2S, 5000, Bytes(Msg('Q', Cstr("DELETE FROM t"))));
  s.OnGap(kS2C, 6000, 40);  // the whole response is lost
  s.OnData(kC2S, 7000, Bytes(Msg('Q', Cstr("SELECT 2"))));
  s.OnData(kS2C, 8000, Bytes(Msg('D', Be16(1) + Be32(1) + "2") + Msg('C', Cstr("SELECT 1")) +
                              Msg('Z', "I")));
  s.OnClose(9000, CloseInfo{});
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].sql_statement, "DELETE FROM t");
  EXPECT_EQ(st[0].sql_response, SqlResponse::kUnknown);
  EXPECT_EQ(st[0].latency_us, -1);
  EXPECT_EQ(st[1].sql_statement, "SELECT 2");
  EXPECT_EQ(st[1].sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(st[1].returned_rows, 1u);
}

TEST_F(PostgresSessionTest, LostClientBytesResyncOnTheNextQueryNotOnLookalikeText) {
  Session s(TestConn(), &sink_);
  Feed(&s, LoggedIn());
  s.OnGap(kC2S, 5000, 300);
  // The tail of a lost Query: "d 1 ..." reads like a CopyData header of ~540 MB.
  const std::string tail = std::string("WHERE d 1 = 1 AND note = 'd !!'", 31) + std::string(1, '\0');
  s.OnData(kC2S, 5100, Bytes(tail));
  // The answer to the lost Query has no request waiting for it: dropped, not misattributed.
  s.OnData(kS2C, 5200, Bytes(Msg('C', Cstr("SELECT 0")) + Msg('Z', "I")));
  s.OnData(kC2S, 5250, Bytes(Msg('Q', Cstr("SELECT 5"))));
  s.OnData(kS2C, 5300, Bytes(Msg('D', Be16(1) + Be32(1) + "5") + Msg('C', Cstr("SELECT 1")) +
                              Msg('Z', "I")));
  s.OnClose(9000, CloseInfo{});
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].sql_statement, "SELECT 5");
  EXPECT_EQ(st[0].returned_rows, 1u);
  EXPECT_EQ(st[0].sql_response, SqlResponse::kSuccess);
}

TEST_F(PostgresSessionTest, MidStreamPickupReportsStatementsWithoutUser) {
  // The stream starts inside a DataRow of an earlier response.
  Run({{kS2C, std::string("\x00\x05hello", 7) + Msg('C', Cstr("SELECT 9")) + Msg('Z', "I")},
       {kC2S, std::string("tail of something") + Msg('Q', Cstr("SELECT now()"))},
       {kS2C, Msg('D', Be16(1) + Be32(3) + "now") + Msg('C', Cstr("SELECT 1")) + Msg('Z', "I")}},
      /*mid_stream=*/true);
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].sql_statement, "SELECT now()");
  EXPECT_EQ(st[0].sql_response, SqlResponse::kSuccess);
  EXPECT_TRUE(st[0].session.db_user.empty());
  EXPECT_TRUE(sink_.Of(RecordKind::kLogin).empty());
}

TEST_F(PostgresSessionTest, ClientLeavingBeforeTheAnswerGivesUnknownOutcome) {
  auto turns = LoggedIn();
  turns.push_back({kC2S, Msg('Q', Cstr("SELECT pg_sleep(100)"))});
  Run(turns);
  auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].sql_response, SqlResponse::kUnknown);
}

TEST_F(PostgresSessionTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  const auto base = PsqlConversation();
  for (int iter = 0; iter < 300; ++iter) {
    FakeSink sink;
    Session s(TestConn(iter % 2 == 0), &sink);
    int64_t ts = 0;
    for (const Turn& t : base) {
      std::string b = t.bytes;
      for (int k = 0; k < 3 && !b.empty(); ++k) b[rng() % b.size()] = static_cast<char>(rng());
      if (rng() % 5 == 0) s.OnGap(t.dir, ts, rng() % 100);
      s.OnData(t.dir, ts++, Bytes(b));
    }
    std::string noise(rng() % 2000, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    s.OnData(rng() % 2 ? kC2S : kS2C, ts, Bytes(noise));
    s.OnClose(ts, CloseInfo{});
    EXPECT_EQ(sink.records.back().kind, RecordKind::kDisconnect);
  }
}

}  // namespace
}  // namespace dbaudit::sensor::postgres
