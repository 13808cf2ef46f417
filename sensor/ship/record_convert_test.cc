#include "sensor/ship/record_convert.h"

#include <gtest/gtest.h>

namespace dbaudit::sensor::ship {
namespace {

Record Session(RecordKind kind) {
  Record r;
  r.kind = kind;
  r.seq = 42;
  r.timestamp_us = 1700000000123456;
  r.session = {"s-1", Protocol::kPostgresql, "::1", 40190, "::1", 5432, "postgres", "db1", "psql"};
  return r;
}

TEST(RecordConvertTest, SessionFieldsAndStatement) {
  Record r = Session(RecordKind::kStatement);
  r.sql_statement = "SELECT * FROM t WHERE id = $1";
  r.params = {{"int4", "7", false}, {"text", "", true}};
  r.command = "execute";
  r.query_type = "SELECT";
  r.operated_obj_info = {{"public", "t", "", "TABLE", "SELECT"}};
  r.sql_response = SqlResponse::kFailed;
  r.error_code = "42P01";
  r.error_msg = "relation does not exist";
  r.returned_rows = 0;
  r.latency_us = 250;
  r.fingerprint = "select * from t where id = ?";
  r.fingerprint_id = 0xdeadbeefcafef00dULL;
  r.injection_score = 40;
  r.injection_signals = {"tautology"};
  dbaudit::v1::Record p;
  ToProto(r, "sensor-x", &p);
  EXPECT_EQ(p.sensor_id(), "sensor-x");
  EXPECT_EQ(p.seq(), 42u);
  EXPECT_EQ(p.timestamp_us(), 1700000000123456);
  EXPECT_EQ(p.protocol(), dbaudit::v1::PROTOCOL_POSTGRESQL);
  EXPECT_EQ(p.client_port(), 40190u);
  EXPECT_EQ(p.client_name(), "psql");
  ASSERT_TRUE(p.has_statement());
  const auto& s = p.statement();
  EXPECT_EQ(s.sql_statement(), r.sql_statement);
  ASSERT_EQ(s.params_size(), 2);
  EXPECT_TRUE(s.params(1).is_null());
  EXPECT_EQ(s.operated_obj_info(0).table_name(), "t");
  EXPECT_EQ(s.sql_response(), dbaudit::v1::SQL_RESPONSE_FAILED);
  EXPECT_EQ(s.error_code(), "42P01");
  EXPECT_TRUE(s.has_returned_rows());
  EXPECT_FALSE(s.has_affected_rows());
  EXPECT_EQ(s.fingerprint_id(), 0xdeadbeefcafef00dULL);
  EXPECT_EQ(s.injection().score(), 40);
  EXPECT_EQ(s.injection().signals(0), "tautology");
}

TEST(RecordConvertTest, OtherKinds) {
  Record login = Session(RecordKind::kLogin);
  login.success = false;
  login.error_code = "28P01";
  dbaudit::v1::Record p;
  ToProto(login, "s", &p);
  ASSERT_TRUE(p.has_login());
  EXPECT_FALSE(p.login().success());
  EXPECT_EQ(p.login().error_code(), "28P01");

  Record end = Session(RecordKind::kDisconnect);
  end.end_reason = EndReason::kRst;
  end.bytes_server_to_client = 99;
  p.Clear();
  ToProto(end, "s", &p);
  EXPECT_EQ(p.disconnect().end_reason(), dbaudit::v1::END_REASON_RST);
  EXPECT_EQ(p.disconnect().bytes_server_to_client(), 99u);

  Record gap = Session(RecordKind::kGap);
  gap.direction = Direction::kServerToClient;
  gap.gap_bytes = 1460;
  p.Clear();
  ToProto(gap, "s", &p);
  EXPECT_EQ(p.gap().direction(), dbaudit::v1::DIRECTION_SERVER_TO_CLIENT);
  EXPECT_EQ(p.gap().gap_bytes(), 1460u);

  p.Clear();
  ToProto(Session(RecordKind::kEncrypted), "s", &p);
  EXPECT_TRUE(p.has_encrypted());
  p.Clear();
  ToProto(Session(RecordKind::kConnect), "s", &p);
  EXPECT_TRUE(p.has_connect());
}

}  // namespace
}  // namespace dbaudit::sensor::ship
