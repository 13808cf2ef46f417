#include "sensor/protocols/dispatcher.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "sensor/protocols/mysql/test_data.h"
#include "sensor/protocols/postgres/test_data.h"

namespace dbaudit::sensor::protocols {
namespace {

class CollectingSink : public RecordSink {
 public:
  void Emit(Record&& r) override { records.push_back(std::move(r)); }
  std::vector<Record> records;
};

absl::Span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

ConnectionInfo Conn(uint16_t client_port, uint16_t server_port, bool mid_stream) {
  ConnectionInfo c;
  c.session_id = "s-test";
  c.client_ip = "10.0.0.1";
  c.client_port = client_port;
  c.server_ip = "10.0.0.2";
  c.server_port = server_port;
  c.mid_stream = mid_stream;
  return c;
}

TEST(DispatcherTest, GreetingOnAConfiguredPortStartsMysql) {
  CollectingSink sink;
  ProtocolDispatcher d(DispatchOptions{}, &sink);
  auto h = d.Create(Conn(50000, 3306, false));
  ASSERT_NE(h, nullptr);
  h->OnData(Direction::kServerToClient, 1, Bytes(mysql::testdata::kGreeting));
  ASSERT_FALSE(sink.records.empty());
  EXPECT_EQ(sink.records[0].kind, RecordKind::kConnect);
  EXPECT_EQ(sink.records[0].session.protocol, Protocol::kMysql);
}

TEST(DispatcherTest, NoDetectIgnoresUnconfiguredPorts) {
  CollectingSink sink;
  DispatchOptions o;
  o.detect_by_content = false;
  ProtocolDispatcher d(o, &sink);
  EXPECT_EQ(d.Create(Conn(50000, 40000, false)), nullptr);
}

TEST(DispatcherTest, PostgresStartupFoundOnAnyPort) {
  CollectingSink sink;
  ProtocolDispatcher d(DispatchOptions{}, &sink);
  auto h = d.Create(Conn(50000, 15432, false));
  ASSERT_NE(h, nullptr);
  h->OnData(Direction::kClientToServer, 1, Bytes(postgres::testdata::kStartupPsql));
  ASSERT_FALSE(sink.records.empty());
  EXPECT_EQ(sink.records[0].session.protocol, Protocol::kPostgresql);
  EXPECT_EQ(sink.records[0].session.server_port, 15432);
}

// Mid-stream, the flow table guessed the lower port as the server; the greeting comes from the
// other side, so the roles are swapped before the session sees a byte.
TEST(DispatcherTest, MidStreamGreetingFromTheGuessedClientFlipsRoles) {
  CollectingSink sink;
  ProtocolDispatcher d(DispatchOptions{}, &sink);
  auto h = d.Create(Conn(/*client_port=*/40000, /*server_port=*/35000, /*mid_stream=*/true));
  ASSERT_NE(h, nullptr);
  h->OnData(Direction::kClientToServer, 1, Bytes(mysql::testdata::kGreeting));
  h->OnData(Direction::kServerToClient, 2, Bytes(mysql::testdata::kHandshakeResponse));
  h->OnData(Direction::kClientToServer, 3, Bytes(mysql::testdata::kLoginOk));
  h->OnClose(4, CloseInfo{EndReason::kFin, 100, 200});
  ASSERT_GE(sink.records.size(), 3u);
  for (const Record& r : sink.records) {
    EXPECT_EQ(r.session.protocol, Protocol::kMysql);
    EXPECT_EQ(r.session.server_port, 40000);
    EXPECT_EQ(r.session.server_ip, "10.0.0.1");
    EXPECT_EQ(r.session.client_port, 35000);
  }
  bool login = false;
  for (const Record& r : sink.records) {
    if (r.kind == RecordKind::kLogin) {
      login = true;
      EXPECT_TRUE(r.success);
      EXPECT_FALSE(r.session.db_user.empty());
    }
  }
  EXPECT_TRUE(login);
  const Record& last = sink.records.back();
  ASSERT_EQ(last.kind, RecordKind::kDisconnect);
  EXPECT_EQ(last.bytes_client_to_server, 200u);  // swapped with the roles
  EXPECT_EQ(last.bytes_server_to_client, 100u);
}

TEST(DispatcherTest, HandshakeRolesAreNeverFlipped) {
  CollectingSink sink;
  ProtocolDispatcher d(DispatchOptions{}, &sink);
  auto h = d.Create(Conn(40000, 35000, /*mid_stream=*/false));
  ASSERT_NE(h, nullptr);
  h->OnData(Direction::kClientToServer, 1, Bytes(mysql::testdata::kGreeting));
  h->OnClose(2, CloseInfo{});
  for (const Record& r : sink.records) EXPECT_EQ(r.session.server_port, 35000);
}

TEST(DispatcherTest, HttpOnADatabasePortYieldsNothing) {
  CollectingSink sink;
  ProtocolDispatcher d(DispatchOptions{}, &sink);
  auto h = d.Create(Conn(50000, 5432, false));
  ASSERT_NE(h, nullptr);
  h->OnData(Direction::kClientToServer, 1, Bytes("GET / HTTP/1.1\r\nHost: db\r\n\r\n"));
  h->OnData(Direction::kServerToClient, 2, Bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  h->OnClose(3, CloseInfo{});
  EXPECT_TRUE(sink.records.empty());
}

}  // namespace
}  // namespace dbaudit::sensor::protocols
