#include "sensor/flow/tcp_reassembler.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sensor/flow/flow_counters.h"

namespace dbaudit::sensor::flow {
namespace {

// Renders what the reassembler hands downstream: bytes as text, each gap as "[gap N]".
class TextOutput : public ReassemblyOutput {
 public:
  void OnStreamData(int64_t, absl::Span<const uint8_t> data) override {
    text.append(reinterpret_cast<const char*>(data.data()), data.size());
  }
  void OnStreamGap(int64_t, uint64_t length) override { absl::StrAppend(&text, "[gap ", length, "]"); }
  std::string text;
};

enum class Op { kData, kAck, kFin, kFlush };

struct Step {
  Op op;
  uint64_t offset = 0;  // relative to the first payload byte (ISN + 1)
  std::string data;
};

struct Case {
  std::string name;
  std::vector<Step> steps;
  std::string expected;
  uint64_t differing = 0;  // retransmissions whose bytes differ from the first copy
};

Step Data(uint64_t offset, std::string data) { return {Op::kData, offset, std::move(data)}; }
Step Ack(uint64_t offset) { return {Op::kAck, offset, ""}; }
Step Fin(uint64_t offset) { return {Op::kFin, offset, ""}; }
Step Flush() { return {Op::kFlush, 0, ""}; }

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"InOrder", {Data(0, "AAA"), Data(3, "BBB"), Data(6, "CCCCCCC")}, "AAABBBCCCCCCC"},
      {"Reversed", {Data(9, "DDD"), Data(6, "CCC"), Data(3, "BBB"), Data(0, "AAA")},
       "AAABBBCCCDDD"},
      {"Duplicate", {Data(0, "AAA"), Data(0, "AAA"), Data(3, "BBB"), Data(3, "BBB")}, "AAABBB"},
      {"DuplicateBuffered", {Data(5, "FFF"), Data(5, "FFF"), Data(0, "AAAAA")}, "AAAAAFFF"},
      {"SameSpanDifferentBytes", {Data(5, "FFF"), Data(5, "xxx"), Data(0, "AAAAA")}, "AAAAAFFF",
       1},
      {"OverlapsStartOfBuffered", {Data(5, "FFFF"), Data(3, "xxyy"), Data(0, "AAA")},
       "AAAxxFFFF", 1},
      {"OverlapsEndOfBuffered", {Data(3, "DDDD"), Data(5, "DDxxGG"), Data(0, "AAA")},
       "AAADDDDxxGG"},
      {"OverlapsEndOfBufferedDiffering", {Data(3, "DDDD"), Data(5, "zzxxGG"), Data(0, "AAA")},
       "AAADDDDxxGG", 1},
      {"CoversSeveralBuffered", {Data(2, "C"), Data(5, "F"), Data(0, "abcdefgh")}, "abCdeFgh", 1},
      {"InsideBuffered", {Data(2, "CCCCC"), Data(3, "x"), Data(0, "AA")}, "AACCCCC", 1},
      {"SpansBufferedExactly", {Data(3, "DDD"), Data(0, "AAADDDGG")}, "AAADDDGG"},
      {"RetransmitOfDeliveredWithNewTail", {Data(0, "AAAA"), Data(2, "AABB")}, "AAAABB"},
      {"AckedHoleBecomesGap", {Data(0, "AAA"), Ack(6), Data(6, "GGG")}, "AAA[gap 3]GGG"},
      {"AckedHoleBetweenBuffered", {Data(0, "AA"), Data(4, "EE"), Ack(8)},
       "AA[gap 2]EE[gap 2]"},
      {"AckBehindIsIgnored", {Data(0, "AAAA"), Ack(2), Data(4, "BB")}, "AAAABB"},
      {"HoleFlushedAtEnd", {Data(0, "AAA"), Data(6, "GGG"), Flush()}, "AAA[gap 3]GGG"},
      {"FinAfterMissingData", {Data(0, "AAA"), Fin(5), Flush()}, "AAA[gap 2]"},
      {"DataPastFinDropped", {Data(0, "AAA"), Fin(3), Data(3, "ZZZ"), Flush()}, "AAA"},
      {"LateFillAfterGapIgnored", {Data(0, "AA"), Ack(4), Data(2, "CC"), Data(4, "EE")},
       "AA[gap 2]EE"},
      {"FirstSegmentLost", {Data(3, "BBB"), Ack(6)}, "[gap 3]BBB"},
  };
  return cases;
}

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

class ReassemblyCaseTest : public ::testing::TestWithParam<std::tuple<size_t, uint32_t>> {};

