#include "sensor/protocols/mysql/frame_parser.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>
#include <vector>

#include "sensor/protocols/mysql/mysql_test_utils.h"
#include "sensor/protocols/mysql/test_data.h"

namespace dbaudit::sensor::mysql {
namespace {

using testing::Bytes;
using testing::MakePacket;

struct Seen {
  uint8_t seq;
  uint32_t length;
  std::string payload;
  bool truncated;
  bool operator==(const Seen& o) const {
    return seq == o.seq && length == o.length && payload == o.payload && truncated == o.truncated;
  }
};

std::vector<Seen> FeedInTwo(PacketStream& stream, std::string_view bytes, size_t split) {
  std::vector<Seen> seen;
  auto cb = [&](const Packet& p) {
    seen.push_back({p.seq, p.length,
                    std::string(reinterpret_cast<const char*>(p.payload.data()), p.payload.size()),
                    p.truncated});
  };
  EXPECT_TRUE(stream.Feed(Bytes(bytes.substr(0, split)), cb));
  EXPECT_TRUE(stream.Feed(Bytes(bytes.substr(split)), cb));
  return seen;
}

TEST(MysqlFrameParserTest, ShortHeaderNeedsMoreDataAndConsumesNothing) {
  Packet p;
  size_t consumed = 99;
  for (size_t n = 0; n < testdata::kLoginOk.size(); ++n) {
    EXPECT_EQ(ParsePacket(Bytes(testdata::kLoginOk.substr(0, n)), &p, &consumed),
              ParseState::kNeedMoreData)
        << n;
    EXPECT_EQ(consumed, 99u);
  }
  ASSERT_EQ(ParsePacket(Bytes(testdata::kLoginOk), &p, &consumed), ParseState::kOk);
  EXPECT_EQ(consumed, testdata::kLoginOk.size());
  EXPECT_EQ(p.seq, 2);
  EXPECT_EQ(p.length, 16u);
  EXPECT_EQ(p.payload[0], kOkMarker);
}

TEST(MysqlFrameParserTest, ResultSetFramesTheSameAtEverySplitPoint) {
  const std::string_view bytes = testdata::kCountResultSet;
  PacketStream whole({});
  const std::vector<Seen> expected = FeedInTwo(whole, bytes, bytes.size());
  ASSERT_EQ(expected.size(), 5u);  // column count, column def, EOF, row, EOF
  EXPECT_EQ(expected[3].payload, std::string("\x01" "2", 2));
  for (size_t split = 0; split <= bytes.size(); ++split) {
    PacketStream stream({});
    EXPECT_EQ(FeedInTwo(stream, bytes, split), expected) << "split " << split;
    EXPECT_EQ(stream.held_bytes(), 0u);
  }
}

TEST(MysqlFrameParserTest, OversizedPacketIsHandedOutAsAPrefixAndSkipped) {
  const std::string big = MakePacket(1, std::string(1000, 'x'));
  std::string bytes = big + std::string(testdata::kLoginOk);
  PacketStream::Options options;
  options.max_packet_bytes = 100;
  for (size_t split : {size_t{0}, size_t{50}, size_t{104}, size_t{105}, size_t{600}, big.size()}) {
    PacketStream stream(options);
    std::vector<Seen> seen = FeedInTwo(stream, bytes, split);
    ASSERT_EQ(seen.size(), 2u) << split;
    EXPECT_TRUE(seen[0].truncated);
    EXPECT_EQ(seen[0].length, 1000u);
    EXPECT_EQ(seen[0].payload, std::string(100, 'x'));
    EXPECT_FALSE(seen[1].truncated);
    EXPECT_EQ(seen[1].seq, 2);
    EXPECT_LE(stream.held_bytes(), 200u);  // never buffered whole
  }
}

TEST(MysqlFrameParserTest, StoredCompressedFrameYieldsItsPacket) {
  PacketStream stream({});
  stream.SetCompression(Compression::kZlib);
  std::vector<Seen> seen = FeedInTwo(stream, testdata::kCompressedQuery, 9);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].seq, 0);
  EXPECT_EQ(seen[0].payload.substr(1),
            "SELECT REPEAT('compressible text ', 40) AS padded, 1 AS one");
}

TEST(MysqlFrameParserTest, ZlibResultSetInflatesAtEverySplitPoint) {
  const std::string_view bytes = testdata::kCompressedResultSet;
  PacketStream whole({});
  whole.SetCompression(Compression::kZlib);
  const std::vector<Seen> expected = FeedInTwo(whole, bytes, bytes.size());
  // column count, 2 column definitions, EOF, 1 row, EOF
  ASSERT_EQ(expected.size(), 6u);
  EXPECT_EQ(expected[4].payload.substr(3, 18), "compressible text ");
  for (size_t split = 0; split <= bytes.size(); split += 7) {
    PacketStream stream({});
    stream.SetCompression(Compression::kZlib);
    EXPECT_EQ(FeedInTwo(stream, bytes, split), expected) << split;
  }
}

