// The project's own loopback captures, one per link type (tests/testdata/captures/linktypes),
// all rebuild the exact byte streams traffic.py sent.
#include <cctype>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sensor/flow/flow_test_utils_pcap.h"

namespace dbaudit::sensor::flow {
namespace {

using testing::PcapRun;
using testing::RunPcap;

const std::string kDir = DBAUDIT_SOURCE_DIR "/tests/testdata/captures/linktypes/";
constexpr int kMessages = 9;

// Mirrors traffic.py's message().
std::string Message(int i) {
  if (i == kMessages - 1) {
    std::string bulk = "bulk:";
    for (int k = 0; k < 8000; ++k) bulk.push_back(static_cast<char>('a' + k % 26));
    return bulk;
  }
  return absl::StrCat("query ", i, ": ", std::string(static_cast<size_t>(i) * 37, 'x'));
}

std::string Framed(const std::string& body) {
  uint32_t n = static_cast<uint32_t>(body.size());
  std::string out = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
  return out + body;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class LinktypeCaptureTest : public ::testing::TestWithParam<const char*> {};

TEST_P(LinktypeCaptureTest, RebuildsBothConnectionsExactly) {
  PcapRun run = RunPcap(kDir + GetParam());
  ASSERT_TRUE(run.opened) << run.error;
  std::string client, server;
  for (int i = 0; i < kMessages; ++i) {
    client += Framed(Message(i));
    server += Framed(Upper(Message(i)));
  }
  ASSERT_EQ(run.factory->transcripts.size(), 2u);
  const char* want_ips[] = {"127.0.0.1", "::1"};
  for (int c = 0; c < 2; ++c) {
    const auto& t = *run.factory->transcripts[c];
    EXPECT_EQ(t.info.client_ip, want_ips[c]);
    EXPECT_EQ(t.info.server_ip, want_ips[c]);
    EXPECT_EQ(t.info.server_port, 47123);
    EXPECT_FALSE(t.info.mid_stream);
    EXPECT_EQ(t.client, client) << "connection " << c;
    EXPECT_EQ(t.server, server) << "connection " << c;
    EXPECT_EQ(t.close.reason, EndReason::kFin);
    EXPECT_EQ(t.close.bytes_client_to_server, client.size());
  }
}

INSTANTIATE_TEST_SUITE_P(AllLinktypes, LinktypeCaptureTest,
                         ::testing::Values("ethernet.pcap", "linux-sll.pcap", "linux-sll2.pcap",
                                           "vlan.pcap", "qinq.pcap", "null.pcap", "loop.pcap",
                                           "raw.pcap", "ethernet-ns.pcapng"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace dbaudit::sensor::flow
