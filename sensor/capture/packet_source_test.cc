#include "sensor/capture/packet_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace dbaudit::sensor::capture {
namespace {

std::string TempPath(const std::string& name) {
  return std::string(::testing::TempDir()) + "/" + name;
}

// Writes a classic little-endian pcap file (nanosecond magic when `nanos`) with the given frames.
// pcap file header: magic(4) major(2) minor(2) thiszone(4) sigfigs(4) snaplen(4) linktype(4);
// record header: ts_sec(4) ts_frac(4) caplen(4) len(4).
void WritePcap(const std::string& path, bool nanos, int linktype,
               const std::vector<std::string>& frames, size_t cut_tail = 0) {
  std::string out;
  auto u32 = [&out](uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&out](uint16_t v) { out.append(reinterpret_cast<const char*>(&v), 2); };
  u32(nanos ? 0xa1b23c4d : 0xa1b2c3d4);
  u16(2);
  u16(4);
  u32(0);
  u32(0);
  u32(65535);
  u32(static_cast<uint32_t>(linktype));
  uint32_t sec = 1700000000;
  for (size_t i = 0; i < frames.size(); ++i) {
    u32(sec + static_cast<uint32_t>(i));
    u32(nanos ? 123456789 : 123456);
    u32(static_cast<uint32_t>(frames[i].size()));
    u32(static_cast<uint32_t>(frames[i].size()));
    out += frames[i];
  }
  out.resize(out.size() - cut_tail);
  std::ofstream(path, std::ios::binary) << out;
}

TEST(PacketSourceTest, ReadsOfflineFileWithNanosecondTimestamps) {
  std::string path = TempPath("nanos.pcap");
  WritePcap(path, /*nanos=*/true, DLT_RAW, {std::string(20, 'a'), std::string(30, 'b')});
  auto source = PacketSource::OpenOffline(path, "");
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->linktype(), DLT_RAW);
  Packet p;
  ASSERT_EQ((*source)->Next(&p), NextStatus::kPacket);
  EXPECT_EQ(p.ts_ns, int64_t{1700000000} * 1000000000 + 123456789);
  EXPECT_EQ(p.caplen, 20u);
  EXPECT_EQ(p.data[0], 'a');
  ASSERT_EQ((*source)->Next(&p), NextStatus::kPacket);
  EXPECT_EQ(p.caplen, 30u);
  EXPECT_EQ((*source)->Next(&p), NextStatus::kEnd);
  CaptureStats stats = (*source)->Stats();
  EXPECT_EQ(stats.packets, 2u);
  EXPECT_EQ(stats.bytes, 50u);
  EXPECT_FALSE(stats.truncated);
}

TEST(PacketSourceTest, MicrosecondFileIsScaledToNanoseconds) {
  std::string path = TempPath("micros.pcap");
  WritePcap(path, /*nanos=*/false, DLT_EN10MB, {std::string(60, 'x')});
  auto source = PacketSource::OpenOffline(path, "");
  ASSERT_TRUE(source.ok()) << source.status();
  Packet p;
  ASSERT_EQ((*source)->Next(&p), NextStatus::kPacket);
  EXPECT_EQ(p.ts_ns, int64_t{1700000000} * 1000000000 + 123456000);
}

TEST(PacketSourceTest, TruncatedFileEndsCleanlyWithWarning) {
  std::string path = TempPath("truncated.pcap");
  WritePcap(path, true, DLT_RAW, {std::string(20, 'a'), std::string(40, 'b')}, /*cut_tail=*/10);
  auto source = PacketSource::OpenOffline(path, "");
  ASSERT_TRUE(source.ok()) << source.status();
  Packet p;
  ASSERT_EQ((*source)->Next(&p), NextStatus::kPacket);
  EXPECT_EQ((*source)->Next(&p), NextStatus::kEnd);
  EXPECT_TRUE((*source)->Stats().truncated);
  EXPECT_FALSE((*source)->error().empty());
}

TEST(PacketSourceTest, MissingFileIsAnError) {
  auto source = PacketSource::OpenOffline(TempPath("does-not-exist.pcap"), "");
  EXPECT_FALSE(source.ok());
}

TEST(PacketSourceTest, BadFilterIsInvalidArgument) {
  std::string path = TempPath("filter.pcap");
  WritePcap(path, true, DLT_EN10MB, {std::string(60, 'x')});
  auto source = PacketSource::OpenOffline(path, "tcp port not-a-port");
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PacketSourceTest, BreakLoopEndsTheRead) {
  std::string path = TempPath("break.pcap");
  WritePcap(path, true, DLT_RAW, {std::string(20, 'a'), std::string(20, 'b')});
  auto source = PacketSource::OpenOffline(path, "");
  ASSERT_TRUE(source.ok());
  (*source)->BreakLoop();
  Packet p;
  EXPECT_EQ((*source)->Next(&p), NextStatus::kEnd);
}

