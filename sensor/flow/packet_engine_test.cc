#include "sensor/flow/packet_engine.h"

#include <pcap/dlt.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "sensor/decode/decode_test_utils.h"
#include "sensor/flow/flow_counters.h"
#include "sensor/flow/flow_test_utils.h"

namespace dbaudit::sensor::flow {
namespace {

using decode::testing::IpPacket;
using decode::testing::TcpSpec;
using testing::RecordingFactory;
using testing::Transcript;

constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kRst = 0x04, kPshAck = 0x18;

// Feeds raw-IP packets built from TcpSpecs into an engine, one per millisecond.
class EngineHarness {
 public:
  explicit EngineHarness(EngineOptions options = {}, uint16_t accept_port = 0) {
    options.session_id_seed = 42;
    engine_ = std::make_unique<PacketEngine>(options, DLT_RAW, [this, accept_port](int) {
      auto f = std::make_unique<RecordingFactory>(accept_port);
      factory = f.get();
      return f;
    });
  }
  void Send(const TcpSpec& t) {
    frames_.push_back(IpPacket(t));
    capture::Packet p;
    p.ts_ns = ts_ns_ += 1000000;
    p.caplen = p.wire_len = static_cast<uint32_t>(frames_.back().size());
    p.data = reinterpret_cast<const uint8_t*>(frames_.back().data());
    engine_->OnPacket(p);
  }
  void Finish() { engine_->Finish(); }
  PacketEngine& engine() { return *engine_; }
  RecordingFactory* factory = nullptr;

