#include "collector/api/http_server.h"

#include <atomic>
#include <thread>
#include <vector>

#include "collector/api/api_test_util.h"
#include "collector/api/router.h"
#include "collector/api/test_http_client.h"

namespace dbaudit::collector::api {
namespace {

using collector::testing::HttpCall;
using collector::testing::ParseHttpResponse;
using collector::testing::RawHttpExchange;

class HttpServerTest : public ApiStoreTest {
 protected:
  void SetUp() override {
    ApiStoreTest::SetUp();
    WriteSample();
    key_ = **EnsureApiKey(store_.get());
    router_ = std::make_unique<ApiRouter>(store_.get(), *ApiKeyVerifier::FromStore(store_.get()));
    HttpServer::Options options;
    options.listen = "127.0.0.1:0";
    options.max_body_bytes = 4096;
    auto server = HttpServer::Start(options, [this](const HttpRequest& r) { return router_->Handle(r); });
    ASSERT_OK(server);
    server_ = std::move(*server);
    ASSERT_GT(server_->port(), 0);
  }
  std::string key_;
  std::unique_ptr<ApiRouter> router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesTheEventsApiOverLoopback) {
  auto r = HttpCall(server_->port(), "GET", "/v1/events?type=database.query", {{"Authorization", "Bearer " + key_}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  rapidjson::Document d = Parse(r.body);
  EXPECT_EQ(d["pagination"]["total"].GetUint64(), 3u);
  EXPECT_STREQ(d["events"][0]["details"]["query"].GetString(), "select * from t");
}

TEST_F(HttpServerTest, AuditSqlsOverLoopback) {
  auto r = HttpCall(server_->port(), "POST", "/v1/p1/i1/audit/sqls", {{"X-Auth-Token", key_}},
                    R"({"time":{"start_time":"2023-11-14 00:00:00","end_time":"2023-11-15 00:00:00"},"time_order":"ASC"})");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document d = Parse(r.body);
  EXPECT_EQ(d["total"].GetUint64(), 5u);
  EXPECT_STREQ(d["sqls"][0]["sql"]["query_type"].GetString(), "LOGIN");
}

TEST_F(HttpServerTest, MissingKeyIs401WithJson) {
  auto r = HttpCall(server_->port(), "GET", "/v1/events");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer");
  EXPECT_STREQ(Parse(r.body)["error"]["code"].GetString(), "unauthorized");
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  auto r = HttpCall(server_->port(), "POST", "/v1/p1/i1/audit/sqls", {{"X-Auth-Token", key_}}, std::string(5000, ' '));
  EXPECT_EQ(r.status, 413);
}

TEST_F(HttpServerTest, GarbageIsDroppedAndTheServerKeepsServing) {
  EXPECT_EQ(ParseHttpResponse(RawHttpExchange(server_->port(), "NOT HTTP AT ALL\r\n\r\n")).status, 0);
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/healthz").status, 200);
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  const std::string one = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string two = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string raw = RawHttpExchange(server_->port(), one + two);
  size_t count = 0;
  for (size_t at = raw.find("HTTP/1.1 200"); at != std::string::npos; at = raw.find("HTTP/1.1 200", at + 1)) ++count;
  EXPECT_EQ(count, 2u);
}

TEST_F(HttpServerTest, ConcurrentClients) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (HttpCall(server_->port(), "GET", "/v1/events?limit=1", {{"Authorization", "Bearer " + key_}}).status == 200) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 80);
}

TEST_F(HttpServerTest, StopIsIdempotentAndClosesThePort) {
  const int port = server_->port();
  server_->Stop();
  server_->Stop();
  EXPECT_EQ(HttpCall(port, "GET", "/healthz").status, 0);
}

}  // namespace
}  // namespace dbaudit::collector::api
