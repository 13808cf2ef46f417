#include "sensor/protocols/mysql/session.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <random>
#include <string>
#include <vector>

#include "sensor/protocols/mysql/mysql_test_utils.h"
#include "sensor/protocols/mysql/test_data.h"

namespace dbaudit::sensor::mysql {
namespace {

using testing::Bytes;
using testing::CollectingSink;
using testing::ErrPacket;
using testing::MakePacket;
using testing::OkPacket;
using testing::QueryPacket;
using testing::TestConnection;

constexpr Direction kC = Direction::kClientToServer;
constexpr Direction kS = Direction::kServerToClient;

struct Message {
  Direction dir;
  std::string bytes;
};

class MysqlSessionTest : public ::testing::Test {
 protected:
  // Feeds each message in two chunks cut at `split` (clipped to the message).
  void Feed(Session& s, const std::vector<Message>& messages, size_t split = SIZE_MAX) {
    for (const Message& m : messages) {
      const size_t k = std::min(split, m.bytes.size());
      ts_ += 100;
      if (k > 0) s.OnData(m.dir, ts_, Bytes(std::string_view(m.bytes).substr(0, k)));
      if (k < m.bytes.size()) s.OnData(m.dir, ts_, Bytes(std::string_view(m.bytes).substr(k)));
    }
  }

  static std::vector<Message> Login() {
    return {{kS, std::string(testdata::kGreeting)},
            {kC, std::string(testdata::kHandshakeResponse)},
            {kS, std::string(testdata::kLoginOk)}};
  }

  void Close(Session& s) { s.OnClose(ts_ + 1, CloseInfo{}); }

