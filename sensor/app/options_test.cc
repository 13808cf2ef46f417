#include "sensor/app/options.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace dbaudit::sensor {
namespace {

absl::StatusOr<SensorOptions> Parse(std::vector<std::string> args) { return ParseSensorOptions(args); }

TEST(SensorOptionsTest, OfflineJsonl) {
  auto o = Parse({"--read", "x.pcap", "--emit", "jsonl", "--workers=1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->pipeline.read_path, "x.pcap");
  EXPECT_EQ(o->emit, EmitMode::kJsonl);
  EXPECT_EQ(o->pipeline.workers, 1);
  EXPECT_EQ(o->pipeline.mysql_ports, std::vector<uint16_t>{3306});
  EXPECT_EQ(o->pipeline.live.snaplen, kDefaultSnaplen);
  EXPECT_FALSE(o->sensor_id.empty());
}

TEST(SensorOptionsTest, LiveCaptureFlags) {
  auto o = Parse({"--interface", "eth1", "--collector", "10.0.0.5:7400", "--no-promisc", "--snaplen", "1500",
                  "--buffer-size", "64M", "--mysql-ports", "3306,3307", "--pg-ports=5432,6432"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->pipeline.live.interface, "eth1");
  EXPECT_FALSE(o->pipeline.live.promiscuous);
  EXPECT_EQ(o->pipeline.live.snaplen, 1500);
  EXPECT_EQ(o->pipeline.live.buffer_bytes, 64 << 20);
  EXPECT_EQ(o->pipeline.mysql_ports, (std::vector<uint16_t>{3306, 3307}));
  EXPECT_EQ(o->pipeline.pg_ports, (std::vector<uint16_t>{5432, 6432}));
}

TEST(SensorOptionsTest, RejectsBadInputWithTheFlagName) {
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  } cases[] = {
      {{"--emit", "jsonl"}, "--read"},
      {{"--read", "a", "--interface", "b", "--emit", "jsonl"}, "exactly one"},
      {{"--read", "a"}, "nothing to do"},
      {{"--read", "a", "--emit", "csv"}, "--emit=csv"},
      {{"--read", "a", "--emit", "jsonl", "--mysql-ports", "3306,x"}, "--mysql-ports"},
      {{"--read", "a", "--emit", "jsonl", "--pg-ports", "70000"}, "--pg-ports"},
      {{"--read", "a", "--emit", "jsonl", "--workers", "0"}, "--workers"},
      {{"--read", "a", "--emit", "jsonl", "--bogus"}, "unknown option"},
      {{"--read"}, "needs a value"},
      {{"--read", "a", "--collector", "nohostport"}, "HOST:PORT"},
      {{"stray"}, "unexpected argument"},
  };
  for (const Case& c : cases) {
    auto o = Parse(c.args);
    ASSERT_FALSE(o.ok()) << c.needle;
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find(c.needle), absl::string_view::npos) << o.status();
  }
}

TEST(SensorOptionsTest, ConfigFileIsOverriddenByTheCommandLine) {
  const std::string path = ::testing::TempDir() + "/sensor.conf";
  {
    std::ofstream f(path);
    f << "# sensor config\nmysql-ports = 3307\npg-ports=6432\nemit = jsonl\nsensor-id = tap-1\n";
  }
  auto o = Parse({"--config", path, "--read", "x.pcap", "--pg-ports", "5433"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->pipeline.mysql_ports, std::vector<uint16_t>{3307});
  EXPECT_EQ(o->pipeline.pg_ports, std::vector<uint16_t>{5433});
  EXPECT_EQ(o->sensor_id, "tap-1");

  {
    std::ofstream f(path);
    f << "mysql-ports = 3306\nthis line is wrong\n";
  }
  auto bad = Parse({"--config", path, "--read", "x.pcap", "--emit", "jsonl"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(":2:"), absl::string_view::npos) << bad.status();
  std::remove(path.c_str());
  EXPECT_FALSE(Parse({"--config", path, "--read", "x", "--emit", "jsonl"}).ok());
}

TEST(SensorOptionsTest, ByteSizesAndPorts) {
  EXPECT_EQ(ParseByteSize("64k").value(), 65536u);
  EXPECT_EQ(ParseByteSize("2G").value(), uint64_t{2} << 30);
  EXPECT_FALSE(ParseByteSize("12X").ok());
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_EQ(ParsePortList("1,65535").value(), (std::vector<uint16_t>{1, 65535}));
  EXPECT_FALSE(ParsePortList("0").ok());
  EXPECT_FALSE(ParsePortList("1,,2").ok());
}

}  // namespace
}  // namespace dbaudit::sensor
