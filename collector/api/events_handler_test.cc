#include "collector/api/events_handler.h"

#include "collector/api/api_test_util.h"
#include "collector/store/event_codec.h"

namespace dbaudit::collector::api {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

class EventsHandlerTest : public ApiStoreTest {
 protected:
  void SetUp() override {
    ApiStoreTest::SetUp();
    WriteSample();
  }
  rapidjson::Document List(const Query& q) {
    HttpResponse r = ListEvents(q, *store_);
    EXPECT_EQ(r.status, 200) << r.body;
    return Parse(r.body);
  }
  std::string ErrorMessage(const Query& q) {
    HttpResponse r = ListEvents(q, *store_);
    EXPECT_EQ(r.status, 400);
    rapidjson::Document d = Parse(r.body);
    EXPECT_STREQ(d["error"]["code"].GetString(), "invalid_parameter");
    return d["error"]["message"].GetString();
  }
};

TEST_F(EventsHandlerTest, ListHasTheSeedShapeNewestFirst) {
  rapidjson::Document d = List({});
  ASSERT_TRUE(d["events"].IsArray());
  ASSERT_EQ(d["events"].Size(), 6u);
  EXPECT_EQ(d["pagination"]["total"].GetUint64(), 6u);
  EXPECT_EQ(d["pagination"]["page"].GetUint64(), 1u);
  EXPECT_EQ(d["pagination"]["per_page"].GetUint64(), 50u);
  const auto& newest = d["events"][0];
  EXPECT_STREQ(newest["type"].GetString(), "user.login_failed");
  EXPECT_STREQ(newest["severity"].GetString(), "warning");
  const auto& select = d["events"][1];
  EXPECT_EQ(std::string(select["id"].GetString()).substr(0, 4), "evt_");
  EXPECT_STREQ(select["type"].GetString(), "database.query");
  EXPECT_STREQ(select["severity"].GetString(), "info");
  EXPECT_EQ(select["database_id"].GetString(), store::DatabaseIdFor("10.0.0.9", 3306));
  EXPECT_STREQ(select["timestamp"].GetString(), "2023-11-14T22:13:24Z");
  EXPECT_STREQ(select["details"]["query"].GetString(), "select * from t");
  EXPECT_STREQ(select["details"]["source_ip"].GetString(), "10.0.0.6");
  EXPECT_STREQ(select["details"]["user"].GetString(), "bob");
  EXPECT_STREQ(select["details"]["session_id"].GetString(), "s-0000000000000001");
  EXPECT_STREQ(select["details"]["client_application"].GetString(), "mysql");
  EXPECT_FALSE(select.HasMember("processed_at"));  // only on GET /v1/events/{id}
  EXPECT_STREQ(d["events"][5]["type"].GetString(), "database.connection");
  EXPECT_FALSE(d["events"][5]["details"].HasMember("query"));
}

TEST_F(EventsHandlerTest, FiltersAndPaging) {
  EXPECT_EQ(List({{"type", "user.*"}})["pagination"]["total"].GetUint64(), 2u);
  EXPECT_EQ(List({{"type", "database.query"}, {"user", "alice"}})["pagination"]["total"].GetUint64(), 2u);
  EXPECT_EQ(List({{"source_ip", "10.0.0.6"}})["pagination"]["total"].GetUint64(), 1u);
  EXPECT_EQ(List({{"severity", "warning"}})["pagination"]["total"].GetUint64(), 1u);
  EXPECT_EQ(List({{"database_id", store::DatabaseIdFor("10.0.0.9", 3306)}})["pagination"]["total"].GetUint64(), 6u);
  auto window = List({{"start_date", "2023-11-14T22:13:22Z"}, {"end_date", "2023-11-14T22:13:23Z"}});
  ASSERT_EQ(window["events"].Size(), 2u);
  EXPECT_STREQ(window["events"][0]["details"]["query"].GetString(), "insert into t values ('x')");
  EXPECT_STREQ(window["events"][0]["details"]["sql_response"].GetString(), "FAILED");
  EXPECT_EQ(List({{"end_date", "2023-11-14"}})["pagination"]["total"].GetUint64(), 6u);  // the whole day
  EXPECT_EQ(List({{"end_date", "2023-11-13"}})["pagination"]["total"].GetUint64(), 0u);
  EXPECT_EQ(List({{"end_date", "2023-11-14T00:00:00Z"}})["pagination"]["total"].GetUint64(), 0u);
  auto page2 = List({{"limit", "4"}, {"page", "2"}});
  EXPECT_EQ(page2["events"].Size(), 2u);
  EXPECT_EQ(page2["pagination"]["total"].GetUint64(), 6u);
  EXPECT_EQ(page2["pagination"]["page"].GetUint64(), 2u);
  EXPECT_EQ(page2["pagination"]["per_page"].GetUint64(), 4u);
  EXPECT_STREQ(page2["events"][1]["type"].GetString(), "database.connection");
}

TEST_F(EventsHandlerTest, EveryBadParameterIsA400NamingIt) {
  EXPECT_NE(ErrorMessage({{"limit", "0"}}).find("limit"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"limit", "1001"}}).find("1000"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"limit", "ten"}}).find("limit"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"page", "0"}}).find("page"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"page", "-1"}}).find("page"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"severity", "high"}}).find("severity"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"type", "security"}}).find("type"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"type", "*.query"}}).find("type"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"start_date", "yesterday"}}).find("start_date"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"start_date", "2025-02-01"}, {"end_date", "2025-01-01"}}).find("after"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"user", ""}}).find("user"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"limit", "5"}, {"limit", "6"}}).find("more than once"), std::string::npos);
  EXPECT_NE(ErrorMessage({{"sort", "asc"}}).find("sort"), std::string::npos);
}

TEST_F(EventsHandlerTest, GetEventHasTheFullShape) {
  rapidjson::Document list = List({{"type", "database.query"}, {"limit", "1"}});
  const std::string id = list["events"][0]["id"].GetString();
  HttpResponse r = GetEvent(id, *store_);
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document d = Parse(r.body);
  EXPECT_EQ(d["id"].GetString(), id);
  EXPECT_STREQ(d["type"].GetString(), "database.query");
  EXPECT_STREQ(d["database_name"].GetString(), "shop");
  EXPECT_TRUE(d["processed_at"].IsString());
  EXPECT_STREQ(d["details"]["query"].GetString(), "select * from t");
  EXPECT_EQ(d["details"]["returned_rows"].GetUint64(), 0u);
  ASSERT_TRUE(d["context"].IsObject());
  EXPECT_TRUE(d["context"]["policy_id"].IsNull());
  EXPECT_TRUE(d["context"]["rule_id"].IsNull());
  EXPECT_TRUE(d["context"]["risk_score"].IsNull());
  ASSERT_TRUE(d["related_events"].IsArray());
  EXPECT_EQ(d["related_events"].Size(), 0u);
}

TEST_F(EventsHandlerTest, UnknownEventIs404) {
  HttpResponse r = GetEvent("evt_doesnotexist", *store_);
  EXPECT_EQ(r.status, 404);
  rapidjson::Document d = Parse(r.body);
  EXPECT_STREQ(d["error"]["code"].GetString(), "not_found");
}

}  // namespace
}  // namespace dbaudit::collector::api