 private:
  std::unique_ptr<PacketEngine> engine_;
  std::vector<std::string> frames_;
  int64_t ts_ns_ = int64_t{1700000000} * 1000000000;
};

TcpSpec Seg(bool from_client, uint32_t seq, uint32_t ack, uint8_t flags, std::string payload = "") {
  TcpSpec t;
  if (!from_client) {
    std::swap(t.src, t.dst);
    std::swap(t.sport, t.dport);
  }
  t.seq = seq;
  t.ack = ack;
  t.flags = flags;
  t.payload = std::move(payload);
  return t;
}

TEST(PacketEngineTest, HandshakeDataAndFinClose) {
  EngineHarness h;
  const uint32_t c = 0xFFFFFFF0, s = 5000;  // the client's ISN wraps during the connection
  h.Send(Seg(true, c, 0, kSyn));
  h.Send(Seg(false, s, c + 1, kSyn | kAck));
  h.Send(Seg(true, c + 1, s + 1, kAck));
  h.Send(Seg(false, s + 1, c + 1, kPshAck, "greeting"));
  h.Send(Seg(true, c + 1, s + 9, kPshAck, "0123456789ABCDEFGHIJ"));
  h.Send(Seg(false, s + 9, c + 21, kPshAck, "ok"));
  h.Send(Seg(true, c + 21, s + 11, kFin | kAck));
  h.Send(Seg(false, s + 11, c + 22, kFin | kAck));
  h.Send(Seg(true, c + 22, s + 12, kAck));
  ASSERT_EQ(h.factory->transcripts.size(), 1u);
  const Transcript& t = *h.factory->transcripts[0];
  EXPECT_TRUE(t.closed) << "closed by the FIN exchange before Finish()";
  EXPECT_EQ(t.close.reason, EndReason::kFin);
  EXPECT_EQ(t.client, "0123456789ABCDEFGHIJ");
  EXPECT_EQ(t.server, "greetingok");
  EXPECT_EQ(t.close.bytes_client_to_server, 20u);
  EXPECT_EQ(t.close.bytes_server_to_client, 10u);
  EXPECT_EQ(t.info.client_ip, "10.0.0.1");
  EXPECT_EQ(t.info.client_port, 40000);
  EXPECT_EQ(t.info.server_ip, "10.0.0.2");
  EXPECT_EQ(t.info.server_port, 3306);
  EXPECT_FALSE(t.info.mid_stream);
  ASSERT_EQ(t.info.session_id.size(), 18u);
  EXPECT_EQ(t.info.session_id.substr(0, 2), "s-");
  EXPECT_EQ(t.info.session_id.find_first_not_of("0123456789abcdef", 2), std::string::npos);
  h.Finish();
}

TEST(PacketEngineTest, SynAckFirstStillMakesItsSenderTheServer) {
  EngineHarness h;
  h.Send(Seg(false, 100, 11, kSyn | kAck));  // reordered handshake: SYN-ACK before SYN
  h.Send(Seg(true, 10, 0, kSyn));
  h.Send(Seg(true, 11, 101, kPshAck, "hello"));
  h.Finish();
  ASSERT_EQ(h.factory->transcripts.size(), 1u);
  const Transcript& t = *h.factory->transcripts[0];
  EXPECT_EQ(t.info.server_port, 3306);
  EXPECT_EQ(t.client, "hello");
  EXPECT_EQ(t.close.reason, EndReason::kCaptureEnd);
}

TEST(PacketEngineTest, MidStreamPickupUsesServerPortsThenLowerPort) {
  EngineOptions options;
  options.server_ports = {40000};
  EngineHarness h(options);
  h.Send(Seg(false, 777, 888, kPshAck, "from 3306"));
  h.Finish();
  ASSERT_EQ(h.factory->transcripts.size(), 1u);
  EXPECT_TRUE(h.factory->transcripts[0]->info.mid_stream);
  EXPECT_EQ(h.factory->transcripts[0]->info.server_port, 40000) << "configured port wins";

  EngineHarness lower;
  lower.Send(Seg(true, 1, 2, kPshAck, "x"));
  lower.Finish();
  EXPECT_EQ(lower.factory->transcripts[0]->info.server_port, 3306) << "lower port is server";
}

TEST(PacketEngineTest, AckedButUnseenDataBecomesGap) {
  EngineHarness h;
  h.Send(Seg(true, 10, 0, kSyn));
  h.Send(Seg(false, 100, 11, kSyn | kAck));
  h.Send(Seg(true, 11, 101, kPshAck, "AAAA"));
  // "BBBB" at 15 is never captured; the server acknowledges it.
  h.Send(Seg(false, 101, 19, kAck));
  h.Send(Seg(true, 19, 101, kPshAck, "CCCC"));
  h.Send(Seg(true, 23, 101, kRst));
  ASSERT_EQ(h.factory->transcripts.size(), 1u);
  const Transcript& t = *h.factory->transcripts[0];
  EXPECT_EQ(t.client, "AAAA[gap 4]CCCC");
  EXPECT_EQ(t.close.reason, EndReason::kRst);
  EXPECT_EQ(t.close.bytes_client_to_server, 8u);
  h.Finish();
}

TEST(PacketEngineTest, LostSynAckStillAnchorsTheServerStream) {
  EngineHarness h;
  h.Send(Seg(true, 10, 0, kSyn));
  // SYN-ACK (ISN 100) not captured; the handshake's last ACK carries 101.
  h.Send(Seg(true, 11, 101, kAck));
  h.Send(Seg(true, 11, 101, kPshAck, "query"));
  // The server's first 4 bytes (101..104) are lost as well; the client acknowledges them.
  h.Send(Seg(false, 105, 16, kPshAck, "rows"));
  h.Send(Seg(true, 16, 109, kAck));
  h.Finish();
  ASSERT_EQ(h.factory->transcripts.size(), 1u);
  EXPECT_EQ(h.factory->transcripts[0]->client, "query");
  EXPECT_EQ(h.factory->transcripts[0]->server, "[gap 4]rows");
}

TEST(PacketEngineTest, TcpFastOpenDataOnSyn) {
  EngineHarness h;
  h.Send(Seg(true, 10, 0, kSyn, "early"));
  h.Send(Seg(false, 100, 16, kSyn | kAck));
  h.Send(Seg(true, 16, 101, kPshAck, "-late"));
  h.Finish();
  ASSERT_EQ(h.factory->transcripts.size(), 1u);
  EXPECT_EQ(h.factory->transcripts[0]->client, "early-late");
}

TEST(PacketEngineTest, NullFactoryResultDropsPayloadButTracksFlow) {
  EngineHarness h({}, /*accept_port=*/5432);
  h.Send(Seg(true, 10, 0, kSyn));
  h.Send(Seg(false, 100, 11, kSyn | kAck));
  h.Send(Seg(true, 11, 101, kPshAck, "ignored"));
  h.Finish();
  EXPECT_TRUE(h.factory->transcripts.empty());
}

TEST(PacketEngineTest, PureAckForUnknownFlowCreatesNothing) {
  EngineHarness h;
  h.Send(Seg(true, 10, 20, kAck));
  h.Send(Seg(true, 10, 20, kFin | kAck));
  h.Finish();
  EXPECT_TRUE(h.factory->transcripts.empty());
}

TEST(PacketEngineTest, IdleTimeoutClosesFlow) {
  EngineOptions options;
  options.idle_timeout_us = 5000;  // 5 ms; the harness advances 1 ms per packet
  EngineHarness h(options);
  h.Send(Seg(true, 1, 2, kPshAck, "first"));
  TcpSpec other = Seg(true, 9, 9, kAck);
  other.sport = 50000;
  for (int i = 0; i < 3000; ++i) h.Send(other);  // another, untracked, 4-tuple's ACKs
  ASSERT_EQ(h.factory->transcripts.size(), 1u);
  EXPECT_TRUE(h.factory->transcripts[0]->closed);
  EXPECT_EQ(h.factory->transcripts[0]->close.reason, EndReason::kIdleTimeout);
  h.Finish();
}

TEST(PacketEngineTest, NewSynOnOpenFourTupleStartsANewConnection) {
  EngineHarness h;
  h.Send(Seg(true, 10, 0, kSyn));
  h.Send(Seg(false, 100, 11, kSyn | kAck));
  h.Send(Seg(true, 11, 101, kPshAck, "old"));
  // The old connection's FIN/RST was not captured; the client reuses the port.
  h.Send(Seg(true, 5000, 0, kSyn));
  h.Send(Seg(true, 5000, 0, kSyn));  // a retransmitted SYN belongs to the new connection
  h.Send(Seg(false, 900, 5001, kSyn | kAck));
  h.Send(Seg(true, 5001, 901, kPshAck, "new"));
  h.Finish();
  ASSERT_EQ(h.factory->transcripts.size(), 2u);
  EXPECT_EQ(h.factory->transcripts[0]->client, "old");
  EXPECT_EQ(h.factory->transcripts[0]->close.reason, EndReason::kEvicted);
  EXPECT_EQ(h.factory->transcripts[1]->client, "new");
  EXPECT_NE(h.factory->transcripts[0]->info.session_id, h.factory->transcripts[1]->info.session_id);
}

TEST(PacketEngineTest, SynFloodStaysWithinTheFlowCap) {
  EngineOptions options;
  options.max_flows = 1000;
  EngineHarness h(options);
  Gauge* active = GetFlowCounters().active_flows;
  const int64_t before = active->Value();
  int64_t peak = 0;
  for (uint32_t i = 0; i < 200000; ++i) {
    TcpSpec t = Seg(true, i, 0, kSyn);
    t.src = absl::StrFormat("10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    t.sport = static_cast<uint16_t>(1024 + i % 60000);
    h.Send(t);
    peak = std::max(peak, active->Value() - before);
  }
  EXPECT_LE(peak, 1000);
  EXPECT_GE(peak, 1000);
  EXPECT_TRUE(h.factory->transcripts.empty()) << "half-open flows get no handler";
  h.Finish();
  EXPECT_EQ(active->Value(), before);
}

TEST(PacketEngineTest, MaxFlowsEvictsOldestIdle) {
  EngineOptions options;
  options.max_flows = 2;
  EngineHarness h(options);
  for (uint16_t port : {1001, 1002, 1003}) {
    TcpSpec t = Seg(true, 1, 2, kPshAck, "x");
    t.sport = port;
    h.Send(t);
  }
  ASSERT_EQ(h.factory->transcripts.size(), 3u);
  EXPECT_EQ(h.factory->transcripts[0]->close.reason, EndReason::kEvicted);
  EXPECT_FALSE(h.factory->transcripts[1]->closed);
  h.Finish();
  EXPECT_EQ(h.factory->transcripts[2]->close.reason, EndReason::kCaptureEnd);
}

}  // namespace
}  // namespace dbaudit::sensor::flow

namespace dbaudit::sensor::flow {
namespace {

// Builds raw-IP frames and feeds them to a multi-worker engine; every worker has its own
// recording factory (handlers of one worker never share state with another's).
class ThreadedHarness {
 public:
  ThreadedHarness(int workers, size_t queue_batches,
                  std::function<std::unique_ptr<StreamHandlerFactory>(int)> make = nullptr) {
    EngineOptions options;
    options.workers = workers;
    options.queue_batches = queue_batches;
    if (!make) {
      make = [this](int) {
        auto f = std::make_unique<RecordingFactory>();
        factories.push_back(f.get());
        return f;
      };
    }
    engine = std::make_unique<PacketEngine>(options, DLT_RAW, make);
  }
  void Send(const TcpSpec& t) {
    std::string frame = IpPacket(t);
    capture::Packet p;
    p.ts_ns = ts_ns_ += 1000;
    p.caplen = p.wire_len = static_cast<uint32_t>(frame.size());
    p.data = reinterpret_cast<const uint8_t*>(frame.data());
    engine->OnPacket(p);  // the engine must copy: `frame` dies right after
  }
  std::vector<RecordingFactory*> factories;
  std::unique_ptr<PacketEngine> engine;