  int64_t ts_ = 1000;
  CollectingSink sink_;
};

TEST_F(MysqlSessionTest, LoginAndQueriesAtEverySplitPoint) {
  std::vector<Message> conversation = Login();
  conversation.push_back({kC, std::string(testdata::kQueryCount)});
  conversation.push_back({kS, std::string(testdata::kCountResultSet)});
  conversation.push_back({kC, QueryPacket("SELECT 1 FROM nonexistent_table")});
  conversation.push_back({kS, std::string(testdata::kErrNoSuchTable)});
  for (size_t split = 0; split <= testdata::kHandshakeResponse.size(); ++split) {
    CollectingSink sink;
    ts_ = 1000;
    Session s(TestConnection(), &sink);
    Feed(s, conversation, split);
    Close(s);
    ASSERT_EQ(sink.records.size(), 5u) << "split " << split;
    EXPECT_EQ(sink.records[0].kind, RecordKind::kConnect);
    EXPECT_EQ(sink.records[0].timestamp_us, 1000);  // dated at the connection start
    const Record& login = sink.records[1];
    EXPECT_EQ(login.kind, RecordKind::kLogin);
    EXPECT_TRUE(login.success);
    EXPECT_EQ(login.session.db_user, "audit");
    EXPECT_EQ(login.session.database, "shop");
    EXPECT_EQ(login.session.client_name, "mysql");
    EXPECT_EQ(login.auth_method, "mysql_native_password");
    const Record& count = sink.records[2];
    EXPECT_EQ(count.command, "query");
    EXPECT_EQ(count.sql_statement, "SELECT COUNT(*) FROM items");
    EXPECT_EQ(count.sql_response, SqlResponse::kSuccess);
    EXPECT_EQ(count.returned_rows, 1u);
    EXPECT_EQ(count.response_bytes, testdata::kCountResultSet.size());
    EXPECT_EQ(count.latency_us, 100);
    const Record& err = sink.records[3];
    EXPECT_EQ(err.sql_response, SqlResponse::kFailed);
    EXPECT_EQ(err.error_code, "1146");
    EXPECT_EQ(err.sql_state, "42S02");
    EXPECT_EQ(err.error_msg, "Table 'shop.nonexistent_table' doesn't exist");
    EXPECT_EQ(sink.records[4].kind, RecordKind::kDisconnect);
    EXPECT_EQ(s.state(), Session::State::kCommand);
  }
}

TEST_F(MysqlSessionTest, PreparedCursorFetchAtEverySplitPoint) {
  std::vector<Message> conversation = Login();
  conversation.push_back({kC, std::string(testdata::kPrepareSelect)});
  conversation.push_back({kS, std::string(testdata::kPrepareSelectOk)});
  conversation.push_back({kC, std::string(testdata::kExecuteCursor)});
  conversation.push_back({kS, std::string(testdata::kExecuteCursorResponse)});
  conversation.push_back({kC, std::string(testdata::kFetchTwo)});
  conversation.push_back({kS, std::string(testdata::kFetchTwoRows)});
  for (size_t split = 0; split <= testdata::kPrepareSelectOk.size(); ++split) {
    CollectingSink sink;
    Session s(TestConnection(), &sink);
    Feed(s, conversation, split);
    const auto st = sink.Of(RecordKind::kStatement);
    ASSERT_EQ(st.size(), 3u) << split;
    EXPECT_EQ(st[0]->command, "prepare");
    EXPECT_EQ(st[1]->command, "execute");
    EXPECT_EQ(st[1]->sql_statement, "SELECT i, v FROM typed WHERE i > ? ORDER BY i");
    ASSERT_EQ(st[1]->params.size(), 1u);
    EXPECT_EQ(st[1]->params[0].type, "LONG");
    EXPECT_EQ(st[1]->params[0].value, "0");
    EXPECT_EQ(st[1]->returned_rows, 0u);  // the cursor holds the rows
    EXPECT_EQ(st[2]->command, "stmt_fetch");
    EXPECT_EQ(st[2]->returned_rows, 2u);
    EXPECT_EQ(st[2]->sql_response, SqlResponse::kSuccess);
  }
}

TEST_F(MysqlSessionTest, ServerGapGivesUnknownOutcomeAndTheNextAnswerStaysRight) {
  Session s(TestConnection(), &sink_);
  Feed(s, Login());
  Feed(s, {{kC, std::string(testdata::kQueryCount)},
           {kS, std::string(testdata::kCountResultSet.substr(0, 20))}});
  s.OnGap(kS, ts_, 30);
  // The rest of the lost answer arrives, then a new request and its answer.
  Feed(s, {{kS, std::string(testdata::kCountResultSet.substr(50))},
           {kC, QueryPacket("DELETE FROM items")},
           {kS, OkPacket(1, 4)}});
  const auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0]->sql_statement, "SELECT COUNT(*) FROM items");
  EXPECT_EQ(st[0]->sql_response, SqlResponse::kUnknown);
  EXPECT_FALSE(st[0]->returned_rows.has_value());
  EXPECT_EQ(st[1]->sql_statement, "DELETE FROM items");
  EXPECT_EQ(st[1]->sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(st[1]->affected_rows, 4u);
  ASSERT_EQ(sink_.Of(RecordKind::kGap).size(), 1u);
  EXPECT_EQ(sink_.Of(RecordKind::kGap)[0]->gap_bytes, 30u);
}

TEST_F(MysqlSessionTest, ServerGapReportedAfterTheNextRequestLosesOnlyTheFirstAnswer) {
  Session s(TestConnection(), &sink_);
  Feed(s, Login());
  // The answer to the first query is lost; the reassembler reports it once the client's next
  // request and the answer to that have been seen.
  Feed(s, {{kC, std::string(testdata::kQueryCount)}, {kC, QueryPacket("DELETE FROM items")}});
  s.OnGap(kS, ts_, testdata::kCountResultSet.size());
  Feed(s, {{kS, OkPacket(1, 2)}});
  const auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0]->sql_response, SqlResponse::kUnknown);
  EXPECT_EQ(st[1]->sql_statement, "DELETE FROM items");
  EXPECT_EQ(st[1]->sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(st[1]->affected_rows, 2u);
}

TEST_F(MysqlSessionTest, AfterAServerGapATailOfTheOldAnswerIsNotTakenForTheNextOne) {
  Session s(TestConnection(), &sink_);
  Feed(s, Login());
  Feed(s, {{kC, std::string(testdata::kQueryCount)}, {kC, QueryPacket("DELETE FROM items")}});
  s.OnGap(kS, ts_, 20);
  // What follows the gap is the rest of the first answer (sequence 2 onwards), then the OK.
  Feed(s, {{kS, std::string(testdata::kCountResultSet.substr(6))}, {kS, OkPacket(1, 2)}});
  const auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0]->sql_response, SqlResponse::kUnknown);
  EXPECT_EQ(st[1]->sql_response, SqlResponse::kUnknown);  // never the other request's rows
}

