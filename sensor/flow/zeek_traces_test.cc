// Every TCP edge-case trace of Zeek's test suite goes through the engine without a crash, and
// where Zeek's own baseline says what a stream holds (conn.log byte counts, content_gap and
// rexmit_inconsistency events) the reassembled streams agree.
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sensor/flow/flow_counters.h"
#include "sensor/flow/flow_test_utils_pcap.h"

namespace dbaudit::sensor::flow {
namespace {

using testing::PcapRun;
using testing::RunPcap;
using testing::Transcript;

const std::string kTraces = DBAUDIT_SHARED_DIR "/corpus/zeek/traces/tcp/";

#define SKIP_WITHOUT_CORPUS()                                                          \
  if (!std::filesystem::exists(kTraces)) {                                             \
    GTEST_SKIP() << "Zeek corpus not found at " << kTraces << " (shared corpus absent)"; \
  }

const Transcript* FindByClientPort(const PcapRun& run, uint16_t port) {
  for (const auto& t : run.factory->transcripts) {
    if (t->info.client_port == port) return t.get();
  }
  return nullptr;
}

TEST(ZeekTracesTest, EveryTcpTraceReassemblesConsistently) {
  SKIP_WITHOUT_CORPUS();
  int traces = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kTraces)) {
    PcapRun run = RunPcap(entry.path().string());
    ASSERT_TRUE(run.opened) << entry.path() << ": " << run.error;
    ++traces;
    for (const auto& t : run.factory->transcripts) {
      EXPECT_TRUE(t->closed) << entry.path() << " " << t->info.session_id;
      // What the handler was given adds up to what OnClose reports.
      uint64_t c2s = 0, s2c = 0;
      for (const std::string& e : t->events) {
        if (e.rfind("data c2s ", 0) == 0) c2s += std::stoull(e.substr(9));
        if (e.rfind("data s2c ", 0) == 0) s2c += std::stoull(e.substr(9));
      }
      EXPECT_EQ(c2s, t->close.bytes_client_to_server) << entry.path();
      EXPECT_EQ(s2c, t->close.bytes_server_to_client) << entry.path();
      EXPECT_EQ(t->events.back().rfind("close ", 0), 0u) << "OnClose comes last";
    }
  }
  EXPECT_GE(traces, 31);
}

// Spreading flows over worker threads must not change a byte of what any handler sees.
TEST(ZeekTracesTest, WorkerThreadsDeliverTheSameStreams) {
  SKIP_WITHOUT_CORPUS();
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kTraces)) files.push_back(entry);
  for (const auto& entry : std::filesystem::directory_iterator(
           DBAUDIT_SOURCE_DIR "/tests/testdata/captures/linktypes")) {
    if (entry.path().extension() != ".py" && entry.path().extension() != ".sh" &&
        entry.path().extension() != ".md") {
      files.push_back(entry);
    }
  }
  for (const auto& file : files) {
    PcapRun inline_run = RunPcap(file.string());
    EngineOptions threaded;
    threaded.workers = 3;
    threaded.queue_batches = 2;  // tiny queues: the producer has to wait for the workers
    threaded.block_when_full = true;
    PcapRun threaded_run = RunPcap(file.string(), threaded);
    auto& a = inline_run.factory->transcripts;
    auto& b = threaded_run.factory->transcripts;
    ASSERT_EQ(a.size(), b.size()) << file;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i]->info.client_port, b[i]->info.client_port) << file;
      EXPECT_EQ(a[i]->client, b[i]->client) << file;
      EXPECT_EQ(a[i]->server, b[i]->server) << file;
      EXPECT_EQ(a[i]->close.reason, b[i]->close.reason) << file;
    }
  }
}

// Zeek conn.log (core.tcp.missing-syn): 141.42.64.125:56730 -> :80, orig_bytes 98,
// resp_bytes 9417, no missed bytes; the SYN is not in the trace.
TEST(ZeekTracesTest, MissingSynMatchesConnLog) {
  SKIP_WITHOUT_CORPUS();
  PcapRun run = RunPcap(kTraces + "missing-syn.pcap");
  const Transcript* t = FindByClientPort(run, 56730);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->info.server_port, 80);
  EXPECT_EQ(t->close.bytes_client_to_server, 98u);
  EXPECT_EQ(t->close.bytes_server_to_client, 9417u);
  EXPECT_EQ(t->client.find("[gap"), std::string::npos);
  EXPECT_EQ(t->server.find("[gap"), std::string::npos);
  EXPECT_EQ(t->client.rfind("GET ", 0), 0u);
  EXPECT_EQ(t->server.rfind("HTTP/1.", 0), 0u);
  EXPECT_EQ(t->close.reason, EndReason::kFin);
}