 private:
  int64_t ts_ns_ = int64_t{1700000000} * 1000000000;
};

TEST(PacketEngineThreadsTest, ManyFlowsOverFourWorkersKeepEveryStreamIntact) {
  ThreadedHarness h(/*workers=*/4, /*queue_batches=*/100000);
  constexpr int kFlows = 64, kMessages = 20;
  for (int m = 0; m < kMessages; ++m) {
    for (int f = 0; f < kFlows; ++f) {
      TcpSpec t = Seg(true, 1 + static_cast<uint32_t>(m) * 8, 1, kPshAck,
                      absl::StrFormat("f%03dm%03d", f, m).substr(0, 8));
      t.sport = static_cast<uint16_t>(20000 + f);
      h.Send(t);
      std::swap(t.src, t.dst);
      std::swap(t.sport, t.dport);
      t.seq = 1 + static_cast<uint32_t>(m);
      t.ack = 1 + static_cast<uint32_t>(m + 1) * 8;
      t.payload = "r";
      h.Send(t);
    }
  }
  h.engine->Finish();
  ASSERT_EQ(h.factories.size(), 4u);
  std::set<uint16_t> ports;
  std::set<std::string> ids;
  int used_workers = 0;
  for (RecordingFactory* f : h.factories) {
    if (!f->transcripts.empty()) ++used_workers;
    for (const auto& t : f->transcripts) {
      ports.insert(t->info.client_port);
      ids.insert(t->info.session_id);
      int flow = t->info.client_port - 20000;
      std::string want;
      for (int m = 0; m < kMessages; ++m) want += absl::StrFormat("f%03dm%03d", flow, m).substr(0, 8);
      EXPECT_EQ(t->client, want);
      EXPECT_EQ(t->server, std::string(kMessages, 'r'));
      EXPECT_EQ(t->close.reason, EndReason::kCaptureEnd);
    }
  }
  EXPECT_EQ(ports.size(), static_cast<size_t>(kFlows)) << "each flow seen by exactly one worker";
  EXPECT_EQ(ids.size(), static_cast<size_t>(kFlows)) << "session ids unique across workers";
  EXPECT_GE(used_workers, 2);
}

// A handler that blocks its worker until released, to fill the queue deterministically.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  void WaitEntered() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return entered_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false, open_ = false;
};

class BlockingHandler : public StreamHandler {
 public:
  explicit BlockingHandler(Gate* gate) : gate_(gate) {}
  void OnData(Direction, int64_t, absl::Span<const uint8_t>) override { gate_->Wait(); }
  void OnGap(Direction, int64_t, uint64_t) override {}
  void OnClose(int64_t, const CloseInfo&) override {}

