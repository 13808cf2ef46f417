#include "collector/api/sqls_handler.h"

#include "collector/api/api_test_util.h"

namespace dbaudit::collector::api {
namespace {

constexpr char kProject[] = "0123456789abcdef0123456789abcdef";
constexpr char kInstance[] = "fedcba9876543210fedcba9876543210";
// Everything in the sample: 2023-11-14 22:13:20 .. 22:13:25.
constexpr char kWindow[] = R"("time":{"time_range":null,"start_time":"2023-11-14 22:13:00","end_time":"2023-11-14 22:14:00"})";

class SqlsHandlerTest : public ApiStoreTest {
 protected:
  void SetUp() override {
    ApiStoreTest::SetUp();
    WriteSample();
  }
  rapidjson::Document Post(const std::string& fields, int64_t now_us = kT0) {
    HttpResponse r = ListSqls(kProject, kInstance, "{" + std::string(kWindow) + fields + "}", *store_, now_us);
    EXPECT_EQ(r.status, 200) << r.body;
    return Parse(r.body);
  }
  std::string ErrorCode(const std::string& body) {
    HttpResponse r = ListSqls(kProject, kInstance, body, *store_, kT0);
    EXPECT_EQ(r.status, 400) << body;
    rapidjson::Document d = Parse(r.body);
    EXPECT_TRUE(d["error"]["error_msg"].IsString());
    return d["error"]["error_code"].GetString();
  }
};

TEST_F(SqlsHandlerTest, SeedExampleRequestAnswersTheSeedShape) {
  // The seed's example request, verbatim apart from the time range (DAY before "now").
  const std::string body = R"({
    "time" : { "time_range" : "DAY", "start_time" : null, "end_time" : null },
    "risk_levels" : null, "client_ip" : null, "client_name" : null, "db_ip" : null, "db_user" : null,
    "query_type" : null, "rule_name" : null, "sql_statement" : null, "sql_response" : null,
    "page" : 1, "size" : 50, "time_order" : "DESC" })";
  HttpResponse r = ListSqls(kProject, kInstance, body, *store_, kT0 + 3600LL * 1000000);
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document d = Parse(r.body);
  EXPECT_EQ(d["total"].GetUint64(), 5u);  // 3 statements + 2 logins
  EXPECT_EQ(d["count"].GetUint64(), 5u);
  ASSERT_EQ(d["sqls"].Size(), 5u);
  const auto& newest = d["sqls"][0]["sql"];
  EXPECT_STREQ(newest["query_type"].GetString(), "LOGIN");
  EXPECT_STREQ(newest["sql_response"].GetString(), "FAILED");
  const auto& create = d["sqls"][3]["sql"];  // newest first: login, select, insert, create
  EXPECT_EQ(std::string(create["id"].GetString()).size(), 32u);
  EXPECT_STREQ(create["sql_statement"].GetString(), "create table t(a int)");
  EXPECT_STREQ(create["client_ip"].GetString(), "10.0.0.5");
  EXPECT_STREQ(create["client_name"].GetString(), "mysql");
  EXPECT_STREQ(create["db_ip"].GetString(), "10.0.0.9");
  EXPECT_STREQ(create["db_user"].GetString(), "alice");
  EXPECT_STREQ(create["query_type"].GetString(), "CREATE_TABLE");
  EXPECT_STREQ(create["rule_name"].GetString(), "");
  EXPECT_STREQ(create["risk_level"].GetString(), "");
  EXPECT_STREQ(create["start_time"].GetString(), "2023-11-14 22:13:22");
  EXPECT_STREQ(create["sql_response"].GetString(), "SUCCESS");
  EXPECT_STREQ(create["db_instance"].GetString(), "10.0.0.9:3306");
  ASSERT_EQ(create["operated_obj_info"].Size(), 1u);
  const auto& obj = create["operated_obj_info"][0];
  for (const char* k : {"column_name", "object_type", "schema_name", "sql_type", "sys_name", "table_name"}) {
    EXPECT_TRUE(obj.HasMember(k)) << k;
  }
  EXPECT_STREQ(obj["table_name"].GetString(), "t");
  EXPECT_STREQ(obj["sql_type"].GetString(), "CREATE TABLE");
}

TEST_F(SqlsHandlerTest, TimeRangeIsRelativeToNowAndWinsOverStartEnd) {
  // HALF_HOUR ending 10 minutes after the sample: all 5 rows. Ending an hour after: none.
  const std::string half_hour = R"({"time":{"time_range":"HALF_HOUR","start_time":"2000-01-01 00:00:00","end_time":"2000-01-01 00:00:01"}})";
  HttpResponse in = ListSqls(kProject, kInstance, half_hour, *store_, kT0 + 600LL * 1000000);
  EXPECT_EQ(Parse(in.body)["total"].GetUint64(), 5u);
  HttpResponse out = ListSqls(kProject, kInstance, half_hour, *store_, kT0 + 3600LL * 1000000);
  EXPECT_EQ(Parse(out.body)["total"].GetUint64(), 0u);
}