TEST_P(ReassemblyCaseTest, DeliversExpectedStream) {
  const Case& c = Cases()[std::get<0>(GetParam())];
  const uint32_t isn = std::get<1>(GetParam());
  TextOutput out;
  BufferBudget budget(1 << 20);
  uint64_t differs_before = GetFlowCounters().overlap_differs->Value();
  {
    TcpReassembler r(&out, &budget, 1 << 20);
    r.Start(isn + 1);  // as after the SYN
    for (const Step& s : c.steps) {
      uint32_t seq = isn + 1 + static_cast<uint32_t>(s.offset);
      switch (s.op) {
        case Op::kData:
          r.AddSegment(0, seq,
                       absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data.data()),
                                           s.data.size()));
          break;
        case Op::kAck: r.OnAck(0, seq); break;
        case Op::kFin: r.SetFin(seq); break;
        case Op::kFlush: r.Flush(0); break;
      }
    }
  }
  EXPECT_EQ(out.text, c.expected) << c.name << " at ISN " << isn;
  EXPECT_EQ(GetFlowCounters().overlap_differs->Value() - differs_before, c.differing) << c.name;
  EXPECT_EQ(budget.used(), 0u) << "buffered bytes must be released";
}

INSTANTIATE_TEST_SUITE_P(
    AllCasesAllIsns, ReassemblyCaseTest,
    ::testing::Combine(::testing::Range<size_t>(0, 20),
                       ::testing::Values(0u, 1u, 0xFFFFFFFFu, 0xFFFFFFF5u)),
    [](const auto& info) {
      return absl::StrCat(Cases()[std::get<0>(info.param)].name, "_Isn",
                          std::get<1>(info.param));
    });

TEST(TcpReassemblerTest, CaseTableIsFullyInstantiated) { EXPECT_EQ(Cases().size(), 20u); }

// Counts delivered bytes without keeping them.
class CountingOutput : public ReassemblyOutput {
 public:
  void OnStreamData(int64_t, absl::Span<const uint8_t> data) override {
    bytes += data.size();
    last = std::string(reinterpret_cast<const char*>(data.data()), data.size());
  }
  void OnStreamGap(int64_t, uint64_t length) override { gaps += length; }
  uint64_t bytes = 0, gaps = 0;
  std::string last;
};

TEST(TcpReassemblerTest, StreamLongerThanFourGibibytesKeepsOrdering) {
  CountingOutput out;
  BufferBudget budget(1 << 20);
  TcpReassembler r(&out, &budget, 1 << 20);
  const uint32_t isn = 0xFFFFFF00u;
  r.Start(isn);
  std::vector<uint8_t> chunk(65000, 'x');
  const uint64_t chunks = (uint64_t{1} << 32) / chunk.size() + 2;
  uint32_t seq = isn;
  for (uint64_t i = 0; i < chunks; ++i) {
    r.AddSegment(0, seq, absl::MakeConstSpan(chunk));
    seq += static_cast<uint32_t>(chunk.size());
  }
  // Past 4 GiB: an out-of-order pair must still be put back in order.
  const std::string b = "second", a = "first-";
  r.AddSegment(0, seq + 6, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(b.data()), 6));
  r.AddSegment(0, seq, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(a.data()), 6));
  EXPECT_EQ(out.bytes, chunks * chunk.size() + 12);
  EXPECT_EQ(out.gaps, 0u);
  EXPECT_EQ(out.last, "second");
  EXPECT_GT(r.next_offset(), uint64_t{1} << 32);
}