 private:
  Gate* gate_;
};

class BlockingFactory : public StreamHandlerFactory {
 public:
  explicit BlockingFactory(Gate* gate) : gate_(gate) {}
  std::unique_ptr<StreamHandler> Create(const ConnectionInfo&) override {
    return std::make_unique<BlockingHandler>(gate_);
  }

 private:
  Gate* gate_;
};

TEST(PacketEngineThreadsTest, FullQueueDropsAndCountsInsteadOfBlocking) {
  Gate gate;
  ThreadedHarness h(/*workers=*/2, /*queue_batches=*/1,
                    [&gate](int) { return std::make_unique<BlockingFactory>(&gate); });
  Counter* dropped = GetFlowCounters().queue_dropped_packets;
  uint64_t before = dropped->Value();
  TcpSpec t = Seg(true, 1, 1, kPshAck, "x");
  for (int i = 0; i < 64; ++i) {  // one full batch reaches a worker, which then blocks
    t.seq = 1 + static_cast<uint32_t>(i);
    h.Send(t);
  }
  gate.WaitEntered();
  for (int i = 64; i < 64 * 10; ++i) {  // one more batch fits the queue, the rest is dropped
    t.seq = 1 + static_cast<uint32_t>(i);
    h.Send(t);
  }
  EXPECT_GE(dropped->Value() - before, 64u * 7);
  gate.Open();
  h.engine->Finish();
}

class FlagHandler : public StreamHandler {
 public:
  explicit FlagHandler(std::atomic<int>* data) : data_(data) {}
  void OnData(Direction, int64_t, absl::Span<const uint8_t>) override { data_->fetch_add(1); }
  void OnGap(Direction, int64_t, uint64_t) override {}
  void OnClose(int64_t, const CloseInfo&) override {}