TEST_F(SqlsHandlerTest, StartAndEndAreInclusiveSeconds) {
  HttpResponse r = ListSqls(kProject, kInstance,
                            R"({"time":{"start_time":"2023-11-14 22:13:22","end_time":"2023-11-14 22:13:23"}})",
                            *store_, kT0);
  rapidjson::Document d = Parse(r.body);
  EXPECT_EQ(d["total"].GetUint64(), 2u);  // the CREATE TABLE and the INSERT
}

TEST_F(SqlsHandlerTest, Filters) {
  EXPECT_EQ(Post(R"(,"query_type":"CREATE TABLE")")["total"].GetUint64(), 1u);
  EXPECT_EQ(Post(R"(,"query_type":"CREATE_TABLE")")["total"].GetUint64(), 1u);
  EXPECT_EQ(Post(R"(,"query_type":"OPERATE ALL")")["total"].GetUint64(), 5u);
  EXPECT_EQ(Post(R"(,"sql_response":"FAILED")")["total"].GetUint64(), 2u);
  EXPECT_EQ(Post(R"(,"db_user":"bob")")["total"].GetUint64(), 1u);
  EXPECT_EQ(Post(R"(,"client_ip":"10.0.0.5","sql_statement":"into t")")["total"].GetUint64(), 1u);
  EXPECT_EQ(Post(R"(,"db_ip":"10.0.0.9","client_name":"mysql")")["total"].GetUint64(), 5u);
  EXPECT_EQ(Post(R"(,"risk_levels":"HIGH,LOW")")["total"].GetUint64(), 0u);  // no rules have rated rows yet
  EXPECT_EQ(Post(R"(,"db_user":"")")["total"].GetUint64(), 5u);  // empty = no filter
}

TEST_F(SqlsHandlerTest, PagingAndOrder) {
  rapidjson::Document asc = Post(R"(,"time_order":"ASC","size":2,"page":2)");
  EXPECT_EQ(asc["total"].GetUint64(), 5u);
  EXPECT_EQ(asc["count"].GetUint64(), 2u);
  EXPECT_STREQ(asc["sqls"][0]["sql"]["sql_statement"].GetString(), "insert into t values ('x')");
  EXPECT_STREQ(asc["sqls"][1]["sql"]["sql_statement"].GetString(), "select * from t");
  rapidjson::Document def = Post("");
  EXPECT_EQ(def["count"].GetUint64(), 5u);  // default size 10
}

TEST_F(SqlsHandlerTest, ErrorCodes) {
  const std::string w = std::string("{") + kWindow;
  EXPECT_EQ(ErrorCode("not json"), "DBSS.1001");
  EXPECT_EQ(ErrorCode("[1,2]"), "DBSS.1001");
  EXPECT_EQ(ErrorCode("{}"), "DBSS.1002");
  EXPECT_EQ(ErrorCode(R"({"time":{}})"), "DBSS.1002");
  EXPECT_EQ(ErrorCode(R"({"time":{"start_time":"2023-11-14 22:13:00"}})"), "DBSS.1002");
  EXPECT_EQ(ErrorCode(R"({"time":{"time_range":"YEAR"}})"), "DBSS.1002");
  EXPECT_EQ(ErrorCode(R"({"time":{"start_time":"2023-11-14T22:13:00Z","end_time":"2023-11-14 22:14:00"}})"), "DBSS.1002");
  EXPECT_EQ(ErrorCode(R"({"time":{"start_time":"2023-11-15 00:00:00","end_time":"2023-11-14 00:00:00"}})"), "DBSS.1002");
  EXPECT_EQ(ErrorCode(w + R"(,"sql_response":"OK"})"), "DBSS.1003");
  EXPECT_EQ(ErrorCode(w + R"(,"time_order":"desc"})"), "DBSS.1003");
  EXPECT_EQ(ErrorCode(w + R"(,"risk_levels":"SEVERE"})"), "DBSS.1003");
  EXPECT_EQ(ErrorCode(w + R"(,"query_type":"SELECT;"})"), "DBSS.1003");
  EXPECT_EQ(ErrorCode(w + R"(,"db_user":5})"), "DBSS.1004");
  EXPECT_EQ(ErrorCode(w + R"(,"page":"1"})"), "DBSS.1004");
  EXPECT_EQ(ErrorCode(w + R"(,"db_users":"x"})"), "DBSS.1005");
  EXPECT_EQ(ErrorCode(w + R"(,"size":0})"), "DBSS.1006");
  EXPECT_EQ(ErrorCode(w + R"(,"size":10001})"), "DBSS.1006");
  EXPECT_EQ(ErrorCode(w + R"(,"page":0})"), "DBSS.1006");
  HttpResponse r = ListSqls("bad/project", kInstance, w + "}", *store_, kT0);
  EXPECT_EQ(r.status, 400);
  EXPECT_STREQ(Parse(r.body)["error"]["error_code"].GetString(), "DBSS.1007");
}

}  // namespace
}  // namespace dbaudit::collector::api