// Zeek conn.log (core.tcp.flip-without-syn): 141.142.228.5:6669 -> 192.150.187.43:80, 136 and
// 5007 bytes. No handshake: the lower port (80) is the server.
TEST(ZeekTracesTest, FlipWithoutSynMatchesConnLog) {
  SKIP_WITHOUT_CORPUS();
  PcapRun run = RunPcap(kTraces + "http-on-irc-port-missing-syn.pcapng");
  const Transcript* t = FindByClientPort(run, 6669);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->info.server_ip, "192.150.187.43");
  EXPECT_EQ(t->info.server_port, 80);
  EXPECT_FALSE(t->info.mid_stream) << "the SYN-ACK was captured, so both streams start known";
  EXPECT_EQ(t->close.bytes_client_to_server, 136u);
  EXPECT_EQ(t->close.bytes_server_to_client, 5007u);
}

// Zeek conn.log (core.tcp.rxmit-history): 10.0.88.85:50368 -> 192.168.0.27:80, 474 and 23783
// bytes (Zeek counts sequence space), ended by the originator's RST. The trace keeps only
// headers (every payload was cut by a 54-byte snaplen), so all of it must come out as gaps.
TEST(ZeekTracesTest, FastRetransmitHeadersOnlyTraceIsAllGaps) {
  SKIP_WITHOUT_CORPUS();
  PcapRun run = RunPcap(kTraces + "retransmit-fast009.pcap");
  const Transcript* t = FindByClientPort(run, 50368);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->close.bytes_client_to_server, 0u);
  EXPECT_EQ(t->close.bytes_server_to_client, 0u);
  EXPECT_EQ(t->client_gap_bytes, 474u);
  EXPECT_EQ(t->server_gap_bytes, 23783u);
  EXPECT_EQ(t->close.reason, EndReason::kRst);
}

// Zeek (core.tcp.miss-end-data): content_gap, is_orig=F, seq 1, length 2902: the first 2902
// bytes of the server's stream were acknowledged but never captured.
TEST(ZeekTracesTest, MissEndDataGapMatchesContentGap) {
  SKIP_WITHOUT_CORPUS();
  PcapRun run = RunPcap(kTraces + "miss_end_data.pcap");
  const Transcript* t = FindByClientPort(run, 60648);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->server.rfind("[gap 2902]", 0), 0u) << t->server.substr(0, 40);
  EXPECT_EQ(t->client.find("[gap"), std::string::npos);
}

// Zeek (core.reassembly): rexmit_inconsistency events on reassembly.pcap, each giving the first
// copy (t1) and the differing retransmission (t2). The first copy is what must be delivered.
TEST(ZeekTracesTest, InconsistentRetransmissionsKeepTheFirstCopy) {
  SKIP_WITHOUT_CORPUS();
  uint64_t differs = GetFlowCounters().overlap_differs->Value();
  PcapRun run = RunPcap(kTraces + "reassembly.pcap");
  const Transcript* t = FindByClientPort(run, 2564);
  ASSERT_NE(t, nullptr);
  // Stream offsets (relative to the first payload byte) where Zeek saw the inconsistencies;
  // the retransmissions carried "orgmmpelofil", "dfpqssidkpdg" and "ggdeolssksemrhedoledddml".
  ASSERT_GT(t->client_flat.size(), 14850u);
  EXPECT_EQ(t->client_flat.substr(13366, 12), "dgphrodofqhq");
  EXPECT_EQ(t->client_flat.substr(13378, 12), "lenhfdqhqfgs");
  EXPECT_EQ(t->client_flat.substr(14826, 24), "iokgedlsdkjkiefgmeqkfjoh");
  EXPECT_GE(GetFlowCounters().overlap_differs->Value() - differs, 3u);
}

}  // namespace
}  // namespace dbaudit::sensor::flow