TEST_F(MysqlSessionTest, ClientGapResynchronisesOnTheNextPlausibleRequest) {
  Session s(TestConnection(), &sink_);
  Feed(s, Login());
  const std::string lost = QueryPacket("UPDATE items SET price = 0");
  Feed(s, {{kC, lost.substr(0, 9)}});
  s.OnGap(kC, ts_, 10);
  EXPECT_EQ(s.state(), Session::State::kOutOfSync);
  // Tail of the lost request, its answer (which must not be attached to anything), then garbage
  // and a real request.
  Feed(s, {{kC, lost.substr(19)},
           {kS, OkPacket(1, 9)},
           {kC, std::string("\x07\xff\x00\x01zzzz", 8) + QueryPacket("SELECT 2")},
           {kS, std::string(testdata::kCountResultSet)}});
  EXPECT_EQ(s.state(), Session::State::kCommand);
  const auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0]->sql_statement, "SELECT 2");
  EXPECT_EQ(st[0]->sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(st[0]->returned_rows, 1u);
}

TEST_F(MysqlSessionTest, FalseStartAfterResyncIsDroppedWhenTheServerSpeaks) {
  Session s(TestConnection(), &sink_);
  Feed(s, Login());
  s.OnGap(kC, ts_, 100);
  // Looks like the start of a 255-byte COM_QUERY, but the rest never comes: the server answers
  // the (lost) real request instead.
  Feed(s, {{kC, std::string("\xff\x00\x00\x00\x03SELECT name FROM t WHERE", 29)},
           {kS, OkPacket(1, 1)},
           {kC, QueryPacket("SELECT 3")},
           {kS, std::string(testdata::kCountResultSet)}});
  const auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0]->sql_statement, "SELECT 3");
  EXPECT_EQ(st[0]->sql_response, SqlResponse::kSuccess);
}

TEST_F(MysqlSessionTest, MidStreamPickupReportsStatementsWithUnknownUser) {
  Session s(TestConnection(/*mid_stream=*/true), &sink_);
  Feed(s, {{kS, std::string(testdata::kCountResultSet.substr(30))},  // tail of an older answer
           {kC, std::string(testdata::kQueryCount)},
           {kS, std::string(testdata::kCountResultSet)},
           {kC, MakePacket(0, "\x0e")},  // ping
           {kS, OkPacket(1, 0)}});
  Close(s);
  ASSERT_EQ(sink_.Of(RecordKind::kConnect).size(), 1u);
  EXPECT_TRUE(sink_.Of(RecordKind::kLogin).empty());
  const auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0]->session.db_user, "");
  EXPECT_EQ(st[0]->returned_rows, 1u);
  EXPECT_EQ(st[1]->command, "ping");
  EXPECT_EQ(st[1]->sql_response, SqlResponse::kSuccess);
}

TEST_F(MysqlSessionTest, MidStreamExecuteOfAnUnseenPrepareStillShowsItsParameters) {
  Session s(TestConnection(/*mid_stream=*/true), &sink_);
  Feed(s, {{kC, std::string(testdata::kQueryCount)},
           {kS, std::string(testdata::kCountResultSet)},
           {kC, std::string(testdata::kExecuteAllTypes)},
           {kS, OkPacket(1, 1)}});
  const auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[1]->command, "execute");
  EXPECT_EQ(st[1]->sql_statement, "");  // prepared before the capture
  ASSERT_EQ(st[1]->params.size(), 16u);  // count found from the packet itself
  EXPECT_EQ(st[1]->params[0].value, "-5");
  EXPECT_EQ(st[1]->params[12].value, "O'Reilly");
  EXPECT_EQ(st[1]->affected_rows, 1u);
}