TEST(PacketSourceTest, LiveUnknownInterfaceFailsClearly) {
  LiveOptions options;
  options.interface = "dbaudit-no-such-if0";
  auto source = PacketSource::OpenLive(options);
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.status().message().find("dbaudit-no-such-if0"), std::string::npos);
}

}  // namespace
}  // namespace dbaudit::sensor::capture

namespace dbaudit::sensor::capture {
namespace {

TEST(PortFilterTest, MatchesUntaggedVlanAndQinQTraffic) {
  EXPECT_EQ(PortFilter({}, DLT_EN10MB), "tcp");
  EXPECT_EQ(PortFilter({3306, 5432}, DLT_RAW), "tcp port 3306 or tcp port 5432");
  const std::string dir = DBAUDIT_SOURCE_DIR "/tests/testdata/captures/linktypes/";
  for (const char* file : {"ethernet.pcap", "vlan.pcap", "qinq.pcap", "linux-sll2.pcap"}) {
    for (auto [ports, want_all] : {std::pair{std::vector<uint16_t>{3306, 47123}, true},
                                   std::pair{std::vector<uint16_t>{3306, 5432}, false}}) {
      auto probe = PacketSource::OpenOffline(dir + file, "");
      ASSERT_TRUE(probe.ok()) << file << ": " << probe.status();
      auto source = PacketSource::OpenOffline(dir + file, PortFilter(ports, (*probe)->linktype()));
      ASSERT_TRUE(source.ok()) << file << ": " << source.status();
      Packet p;
      int n = 0;
      while ((*source)->Next(&p) == NextStatus::kPacket) ++n;
      if (want_all) {
        EXPECT_GT(n, 40) << file;
      } else {
        EXPECT_EQ(n, 0) << file;
      }
    }
  }
}

// Live capture on loopback: a real TCP handshake must come through the BPF filter.
TEST(PacketSourceLiveTest, CapturesLoopbackHandshake) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  LiveOptions options;
  options.interface = "lo";
  options.filter_ports = {static_cast<uint16_t>(port)};  // the default filter for these ports
  options.timeout_ms = 50;
  auto source = PacketSource::OpenLive(options);
  if (!source.ok() && source.status().code() == absl::StatusCode::kPermissionDenied) {
    close(listener);
    GTEST_SKIP() << "live capture needs root or CAP_NET_RAW: " << source.status();
  }
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_TRUE((*source)->live());

  int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  int packets = 0, timeouts = 0;
  Packet p;
  while (packets < 2 && timeouts < 40) {
    NextStatus s = (*source)->Next(&p);
    if (s == NextStatus::kPacket) {
      ++packets;
      EXPECT_GT(p.caplen, 40u);
      EXPECT_GT(p.ts_ns, int64_t{1600000000} * 1000000000);
    } else if (s == NextStatus::kTimeout) {
      ++timeouts;
    } else {
      FAIL() << "unexpected status; error: " << (*source)->error();
    }
  }
  close(client);
  close(listener);
  EXPECT_GE(packets, 2) << "SYN and SYN-ACK through the filter";
  CaptureStats stats = (*source)->Stats();
  EXPECT_GE(stats.packets, 2u);
  EXPECT_GE(stats.kernel_received, 2u);
  (*source)->BreakLoop();
  EXPECT_EQ((*source)->Next(&p), NextStatus::kEnd);
}

// Without CAP_NET_RAW (here: a child process that drops to the unprivileged user "nobody")
// opening a live interface fails with PermissionDenied and a message that names the fix.
TEST(PacketSourceLiveTest, UnprivilegedOpenSaysWhatIsMissing) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(2);
    LiveOptions options;
    options.interface = "lo";
    auto source = PacketSource::OpenLive(options);
    std::string report = source.ok() ? "opened" : std::string(source.status().ToString());
    ssize_t n = write(fds[1], report.data(), report.size());
    _exit(n < 0 ? 3 : 0);
  }
  close(fds[1]);
  std::string report;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) report.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed to run";
  if (report == "opened") GTEST_SKIP() << "this environment lets unprivileged users capture";
  EXPECT_NE(report.find("PERMISSION_DENIED"), std::string::npos) << report;
  EXPECT_NE(report.find("CAP_NET_RAW"), std::string::npos) << report;
  EXPECT_NE(report.find("'lo'"), std::string::npos) << report;
}

}  // namespace
}  // namespace dbaudit::sensor::capture
