#include "sensor/record/jsonl_writer.h"

#include <gtest/gtest.h>

namespace dbaudit::sensor {
namespace {

Record Base(RecordKind kind) {
  Record r;
  r.kind = kind;
  r.seq = 7;
  r.timestamp_us = 1705329138123456;
  r.session = {"s-1", Protocol::kMysql, "10.0.0.1", 50000, "10.0.0.2", 3306, "root", "shop", "mysql"};
  return r;
}

TEST(JsonlWriterTest, StatementCarriesEveryContractField) {
  Record r = Base(RecordKind::kStatement);
  r.sql_statement = "select 1";
  r.query_type = "SELECT";
  r.sql_response = SqlResponse::kSuccess;
  r.returned_rows = 1;
  r.response_bytes = 60;
  r.latency_us = 120;
  r.fingerprint = "select ?";
  r.fingerprint_id = 42;
  std::string out;
  AppendRecordJson(r, "sensor-a", &out);
  EXPECT_EQ(out,
            R"({"kind":"statement","sensor_id":"sensor-a","seq":7,"timestamp":"2024-01-15T14:32:18.123456Z",)"
            R"("session_id":"s-1","protocol":"mysql","client_ip":"10.0.0.1","client_port":50000,)"
            R"("server_ip":"10.0.0.2","server_port":3306,"db_user":"root","database":"shop","client_name":"mysql",)"
            R"("sql_statement":"select 1","query_type":"SELECT","operated_obj_info":[],"sql_response":"SUCCESS",)"
            R"("returned_rows":1,"response_bytes":60,"latency_us":120,"fingerprint":"select ?","fingerprint_id":42})");
}

TEST(JsonlWriterTest, LoginFailureHasCodeAndMessage) {
  Record r = Base(RecordKind::kLogin);
  r.success = false;
  r.error_code = "1045";
  r.sql_state = "28000";
  r.error_msg = "Access denied";
  std::string out;
  AppendRecordJson(r, "s", &out);
  EXPECT_NE(out.find(R"("kind":"login")"), std::string::npos);
  EXPECT_NE(out.find(R"("success":false,"error_code":"1045","sql_state":"28000","error_msg":"Access denied")"),
            std::string::npos)
      << out;
}

TEST(JsonlWriterTest, GapAndDisconnectFields) {
  Record g = Base(RecordKind::kGap);
  g.direction = Direction::kServerToClient;
  g.gap_bytes = 1460;
  std::string out;
  AppendRecordJson(g, "s", &out);
  EXPECT_NE(out.find(R"("direction":"server_to_client","gap_bytes":1460})"), std::string::npos) << out;

  Record d = Base(RecordKind::kDisconnect);
  d.end_reason = EndReason::kRst;
  d.bytes_client_to_server = 10;
  d.bytes_server_to_client = 20;
  out.clear();
  AppendRecordJson(d, "s", &out);
  EXPECT_NE(out.find(R"("end_reason":"rst","bytes_client_to_server":10,"bytes_server_to_client":20})"),
            std::string::npos)
      << out;
}

TEST(JsonlWriterTest, SinkAssignsIncreasingSequenceNumbers) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  {
    JsonlSink sink("s", f);
    sink.Emit(Base(RecordKind::kConnect));
    sink.Emit(Base(RecordKind::kEncrypted));
    sink.Flush();
    EXPECT_EQ(sink.records_written(), 2u);
  }
  std::fclose(f);
  std::string text(buf, len);
  free(buf);
  EXPECT_NE(text.find(R"("kind":"connect","sensor_id":"s","seq":1,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("kind":"encrypted","sensor_id":"s","seq":2,)"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

}  // namespace
}  // namespace dbaudit::sensor