TEST_F(MysqlSessionTest, LargeRowsAreCountedWithoutBufferingAndLongSqlIsCut) {
  SessionOptions options;
  options.max_server_packet_bytes = 1024;
  options.max_sql_bytes = 100;
  Session s(TestConnection(), &sink_, options);
  Feed(s, Login());
  const std::string sql = "SELECT blob_col FROM t WHERE " + std::string(200, 'x');
  // Column count 1, a column definition, EOF, a 5000-byte row, a 3-byte row, EOF.
  const std::string big_row = MakePacket(4, "\xfc\x85\x13" + std::string(4997 - 2, 'b'));
  const std::string answer = MakePacket(1, "\x01") + MakePacket(2, std::string(20, 'd')) +
                             MakePacket(3, std::string("\xfe\x00\x00\x02\x00", 5)) +
                             big_row + MakePacket(5, "\x02ok") +
                             MakePacket(6, std::string("\xfe\x00\x00\x02\x00", 5));
  Feed(s, {{kC, QueryPacket(sql)}, {kS, answer}}, 700);
  const auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0]->sql_statement, sql.substr(0, 100));
  EXPECT_EQ(st[0]->returned_rows, 2u);
  EXPECT_EQ(st[0]->response_bytes, answer.size());
  EXPECT_EQ(st[0]->sql_response, SqlResponse::kSuccess);
}

TEST_F(MysqlSessionTest, NonMysqlTrafficYieldsNoRecords) {
  {
    Session s(TestConnection(), &sink_);
    Feed(s, {{kS, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"},
             {kC, "GET / HTTP/1.1\r\nHost: db\r\n\r\n"}});
    Close(s);
    EXPECT_EQ(s.state(), Session::State::kNotMysql);
  }
  {
    Session s(TestConnection(), &sink_);  // client speaks first: scanned, never confirmed
    Feed(s, {{kC, "GET / HTTP/1.1\r\nHost: db\r\n\r\n"}, {kS, "HTTP/1.1 200 OK\r\n\r\n"}});
    Close(s);
  }
  EXPECT_TRUE(sink_.records.empty());
}

TEST_F(MysqlSessionTest, SslRequestMarksTheSessionEncrypted) {
  std::string ssl(testdata::kHandshakeResponse.substr(4, 32));
  ssl[1] = static_cast<char>(ssl[1] | 0x08);  // CLIENT_SSL
  Session s(TestConnection(), &sink_);
  Feed(s, {{kS, std::string(testdata::kGreeting)},
           {kC, MakePacket(1, ssl) + "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"},
           {kS, "\x16\x03\x03\x00\x7a\x02\x00\x00\x76"},
           {kC, QueryPacket("SELECT 'looks like sql'")}});
  Close(s);
  EXPECT_EQ(s.state(), Session::State::kEncrypted);
  EXPECT_EQ(sink_.Of(RecordKind::kEncrypted).size(), 1u);
  EXPECT_TRUE(sink_.Of(RecordKind::kStatement).empty());
  EXPECT_TRUE(sink_.Of(RecordKind::kLogin).empty());
}

TEST_F(MysqlSessionTest, PipelinedRequestsGetTheirOwnAnswers) {
  Session s(TestConnection(), &sink_);
  Feed(s, Login());
  Feed(s, {{kC, QueryPacket("INSERT INTO t VALUES (1)") + QueryPacket("INSERT INTO t VALUES (2),(3)")},
           {kS, OkPacket(1, 1) + OkPacket(1, 2)}});
  const auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0]->affected_rows, 1u);
  EXPECT_EQ(st[1]->affected_rows, 2u);
}

TEST_F(MysqlSessionTest, LocalInfileCountsTheFinalOk) {
  Session s(TestConnection(), &sink_);
  Feed(s, Login());
  Feed(s, {{kC, QueryPacket("LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE t")},
           {kS, MakePacket(1, "\xfbx.csv")},
           {kC, MakePacket(2, "1,a\n2,b\n") + MakePacket(3, "")},
           {kS, OkPacket(4, 2)}});
  const auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0]->sql_response, SqlResponse::kSuccess);
  EXPECT_EQ(st[0]->affected_rows, 2u);
}