 private:
  std::atomic<int>* data_;
};

class FlagFactory : public StreamHandlerFactory {
 public:
  explicit FlagFactory(std::atomic<int>* data) : data_(data) {}
  std::unique_ptr<StreamHandler> Create(const ConnectionInfo&) override {
    return std::make_unique<FlagHandler>(data_);
  }

 private:
  std::atomic<int>* data_;
};

TEST(PacketEngineThreadsTest, OnIdleHandsOverPartlyFilledBatches) {
  std::atomic<int> data{0};
  ThreadedHarness h(/*workers=*/2, /*queue_batches=*/16,
                    [&data](int) { return std::make_unique<FlagFactory>(&data); });
  h.Send(Seg(true, 1, 1, kPshAck, "lonely packet"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(data.load(), 0) << "a lone packet waits in its batch";
  h.engine->OnIdle(int64_t{1700000000} * 1000000 + 1000);
  for (int i = 0; i < 200 && data.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(data.load(), 1);
  h.engine->Finish();
}

TEST(PacketEngineTest, OnIdleFiresIdleTimeoutsWithoutPackets) {
  EngineOptions options;
  options.idle_timeout_us = 60 * 1000000;
  EngineHarness h(options);
  h.Send(Seg(true, 1, 2, kPshAck, "x"));
  h.engine().OnIdle(int64_t{1700000000} * 1000000 + 30 * 1000000);
  EXPECT_FALSE(h.factory->transcripts[0]->closed);
  h.engine().OnIdle(int64_t{1700000000} * 1000000 + 62 * 1000000);
  EXPECT_TRUE(h.factory->transcripts[0]->closed);
  EXPECT_EQ(h.factory->transcripts[0]->close.reason, EndReason::kIdleTimeout);
  h.Finish();
}

}  // namespace
}  // namespace dbaudit::sensor::flow
