// The whole collector in-process: the shipper sends over loopback gRPC, the test reads back
// over loopback HTTP with the key the collector printed.
#include "collector/app/collector_app.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdio>
#include <regex>

#include "collector/api/test_http_client.h"
#include "collector/store/test_util.h"
#include "common/status_test_util.h"
#include "sensor/ship/grpc_ship_sink.h"

namespace dbaudit::collector::app {
namespace {

using collector::testing::HttpCall;

struct Started {
  std::unique_ptr<Collector> collector;
  std::string log;
};

Started StartCollector(const std::string& data_dir) {
  CollectorConfig config;
  config.data_dir = data_dir;
  config.grpc_listen = "127.0.0.1:0";
  config.http_listen = "127.0.0.1:0";
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* log = open_memstream(&buf, &len);
  auto collector = Collector::Start(config, log);
  std::fclose(log);
  Started s{collector.ok() ? std::move(*collector) : nullptr, std::string(buf, len)};
  std::free(buf);
  EXPECT_OK(collector);
  return s;
}

sensor::Record Statement(int i) {
  sensor::Record r;
  r.kind = sensor::RecordKind::kStatement;
  r.timestamp_us = 1700000000000000 + i * 1000;
  r.session = {"s-1", sensor::Protocol::kPostgresql, "127.0.0.1", 40190, "127.0.0.1", 5432, "postgres", "postgres", "psql"};
  r.sql_statement = "SELECT " + std::to_string(i);
  r.query_type = "SELECT";
  r.sql_response = sensor::SqlResponse::kSuccess;
  return r;
}

TEST(CollectorAppTest, PrintsPortsAndKeyThenServesShippedRecords) {
  collector::testing::TempDir dir;
  Started started = StartCollector(dir.path() + "/data");
  ASSERT_NE(started.collector, nullptr);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(started.log, m, std::regex("API key: (dbk_[0-9a-f]{40})\n"))) << started.log;
  const std::string key = m[1];
  EXPECT_NE(started.log.find("grpc listening on 127.0.0.1:" + std::to_string(started.collector->grpc_port()) + "\n"),
            std::string::npos);
  EXPECT_NE(started.log.find("http listening on 127.0.0.1:" + std::to_string(started.collector->http_port()) + "\n"),
            std::string::npos);

  sensor::ship::ShipOptions options;
  options.collector = "127.0.0.1:" + std::to_string(started.collector->grpc_port());
  options.sensor_id = "app-test";
  options.batch_records = 16;
  sensor::ship::GrpcShipSink sink(options);
  for (int i = 0; i < 40; ++i) sink.Emit(Statement(i));
  ASSERT_OK(sink.Finish());

  auto r = HttpCall(started.collector->http_port(), "GET", "/v1/events?limit=3", {{"Authorization", "Bearer " + key}});
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  EXPECT_EQ(d["pagination"]["total"].GetUint64(), 40u);
  EXPECT_STREQ(d["events"][0]["details"]["query"].GetString(), "SELECT 39");
  EXPECT_STREQ(d["events"][0]["details"]["client_application"].GetString(), "psql");
}

TEST(CollectorAppTest, KeyIsPrintedOnlyOnTheFirstStartAndDataSurvivesRestart) {
  collector::testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  Started first = StartCollector(data);
  ASSERT_NE(first.collector, nullptr);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(first.log, m, std::regex("API key: (dbk_[0-9a-f]{40})")));
  const std::string key = m[1];
  sensor::ship::ShipOptions options;
  options.collector = "127.0.0.1:" + std::to_string(first.collector->grpc_port());
  options.sensor_id = "app-test";
  {
    sensor::ship::GrpcShipSink sink(options);
    sink.Emit(Statement(1));
    ASSERT_OK(sink.Finish());
  }
  first.collector->Shutdown();
  first.collector.reset();

  Started second = StartCollector(data);
  ASSERT_NE(second.collector, nullptr);
  EXPECT_EQ(second.log.find("API key:"), std::string::npos) << second.log;
  auto r = HttpCall(second.collector->http_port(), "GET", "/v1/events", {{"Authorization", "Bearer " + key}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"SELECT 1\""), std::string::npos);
}

TEST(CollectorAppTest, UnusableDataDirIsAnError) {
  collector::testing::TempDir dir;
  const std::string file = dir.path() + "/file";
  std::fclose(std::fopen(file.c_str(), "w"));
  CollectorConfig config;
  config.data_dir = file + "/data";  // a directory under a regular file
  config.grpc_listen = "127.0.0.1:0";
  config.http_listen = "127.0.0.1:0";
  EXPECT_FALSE(Collector::Start(config, stderr).ok());
}

}  // namespace
}  // namespace dbaudit::collector::app