TEST_F(MysqlSessionTest, QuitAndUnansweredRequestsHaveUnknownOutcome) {
  Session s(TestConnection(), &sink_);
  Feed(s, Login());
  Feed(s, {{kC, QueryPacket("SELECT SLEEP(100)")}, {kC, MakePacket(0, "\x01")}});
  Close(s);
  const auto st = sink_.Of(RecordKind::kStatement);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0]->command, "quit");  // emitted when sent: it never gets an answer
  EXPECT_EQ(st[0]->sql_response, SqlResponse::kUnknown);
  EXPECT_EQ(st[1]->sql_statement, "SELECT SLEEP(100)");
  EXPECT_EQ(st[1]->sql_response, SqlResponse::kUnknown);
  EXPECT_EQ(st[1]->latency_us, -1);
}

TEST_F(MysqlSessionTest, FailedLoginCarriesTheServerError) {
  Session s(TestConnection(), &sink_);
  Feed(s, {{kS, std::string(testdata::kGreeting)},
           {kC, std::string(testdata::kHandshakeResponse)},
           {kS, ErrPacket(2, 1045, "28000", "Access denied for user 'audit'@'127.0.0.1'")}});
  const auto logins = sink_.Of(RecordKind::kLogin);
  ASSERT_EQ(logins.size(), 1u);
  EXPECT_FALSE(logins[0]->success);
  EXPECT_EQ(logins[0]->error_code, "1045");
  EXPECT_EQ(logins[0]->sql_state, "28000");
}

// zstd compression negotiated in the handshake: everything after the login OK is framed.
std::string ZstdFrame(uint8_t seq, const std::string& inner) {
  std::string z(ZSTD_compressBound(inner.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), inner.data(), inner.size(), 1));
  std::string f = MakePacket(seq, z).substr(0, 4);
  f.push_back(static_cast<char>(inner.size() & 0xff));
  f.push_back(static_cast<char>((inner.size() >> 8) & 0xff));
  f.push_back(static_cast<char>(inner.size() >> 16));
  return f + z;
}

TEST_F(MysqlSessionTest, ZstdCompressedSessionAtEverySplitPoint) {
  std::string greeting(testdata::kGreeting);
  greeting[4 + 1 + 37 + 4 + 8 + 1 + 2 + 1 + 2 + 1] |= 0x04;  // server caps: ZSTD (bit 26)
  std::string hr(testdata::kHandshakeResponse.substr(4));
  hr[3] = static_cast<char>(hr[3] | 0x04);  // client caps: ZSTD (bit 26)
  hr.push_back('\x03');                      // zstd compression level
  const std::vector<Message> login = {{kS, greeting}, {kC, MakePacket(1, hr)},
                                      {kS, std::string(testdata::kLoginOk)}};
  const std::string query = ZstdFrame(0, std::string(testdata::kQueryCount));
  const std::string answer = ZstdFrame(1, std::string(testdata::kCountResultSet));
  for (size_t split = 0; split <= answer.size(); ++split) {
    CollectingSink sink;
    Session s(TestConnection(), &sink);
    Feed(s, login);
    Feed(s, {{kC, query}, {kS, answer}}, split);
    const auto st = sink.Of(RecordKind::kStatement);
    ASSERT_EQ(st.size(), 1u) << split;
    EXPECT_EQ(st[0]->sql_statement, "SELECT COUNT(*) FROM items");
    EXPECT_EQ(st[0]->returned_rows, 1u);
  }
}

TEST_F(MysqlSessionTest, RandomBytesNeverCrash) {
  std::mt19937 rng(3);
  for (int round = 0; round < 300; ++round) {
    CollectingSink sink;
    Session s(TestConnection(round % 2 == 0), &sink);
    if (round % 3 == 0) Feed(s, Login());
    for (int chunk = 0; chunk < 20; ++chunk) {
      std::string bytes(rng() % 200, '\0');
      for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? 0 : rng());
      const Direction dir = rng() % 2 ? kC : kS;
      if (rng() % 10 == 0) {
        s.OnGap(dir, ts_, rng() % 100);
      } else {
        s.OnData(dir, ts_, Bytes(bytes));
      }
    }
    Close(s);
  }
}

}  // namespace
}  // namespace dbaudit::sensor::mysql
