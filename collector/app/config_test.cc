#include "collector/app/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "collector/store/test_util.h"
#include "common/status_test_util.h"

namespace dbaudit::collector::app {
namespace {

TEST(ConfigTest, Defaults) {
  auto c = ParseCollectorArgs({});
  ASSERT_OK(c);
  EXPECT_EQ(c->data_dir, "./dbaudit-data");
  EXPECT_EQ(c->grpc_listen, "127.0.0.1:7400");
  EXPECT_EQ(c->http_listen, "127.0.0.1:7480");
  EXPECT_FALSE(c->help);
}

TEST(ConfigTest, FlagsInBothForms) {
  auto c = ParseCollectorArgs({"--data-dir", "/tmp/x", "--grpc-listen=[::1]:0", "--http-listen", "0.0.0.0:8080",
                               "--http-threads", "4"});
  ASSERT_OK(c);
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_EQ(c->grpc_listen, "[::1]:0");
  EXPECT_EQ(c->http_listen, "0.0.0.0:8080");
  EXPECT_EQ(c->http_threads, 4);
  EXPECT_TRUE(ParseCollectorArgs({"--data-dir", "d", "--help"})->help);
}

TEST(ConfigTest, ConfigFileThenFlagsOverride) {
  collector::testing::TempDir dir;
  const std::string path = dir.path() + "/collector.conf";
  std::ofstream(path) << "# dbaudit-collector\n\ndata_dir = /var/lib/dbaudit\nhttp_listen=127.0.0.1:9000\n"
                         "  scan_budget = 5000  \n";
  auto c = ParseCollectorArgs({"--http-listen", "127.0.0.1:0", "--config", path});
  ASSERT_OK(c);
  EXPECT_EQ(c->data_dir, "/var/lib/dbaudit");
  EXPECT_EQ(c->http_listen, "127.0.0.1:0");  // the flag wins even when given before --config
  EXPECT_EQ(c->scan_budget, 5000u);
}

TEST(ConfigTest, ErrorsAreClear) {
  auto unknown = ParseCollectorArgs({"--colour", "red"});
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown flag --colour"), absl::string_view::npos);
  auto bad_port = ParseCollectorArgs({"--grpc-listen", "127.0.0.1:99999"});
  EXPECT_NE(bad_port.status().message().find("--grpc-listen"), absl::string_view::npos);
  EXPECT_FALSE(ParseCollectorArgs({"--data-dir"}).ok());
  EXPECT_FALSE(ParseCollectorArgs({"stray"}).ok());
  EXPECT_FALSE(ParseCollectorArgs({"--http-threads", "0"}).ok());
  EXPECT_EQ(ParseCollectorArgs({"--config", "/nonexistent/file"}).status().code(), absl::StatusCode::kNotFound);
  CollectorConfig c;
  absl::Status line = ApplyConfigText("data_dir = x\nnonsense\n", &c);
  EXPECT_NE(line.message().find("line 2"), absl::string_view::npos);
  EXPECT_NE(ApplyConfigText("colour = red\n", &c).message().find("unknown setting"), absl::string_view::npos);
}

}  // namespace
}  // namespace dbaudit::collector::app
