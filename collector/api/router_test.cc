#include "collector/api/router.h"

#include "collector/api/api_test_util.h"

namespace dbaudit::collector::api {
namespace {

class RouterTest : public ApiStoreTest {
 protected:
  void SetUp() override {
    ApiStoreTest::SetUp();
    WriteSample();
    auto key = EnsureApiKey(store_.get());
    ASSERT_OK(key);
    key_ = **key;
    auto verifier = ApiKeyVerifier::FromStore(store_.get());
    ASSERT_OK(verifier);
    router_ = std::make_unique<ApiRouter>(store_.get(), *verifier, [] { return kT0; });
  }
  HttpResponse Get(const std::string& target, const std::string& auth) {
    HttpRequest r{"GET", target, {}, ""};
    if (!auth.empty()) r.headers["authorization"] = auth;
    return router_->Handle(r);
  }
  HttpResponse PostSqls(const std::map<std::string, std::string>& headers) {
    HttpRequest r{"POST", "/v1/proj1/inst1/audit/sqls", headers,
                  R"({"time":{"start_time":"2023-11-14 00:00:00","end_time":"2023-11-15 00:00:00"}})"};
    return router_->Handle(r);
  }
  std::string key_;
  std::unique_ptr<ApiRouter> router_;
};

TEST_F(RouterTest, EventsNeedABearerKey) {
  HttpResponse none = Get("/v1/events", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_STREQ(Parse(none.body)["error"]["code"].GetString(), "unauthorized");
  EXPECT_EQ(Get("/v1/events", "Bearer wrong").status, 401);
  EXPECT_EQ(Get("/v1/events", key_).status, 401);  // no scheme
  HttpResponse ok = Get("/v1/events?limit=2", "Bearer " + key_);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Parse(ok.body)["events"].Size(), 2u);
}

TEST_F(RouterTest, EventByIdRoute) {
  rapidjson::Document list = Parse(Get("/v1/events?limit=1", "Bearer " + key_).body);
  const std::string id = list["events"][0]["id"].GetString();
  HttpResponse one = Get("/v1/events/" + id, "Bearer " + key_);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(Parse(one.body)["id"].GetString(), id);
  EXPECT_EQ(Get("/v1/events/evt_x", "Bearer " + key_).status, 404);
}

TEST_F(RouterTest, AuditSqlsTakesXAuthTokenOrBearer) {
  HttpResponse none = PostSqls({});
  EXPECT_EQ(none.status, 401);
  EXPECT_STREQ(Parse(none.body)["error"]["error_code"].GetString(), "DBSS.1401");
  HttpResponse wrong = PostSqls({{"x-auth-token", "nope"}});
  EXPECT_EQ(wrong.status, 403);
  EXPECT_STREQ(Parse(wrong.body)["error"]["error_code"].GetString(), "DBSS.1403");
  HttpResponse token = PostSqls({{"x-auth-token", key_}});
  ASSERT_EQ(token.status, 200) << token.body;
  EXPECT_EQ(Parse(token.body)["total"].GetUint64(), 5u);
  EXPECT_EQ(PostSqls({{"authorization", "Bearer " + key_}}).status, 200);
}

TEST_F(RouterTest, UnknownPathsMethodsAndTargets) {
  EXPECT_EQ(Get("/v2/events", "Bearer " + key_).status, 404);
  EXPECT_EQ(Get("/v1/events/a/b", "Bearer " + key_).status, 404);
  HttpResponse post = router_->Handle({"POST", "/v1/events", {{"authorization", "Bearer " + key_}}, ""});
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(router_->Handle({"GET", "/v1/p/i/audit/sqls", {}, ""}).status, 405);
  EXPECT_EQ(Get("/v1/events?x=%zz", "Bearer " + key_).status, 400);
  EXPECT_EQ(Get("/v1/events?limit=0", "Bearer " + key_).status, 400);
}

TEST_F(RouterTest, HealthAndMetrics) {
  EXPECT_EQ(Get("/healthz", "").status, 200);
  EXPECT_EQ(Get("/metrics", "").status, 401);
  HttpResponse m = Get("/metrics", "Bearer " + key_);
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("dbaudit_api_requests_total"), std::string::npos);
  EXPECT_NE(m.body.find("dbaudit_store_records_written_total"), std::string::npos);
}

}  // namespace
}  // namespace dbaudit::collector::api
