// Structured messages decoded from real bytes: handshake, OK/ERR, commands, binary values.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "sensor/protocols/mysql/binary_value.h"
#include "sensor/protocols/mysql/command.h"
#include "sensor/protocols/mysql/handshake.h"
#include "sensor/protocols/mysql/mysql_test_utils.h"
#include "sensor/protocols/mysql/response.h"
#include "sensor/protocols/mysql/session.h"
#include "sensor/protocols/mysql/test_data.h"

namespace dbaudit::sensor::mysql {
namespace {

using testing::Bytes;

absl::Span<const uint8_t> Payload(std::string_view packet) {
  return Bytes(packet.substr(kPacketHeaderBytes));
}

TEST(MysqlHandshakeTest, ParsesMariaDbGreeting) {
  Greeting g;
  ASSERT_TRUE(ParseGreeting(Payload(testdata::kGreeting), &g));
  EXPECT_EQ(g.protocol_version, 10);
  EXPECT_EQ(g.server_version, "5.5.5-10.11.19-MariaDB-0+deb12u1-log");
  EXPECT_EQ(g.connection_id, 6u);
  EXPECT_EQ(g.auth_plugin, "mysql_native_password");
  EXPECT_TRUE(g.capabilities & kClientProtocol41);
  EXPECT_FALSE(g.capabilities & kClientLongPassword);      // MariaDB: extended caps follow
  EXPECT_TRUE(g.capabilities & kMariaDbClientCacheMetadata);  // 0x1d << 32 has bit 36
}

TEST(MysqlHandshakeTest, ParsesHandshakeResponseWithoutKeepingTheScramble) {
  HandshakeResponse hr;
  ASSERT_TRUE(ParseHandshakeResponse(Payload(testdata::kHandshakeResponse), &hr));
  EXPECT_FALSE(hr.ssl_request);
  EXPECT_EQ(hr.user, "audit");
  EXPECT_EQ(hr.database, "shop");
  EXPECT_EQ(hr.auth_plugin, "mysql_native_password");
  EXPECT_EQ(hr.program_name, "mysql");
  EXPECT_TRUE(hr.capabilities & kClientConnectAttrs);
}

TEST(MysqlHandshakeTest, TruncatedHandshakeResponseIsRejectedAtEveryLength) {
  const auto payload = Payload(testdata::kHandshakeResponse);
  // Up to the end of the user name the message is incomplete; 32 bytes alone is an SSLRequest
  // only when CLIENT_SSL is set (it is not here).
  for (size_t n = 0; n < 38; ++n) {
    HandshakeResponse hr;
    EXPECT_FALSE(ParseHandshakeResponse(payload.subspan(0, n), &hr)) << n;
  }
}

TEST(MysqlHandshakeTest, SslRequestIsRecognised) {
  std::string ssl(testdata::kHandshakeResponse.substr(4, 32));
  ssl[1] = static_cast<char>(ssl[1] | 0x08);  // CLIENT_SSL is bit 11
  HandshakeResponse hr;
  ASSERT_TRUE(ParseHandshakeResponse(Bytes(ssl), &hr));
  EXPECT_TRUE(hr.ssl_request);
  EXPECT_TRUE(hr.user.empty());
}

TEST(MysqlResponseTest, OkWithSessionTrackerReportsTheSchema) {
  OkPacket ok;
  ASSERT_TRUE(ParseOk(Payload(testdata::kLoginOk), kClientProtocol41 | kClientSessionTrack, &ok));
  EXPECT_EQ(ok.affected_rows, 0u);
  EXPECT_EQ(ok.status, 0x4002);
  EXPECT_TRUE(ok.schema_changed);
  EXPECT_EQ(ok.schema, "shop");
}

TEST(MysqlResponseTest, ErrCarriesCodeStateAndMessage) {
  ErrPacket err;
  ASSERT_TRUE(ParseErr(Payload(testdata::kErrNoSuchTable), &err));
  EXPECT_EQ(err.code, 1146);
  EXPECT_EQ(err.sql_state, "42S02");
  EXPECT_EQ(err.message, "Table 'shop.nonexistent_table' doesn't exist");
}

TEST(MysqlCommandTest, PlausibleRequestsAndNot) {
  EXPECT_TRUE(IsPlausibleRequest(Bytes(testdata::kQueryCount)));
  EXPECT_TRUE(IsPlausibleRequest(Bytes(testdata::kExecuteCursor)));
  EXPECT_TRUE(IsPlausibleRequest(Bytes(testdata::kFetchTwo)));
  EXPECT_TRUE(IsPlausibleRequest(Bytes(std::string("\x01\x00\x00\x00\x0e", 5))));  // ping
  EXPECT_FALSE(IsPlausibleRequest(Bytes(std::string("\x02\x00\x00\x00\x0e\x00", 6))));  // ping + 1
  EXPECT_FALSE(IsPlausibleRequest(Bytes(testdata::kLoginOk)));          // sequence 2
  EXPECT_FALSE(IsPlausibleRequest(Bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_FALSE(IsPlausibleRequest(Bytes(std::string("\x05\x00\x00\x00\x03\x01\x02\x03\x04", 9))));
}

TEST(MysqlCommandTest, QueryAttributesAreSkippedBeforeTheText) {
  // parameter_count 1, set count 1, NULL bitmap 0, bound 1, type VAR_STRING, name "n1", value "v"
  std::string payload("\x03\x01\x01\x00\x01\xfd\x00\x02n1\x01v", 12);
  payload += "select 1";
  std::string_view sql;
  std::vector<BoundParam> attrs;
  ASSERT_TRUE(ParseQuery(Bytes(payload), kClientQueryAttributes, &sql, &attrs));
  EXPECT_EQ(sql, "select 1");
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_EQ(attrs[0].value, "n1=v");
  // Without the capability the same bytes are the query text.
  ASSERT_TRUE(ParseQuery(Bytes(payload), 0, &sql, nullptr));
  EXPECT_EQ(sql.size(), payload.size() - 1);
}

TEST(MysqlCommandTest, ExecuteRendersEveryBinaryType) {
  std::vector<ParamType> types;
  std::vector<bool> long_data(16, false);
  long_data[15] = true;
  ExecuteHeader header;
  std::vector<BoundParam> params;
  ASSERT_TRUE(ParseExecute(Payload(testdata::kExecuteAllTypes), kClientProtocol41, 16, long_data,
                           &types, &header, &params));
  EXPECT_EQ(header.statement_id, 1u);
  ASSERT_EQ(params.size(), 16u);
  const char* expected[] = {"-5", "12345", "-70000", "4000000000", "9007199254740993", "1.5",
                            "-2.25", "1234.56", "2024-02-29", "-13:14:15",
                            "2023-12-31 23:59:58.123456", "2022-01-02 03:04:05", "O'Reilly",
                            "0x0001feff"};
  for (size_t i = 0; i < 14; ++i) EXPECT_EQ(params[i].value, expected[i]) << i;
  EXPECT_EQ(params[3].type, "LONG");
  EXPECT_TRUE(params[14].is_null);
  EXPECT_FALSE(params[15].is_null);  // long data wins over the NULL bit
  ASSERT_EQ(types.size(), 16u);
  EXPECT_TRUE(types[3].is_unsigned);
}

TEST(MysqlCommandTest, ExecuteWithoutKnownTypesFails) {
  // new_params_bound_flag 0 and nothing remembered: the values cannot be read.
  std::string payload(testdata::kExecuteCursor.substr(4));
  payload[11] = 0;  // new_params_bound_flag
  payload.erase(12, 2);
  std::vector<ParamType> types;
  ExecuteHeader header;
  std::vector<BoundParam> params;
  EXPECT_FALSE(ParseExecute(Bytes(payload), 0, 1, {}, &types, &header, &params));
  types.push_back({kTypeLong, false});
  ASSERT_TRUE(ParseExecute(Bytes(payload), 0, 1, {}, &types, &header, &params));
  EXPECT_EQ(params[0].value, "0");
}

TEST(MysqlBinaryValueTest, TemporalAndEdgeValues) {
  struct Case {
    std::string bytes;
    ParamType type;
    const char* text;
  } cases[] = {
      {std::string("\x00", 1), {kTypeDateTime, false}, "0000-00-00 00:00:00"},
      {std::string("\x00", 1), {kTypeTime, false}, "00:00:00"},
      {std::string("\x08\x00\x01\x00\x00\x00\x02\x03\x04", 9), {kTypeTime, false}, "26:03:04"},
      {std::string("\xff", 1), {kTypeTiny, true}, "255"},
      {std::string("\xff", 1), {kTypeTiny, false}, "-1"},
      {std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8), {kTypeLongLong, true},
       "18446744073709551615"},
      {std::string("\x03\x61\x00\x62", 4), {kTypeVarString, false}, "0x610062"},
  };
  for (const Case& c : cases) {
    protocols::BinaryReader r(c.bytes);
    std::string text;
    ASSERT_TRUE(ReadBinaryValue(&r, c.type, &text)) << c.text;
    EXPECT_EQ(text, c.text);
    EXPECT_TRUE(r.empty());
  }
  protocols::BinaryReader bad(std::string_view("\x05\x01", 2));
  std::string text;
  EXPECT_FALSE(ReadBinaryValue(&bad, {kTypeDate, false}, &text));
  EXPECT_EQ(bad.position(), 0u);  // nothing consumed on failure
}

TEST(MysqlBinaryValueTest, LongValuesAreCutWithTheirLength) {
  const std::string long_text(5000, 'a');
  const std::string rendered = RenderBytes(long_text);
  EXPECT_EQ(rendered.substr(0, kMaxRenderedValueBytes), long_text.substr(0, kMaxRenderedValueBytes));
  EXPECT_NE(rendered.find("(5000 bytes)"), std::string::npos);
}

TEST(MysqlDetectTest, LooksLikeMysql) {
  EXPECT_TRUE(LooksLikeMysql(Direction::kServerToClient, Bytes(testdata::kGreeting)));
  // Only the first segment of a greeting may be at hand.
  EXPECT_TRUE(LooksLikeMysql(Direction::kServerToClient, Bytes(testdata::kGreeting.substr(0, 12))));
  EXPECT_TRUE(LooksLikeMysql(Direction::kClientToServer, Bytes(testdata::kQueryCount)));
  EXPECT_FALSE(LooksLikeMysql(Direction::kServerToClient, Bytes("HTTP/1.1 200 OK\r\n\r\n")));
  EXPECT_FALSE(LooksLikeMysql(Direction::kServerToClient,
                              Bytes(std::string("\x00\x00\x00\x01R\x00\x00\x00\x08", 9))));
  EXPECT_FALSE(LooksLikeMysql(Direction::kClientToServer, Bytes("SSH-2.0-OpenSSH_9.2\r\n")));
}

TEST(MysqlMessagesTest, RandomPayloadsNeverCrash) {
  std::mt19937 rng(11);
  for (int round = 0; round < 5000; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const auto span = Bytes(bytes);
    Greeting g;
    HandshakeResponse hr;
    OkPacket ok;
    ErrPacket err;
    ChangeUser cu;
    std::string_view sv;
    std::vector<ParamType> types;
    ExecuteHeader header;
    std::vector<BoundParam> params;
    (void)ParseGreeting(span, &g);
    (void)ParseHandshakeResponse(span, &hr);
    (void)ParseOk(span, ~0ULL, &ok);
    (void)ParseErr(span, &err);
    (void)ParseChangeUser(span, ~0ULL, &cu);
    (void)ParseQuery(span, kClientQueryAttributes, &sv, nullptr);
    (void)ParseExecute(span, kClientQueryAttributes, static_cast<uint16_t>(rng() % 8), {}, &types,
                       &header, &params);
    (void)IsPlausibleRequest(span);
    (void)LooksLikeMysql(Direction::kServerToClient, span);
  }
}

}  // namespace
}  // namespace dbaudit::sensor::mysql