TEST(TcpReassemblerTest, PerFlowCapTurnsOldestHoleIntoGap) {
  TextOutput out;
  BufferBudget budget(1 << 20);
  TcpReassembler r(&out, &budget, /*max_buffered=*/4);
  uint64_t flushes = GetFlowCounters().buffer_cap_flushes->Value();
  auto add = [&r](uint32_t seq, const std::string& s) {
    r.AddSegment(0, seq, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  r.Start(100);
  add(100, "AA");
  add(104, "EEE");  // 3 buffered, under the cap
  EXPECT_EQ(out.text, "AA");
  add(108, "III");  // 6 buffered: the hole at 102 is given up, the one at 107 is kept
  EXPECT_EQ(out.text, "AA[gap 2]EEE");
  EXPECT_EQ(r.buffered_bytes(), 3u);
  EXPECT_EQ(GetFlowCounters().buffer_cap_flushes->Value() - flushes, 1u);
  r.Flush(0);
  EXPECT_EQ(out.text, "AA[gap 2]EEE[gap 1]III");
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

TEST(TcpReassemblerTest, TotalBudgetIsShared) {
  TextOutput out1, out2;
  BufferBudget budget(/*limit=*/5);
  TcpReassembler r1(&out1, &budget, 1 << 20);
  TcpReassembler r2(&out2, &budget, 1 << 20);
  const std::string four = "DDDD";
  auto span = absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(four.data()), 4);
  r1.Start(0);
  r2.Start(0);
  r1.AddSegment(0, 10, span);
  EXPECT_EQ(budget.used(), 4u);
  r2.AddSegment(0, 10, span);  // 8 > 5: the flow that went over gives up its hole
  EXPECT_EQ(out2.text, "[gap 10]DDDD");
  EXPECT_EQ(budget.used(), 4u);
  EXPECT_EQ(out1.text, "");
}

TEST(TcpReassemblerTest, MidStreamPickupStartsAtFirstSegment) {
  TextOutput out;
  BufferBudget budget(1 << 20);
  TcpReassembler r(&out, &budget, 1 << 20);
  const std::string s = "BBBB", early = "AA";
  r.AddSegment(0, 5000, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()), 4));
  // A retransmission of bytes before the pickup point is ignored, not prepended.
  r.AddSegment(0, 4998, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(early.data()), 2));
  EXPECT_EQ(out.text, "BBBB");
  EXPECT_EQ(r.data_bytes(), 4u);
}

TEST(TcpReassemblerTest, AbsurdAckIsIgnored) {
  TextOutput out;
  BufferBudget budget(1 << 20);
  TcpReassembler r(&out, &budget, 1 << 20);
  r.Start(0);
  uint64_t bogus = GetFlowCounters().bogus_acks->Value();
  r.OnAck(0, 0x7FFFFFFF);
  EXPECT_EQ(out.text, "");
  EXPECT_EQ(GetFlowCounters().bogus_acks->Value() - bogus, 1u);
}

TEST(TcpReassemblerTest, RetransmissionOfDeliveredBytesIsComparedUntilAcked) {
  TextOutput out;
  BufferBudget budget(1 << 20);
  TcpReassembler r(&out, &budget, 1 << 20);
  const FlowCounters& c = GetFlowCounters();
  uint64_t differs = c.overlap_differs->Value();
  r.Start(1000);
  r.AddSegment(0, 1000, Bytes("ABCDEFGH"));
  EXPECT_EQ(r.history_bytes(), 8u);
  r.AddSegment(0, 1002, Bytes("CD"));  // same bytes again
  EXPECT_EQ(c.overlap_differs->Value() - differs, 0u);
  r.AddSegment(0, 1004, Bytes("xy"));  // different bytes at delivered offsets
  EXPECT_EQ(c.overlap_differs->Value() - differs, 1u);
  r.OnAck(0, 1006);  // the peer has the first 6 bytes: no need to keep them
  EXPECT_EQ(r.history_bytes(), 2u);
  r.AddSegment(0, 1000, Bytes("zzzzzz"));  // acked: cannot be compared any more
  EXPECT_EQ(c.overlap_differs->Value() - differs, 1u);
  r.AddSegment(0, 1006, Bytes("G!"));
  EXPECT_EQ(c.overlap_differs->Value() - differs, 2u);
  EXPECT_EQ(out.text, "ABCDEFGH") << "the first copy is what was delivered";
  EXPECT_EQ(budget.used(), 2u);
}

TEST(TcpReassemblerTest, HistoryIsBoundedPerDirection) {
  TextOutput out;
  BufferBudget budget(1 << 20);
  TcpReassembler r(&out, &budget, 1 << 20, /*max_history=*/5);
  r.AddSegment(0, 1, Bytes("0123456789"));
  EXPECT_EQ(r.history_bytes(), 5u);
  EXPECT_EQ(budget.used(), 5u);
}

TEST(TcpReassemblerTest, SnaplenCutHoleIsFilledByRetransmissionOrAck) {
  TextOutput out;
  BufferBudget budget(1 << 20);
  TcpReassembler r(&out, &budget, 1 << 20);
  r.AddSegment(0, 1000, Bytes("AAAA"));  // 6 more bytes were on the wire, cut by the snaplen
  r.AddSegment(0, 1010, Bytes("CCCC"));
  r.AddSegment(0, 1004, Bytes("BBBBBB"));  // the retransmission arrives whole
  EXPECT_EQ(out.text, "AAAABBBBBBCCCC");
  r.AddSegment(0, 1014, Bytes("DD"));  // cut again, never retransmitted
  r.AddSegment(0, 1020, Bytes("EE"));
  r.OnAck(0, 1022);
  EXPECT_EQ(out.text, "AAAABBBBBBCCCCDD[gap 4]EE");
}

}  // namespace
}  // namespace dbaudit::sensor::flow