// Builds a compressed frame around `inner` (one or more plain packets) with libzstd.
std::string ZstdFrame(uint8_t seq, const std::string& inner) {
  std::string out(ZSTD_compressBound(inner.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), inner.data(), inner.size(), 3);
  out.resize(n);
  std::string frame;
  frame.push_back(static_cast<char>(n & 0xff));
  frame.push_back(static_cast<char>((n >> 8) & 0xff));
  frame.push_back(static_cast<char>((n >> 16) & 0xff));
  frame.push_back(static_cast<char>(seq));
  frame.push_back(static_cast<char>(inner.size() & 0xff));
  frame.push_back(static_cast<char>((inner.size() >> 8) & 0xff));
  frame.push_back(static_cast<char>((inner.size() >> 16) & 0xff));
  return frame + out;
}

TEST(MysqlFrameParserTest, ZstdFramesCarryPacketsAcrossFrameBoundaries) {
  // One packet split over two zstd frames, then a whole one.
  const std::string packets = std::string(testdata::kQueryCount) + std::string(testdata::kLoginOk);
  const std::string bytes = ZstdFrame(0, packets.substr(0, 10)) + ZstdFrame(1, packets.substr(10));
  for (size_t split = 0; split <= bytes.size(); ++split) {
    PacketStream stream({});
    stream.SetCompression(Compression::kZstd);
    std::vector<Seen> seen = FeedInTwo(stream, bytes, split);
    ASSERT_EQ(seen.size(), 2u) << split;
    EXPECT_EQ(seen[0].payload.substr(1), "SELECT COUNT(*) FROM items");
    EXPECT_EQ(seen[1].seq, 2);
  }
}

TEST(MysqlFrameParserTest, CorruptCompressedFrameFailsTheStream) {
  std::string frame(testdata::kCompressedResultSet);
  frame[10] = static_cast<char>(frame[10] ^ 0x5a);  // inside the zlib stream
  PacketStream stream({});
  stream.SetCompression(Compression::kZlib);
  EXPECT_FALSE(stream.Feed(Bytes(frame), [](const Packet&) {}));
  EXPECT_EQ(stream.held_bytes(), 0u);
  CompressedFrame parsed;
  size_t consumed = 0;
  EXPECT_EQ(ParseCompressedFrame(Bytes(std::string("\x00\x00\x00\x00\x05\x00\x00", 7)), &parsed,
                                 &consumed),
            ParseState::kInvalid);
}

TEST(MysqlFrameParserTest, InflatingPastTheBufferCapFailsTheStream) {
  PacketStream::Options options;
  options.max_buffer_bytes = 64;
  options.max_packet_bytes = 32;
  PacketStream stream(options);
  stream.SetCompression(Compression::kZstd);
  // A frame whose inflated content (one unfinished 300-byte packet) cannot be held.
  const std::string frame = ZstdFrame(0, MakePacket(0, std::string(300, 'q')).substr(0, 200));
  EXPECT_FALSE(stream.Feed(Bytes(frame), [](const Packet&) {}));
  EXPECT_EQ(stream.held_bytes(), 0u);
}

TEST(MysqlFrameParserTest, SwitchingToCompressionInsideAChunkReframesTheRest) {
  // Authentication OK followed, in the same chunk, by a compressed frame.
  const std::string bytes = std::string(testdata::kLoginOk) + ZstdFrame(0, std::string(testdata::kQueryCount));
  PacketStream stream({});
  std::vector<std::string> payloads;
  EXPECT_TRUE(stream.Feed(Bytes(bytes), [&](const Packet& p) {
    payloads.emplace_back(reinterpret_cast<const char*>(p.payload.data()), p.payload.size());
    if (payloads.size() == 1) stream.SetCompression(Compression::kZstd);
  }));
  ASSERT_EQ(payloads.size(), 2u);
  EXPECT_EQ(payloads[1].substr(1), "SELECT COUNT(*) FROM items");
}

TEST(MysqlFrameParserTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(rng() % 300, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    for (Compression c : {Compression::kNone, Compression::kZlib, Compression::kZstd}) {
      PacketStream::Options options;
      options.max_packet_bytes = 64;
      options.max_buffer_bytes = 256;
      PacketStream stream(options);
      stream.SetCompression(c);
      size_t total = 0;
      const size_t split = bytes.empty() ? 0 : rng() % bytes.size();
      (void)stream.Feed(Bytes(std::string_view(bytes).substr(0, split)),
                        [&](const Packet& p) { total += p.payload.size(); });
      (void)stream.Feed(Bytes(std::string_view(bytes).substr(split)),
                        [&](const Packet& p) { total += p.payload.size(); });
      EXPECT_LE(total, bytes.size());
    }
  }
}

}  // namespace
}  // namespace dbaudit::sensor::mysql
