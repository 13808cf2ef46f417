#include "sensor/decode/decoder.h"

#include <pcap/dlt.h>

#include <deque>
#include <random>
#include <vector>
#include <string>

#include "gtest/gtest.h"
#include "sensor/decode/decode_test_utils.h"

namespace dbaudit::sensor::decode {
namespace {

using testing::EthernetFrame;
using testing::IpPacket;
using testing::Put16;
using testing::Put32;
using testing::TcpSpec;

constexpr int kDltSll2 = 276;

// Keeps every frame a test built alive for the whole test binary, so a decoded segment's
// payload pointer stays valid even when the frame was a temporary.
capture::Packet MakePacket(std::string frame_bytes, uint32_t wire_len = 0) {
  static std::deque<std::string> frames;
  const std::string& frame = frames.emplace_back(std::move(frame_bytes));
  capture::Packet p;
  p.ts_ns = 1700000000123456789;
  p.caplen = static_cast<uint32_t>(frame.size());
  p.wire_len = wire_len != 0 ? wire_len : p.caplen;
  p.data = reinterpret_cast<const uint8_t*>(frame.data());
  return p;
}

std::string PayloadOf(const TcpSegment& seg) {
  return std::string(reinterpret_cast<const char*>(seg.payload), seg.payload_len);
}

TcpSpec Spec() {
  TcpSpec t;
  t.seq = 0x01020304;
  t.ack = 0xA0B0C0D0;
  t.payload = "select 1";
  return t;
}

void ExpectSpecDecoded(const TcpSegment& seg) {
  EXPECT_EQ(seg.src_port, 40000);
  EXPECT_EQ(seg.dst_port, 3306);
  EXPECT_EQ(seg.seq, 0x01020304u);
  EXPECT_EQ(seg.ack, 0xA0B0C0D0u);
  EXPECT_EQ(seg.flags, 0x18);
  EXPECT_EQ(PayloadOf(seg), "select 1");
  EXPECT_EQ(seg.payload_missing, 0u);
  EXPECT_EQ(seg.ts_us, 1700000000123456);
}

TEST(DecoderTest, EthernetIpv4) {
  std::string frame = EthernetFrame(IpPacket(Spec()), false);
  TcpSegment seg;
  ASSERT_EQ(Decoder(DLT_EN10MB).Decode(MakePacket(frame), &seg), DecodeStatus::kTcp);
  ExpectSpecDecoded(seg);
  EXPECT_EQ(seg.src.ToString(), "10.0.0.1");
  EXPECT_EQ(seg.dst.ToString(), "10.0.0.2");
}

TEST(DecoderTest, EthernetPaddingIsNotPayload) {
  TcpSpec t = Spec();
  t.payload = "";
  std::string frame = EthernetFrame(IpPacket(t), false) + std::string(6, '\0');
  TcpSegment seg;
  ASSERT_EQ(Decoder(DLT_EN10MB).Decode(MakePacket(frame), &seg), DecodeStatus::kTcp);
  EXPECT_EQ(seg.payload_len, 0u);
  EXPECT_EQ(seg.payload_missing, 0u);
}

TEST(DecoderTest, VlanAndQinQ) {
  for (const auto& tags : std::vector<std::vector<uint16_t>>{{0x8100}, {0x88A8, 0x8100},
                                                              {0x9100, 0x8100}}) {
    std::string frame = EthernetFrame(IpPacket(Spec()), false, tags);
    TcpSegment seg;
    ASSERT_EQ(Decoder(DLT_EN10MB).Decode(MakePacket(frame), &seg), DecodeStatus::kTcp);
    ExpectSpecDecoded(seg);
  }
  std::string too_many = EthernetFrame(IpPacket(Spec()), false, std::vector<uint16_t>(5, 0x8100));
  TcpSegment seg;
  EXPECT_EQ(Decoder(DLT_EN10MB).Decode(MakePacket(too_many), &seg), DecodeStatus::kMalformed);
}

TEST(DecoderTest, LinuxCookedV1AndV2) {
  std::string ip = IpPacket(Spec());
  std::string sll;
  Put16(&sll, 0);      // packet type: to us
  Put16(&sll, 772);    // ARPHRD_LOOPBACK
  Put16(&sll, 6);      // address length
  sll += std::string(8, '\0');
  Put16(&sll, 0x0800);
  TcpSegment seg;
  ASSERT_EQ(Decoder(DLT_LINUX_SLL).Decode(MakePacket(sll + ip), &seg), DecodeStatus::kTcp);
  ExpectSpecDecoded(seg);

  std::string sll2;
  Put16(&sll2, 0x0800);  // protocol
  Put16(&sll2, 0);       // reserved
  Put32(&sll2, 1);       // interface index
  Put16(&sll2, 772);     // ARPHRD_LOOPBACK
  sll2.push_back(0);     // packet type
  sll2.push_back(6);     // address length
  sll2 += std::string(8, '\0');
  ASSERT_EQ(Decoder(kDltSll2).Decode(MakePacket(sll2 + ip), &seg), DecodeStatus::kTcp);
  ExpectSpecDecoded(seg);
}

TEST(DecoderTest, NullLoopbackInEitherByteOrderAndLoop) {
  TcpSpec t = Spec();
  t.src = "::1";
  t.dst = "fe80::2";
  std::string ip6 = IpPacket(t);
  TcpSegment seg;
  std::string little = std::string("\x0a\x00\x00\x00", 4) + ip6;  // AF_INET6 on Linux
  ASSERT_EQ(Decoder(DLT_NULL).Decode(MakePacket(little), &seg), DecodeStatus::kTcp);
  ExpectSpecDecoded(seg);
  EXPECT_EQ(seg.src.ToString(), "::1");
  EXPECT_EQ(seg.dst.ToString(), "fe80::2");
  std::string big = std::string("\x00\x00\x00\x1e", 4) + ip6;  // AF_INET6 on macOS
  ASSERT_EQ(Decoder(DLT_NULL).Decode(MakePacket(big), &seg), DecodeStatus::kTcp);
  std::string loop = std::string("\x00\x00\x00\x02", 4) + IpPacket(Spec());
  ASSERT_EQ(Decoder(DLT_LOOP).Decode(MakePacket(loop), &seg), DecodeStatus::kTcp);
  ExpectSpecDecoded(seg);
  std::string other = std::string("\x07\x00\x00\x00", 4) + ip6;
  EXPECT_EQ(Decoder(DLT_NULL).Decode(MakePacket(other), &seg), DecodeStatus::kNotIp);
}

TEST(DecoderTest, RawIpPicksVersionFromHeader) {
  TcpSegment seg;
  ASSERT_EQ(Decoder(DLT_RAW).Decode(MakePacket(IpPacket(Spec())), &seg), DecodeStatus::kTcp);
  ExpectSpecDecoded(seg);
  TcpSpec t = Spec();
  t.src = "2001:db8::1";
  t.dst = "2001:db8::2";
  ASSERT_EQ(Decoder(DLT_RAW).Decode(MakePacket(IpPacket(t)), &seg), DecodeStatus::kTcp);
  ExpectSpecDecoded(seg);
  EXPECT_EQ(seg.src.version, 6);
}

TEST(DecoderTest, Ipv4OptionsAreSkipped) {
  TcpSpec t = Spec();
  t.ip_options = std::string("\x94\x04\x00\x00", 4);  // router alert
  TcpSegment seg;
  ASSERT_EQ(Decoder(DLT_RAW).Decode(MakePacket(IpPacket(t)), &seg), DecodeStatus::kTcp);
  ExpectSpecDecoded(seg);
}

// IPv4 header (20 bytes) for one fragment of a TCP datagram with identification 0x1234.
std::string Ipv4Fragment(uint32_t offset, bool more, const std::string& piece) {
  std::string s;
  s.push_back(0x45);
  s.push_back(0);
  Put16(&s, static_cast<uint16_t>(20 + piece.size()));
  Put16(&s, 0x1234);
  Put16(&s, static_cast<uint16_t>((more ? 0x2000 : 0) | (offset / 8)));
  s.push_back(64);
  s.push_back(6);
  Put16(&s, 0);
  s += std::string("\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
  return s + piece;
}

// The TCP segment of Spec() cut into fragments of 8, 8 and the rest (28 bytes in all).
std::vector<std::string> Ipv4Fragments() {
  std::string tcp = testing::TcpBytes(Spec());
  return {Ipv4Fragment(0, true, tcp.substr(0, 8)), Ipv4Fragment(8, true, tcp.substr(8, 8)),
          Ipv4Fragment(16, false, tcp.substr(16))};
}

TEST(DecoderTest, Ipv4FragmentsAreReassembledInAnyOrder) {
  for (std::vector<int> order : {std::vector<int>{0, 1, 2}, {2, 1, 0}, {1, 2, 0}}) {
    Decoder decoder(DLT_RAW);
    std::vector<std::string> frags = Ipv4Fragments();
    TcpSegment seg;
    for (size_t i = 0; i < order.size(); ++i) {
      DecodeStatus s = decoder.Decode(MakePacket(frags[order[i]]), &seg);
      if (i + 1 < order.size()) {
        EXPECT_EQ(s, DecodeStatus::kFragment);
      } else {
        ASSERT_EQ(s, DecodeStatus::kTcp);
        ExpectSpecDecoded(seg);
        EXPECT_EQ(seg.src.ToString(), "10.0.0.1");
      }
    }
    EXPECT_EQ(decoder.fragments().pending(), 0u);
    EXPECT_EQ(decoder.fragments().buffered_bytes(), 0u);
  }
}

TEST(DecoderTest, OverlappingFragmentsKeepTheFirstCopy) {
  Decoder decoder(DLT_RAW);
  std::vector<std::string> frags = Ipv4Fragments();
  std::string tcp = testing::TcpBytes(Spec());
  std::string forged = tcp.substr(8, 16);
  forged[12] = 'X';  // would turn "select 1" into "selXct 1"
  TcpSegment seg;
  EXPECT_EQ(decoder.Decode(MakePacket(frags[2]), &seg), DecodeStatus::kFragment);
  // Overlaps the last fragment with a different byte, and supplies the middle.
  EXPECT_EQ(decoder.Decode(MakePacket(Ipv4Fragment(8, true, forged)), &seg),
            DecodeStatus::kFragment);
  ASSERT_EQ(decoder.Decode(MakePacket(frags[0]), &seg), DecodeStatus::kTcp);
  EXPECT_EQ(PayloadOf(seg), "select 1");
}

TEST(DecoderTest, IncompleteDatagramTimesOutAndInvalidFragmentsDrop) {
  FragmentLimits limits;
  limits.timeout_us = 1000;
  Decoder decoder(DLT_RAW, limits);
  std::vector<std::string> frags = Ipv4Fragments();
  TcpSegment seg;
  capture::Packet first = MakePacket(frags[0]);
  EXPECT_EQ(decoder.Decode(first, &seg), DecodeStatus::kFragment);
  EXPECT_EQ(decoder.fragments().pending(), 1u);
  capture::Packet late = MakePacket(frags[2]);
  late.ts_ns += 2000000;  // 2 ms later: the datagram has expired
  EXPECT_EQ(decoder.Decode(late, &seg), DecodeStatus::kFragment);
  EXPECT_EQ(decoder.fragments().pending(), 1u) << "only the late fragment is held";
  // A non-final fragment whose length is not a multiple of 8 is impossible.
  EXPECT_EQ(decoder.Decode(MakePacket(Ipv4Fragment(0, true, "12345")), &seg),
            DecodeStatus::kFragment);
  EXPECT_EQ(decoder.fragments().pending(), 0u);
}

TEST(DecoderTest, FragmentCapsBoundMemory) {
  FragmentLimits limits;
  limits.max_datagrams = 3;
  Decoder decoder(DLT_RAW, limits);
  TcpSegment seg;
  for (int i = 0; i < 100; ++i) {
    std::string f = Ipv4Fragment(0, true, std::string(8, 'a'));
    f[4] = static_cast<char>(i);  // a different identification each time
    EXPECT_EQ(decoder.Decode(MakePacket(f), &seg), DecodeStatus::kFragment);
    EXPECT_LE(decoder.fragments().pending(), 3u);
  }
}

TEST(DecoderTest, Ipv6FragmentsAreReassembled) {
  TcpSpec t = Spec();
  t.src = "2001:db8::1";
  t.dst = "2001:db8::2";
  std::string tcp = testing::TcpBytes(t);
  auto fragment = [&](uint32_t offset, bool more, const std::string& piece) {
    std::string ext = "\x06";  // next header: TCP
    ext.push_back(0);
    Put16(&ext, static_cast<uint16_t>(offset | (more ? 1 : 0)));
    Put32(&ext, 0xCAFE);
    TcpSpec shell = t;
    std::string packet = IpPacket(shell, ext, 44);
    // Replace the whole TCP part IpPacket appended with this fragment's piece.
    packet.resize(40 + 8);
    packet += piece;
    packet[4] = static_cast<char>((8 + piece.size()) >> 8);
    packet[5] = static_cast<char>((8 + piece.size()) & 0xFF);
    return packet;
  };
  Decoder decoder(DLT_RAW);
  TcpSegment seg;
  EXPECT_EQ(decoder.Decode(MakePacket(fragment(16, false, tcp.substr(16))), &seg),
            DecodeStatus::kFragment);
  ASSERT_EQ(decoder.Decode(MakePacket(fragment(0, true, tcp.substr(0, 16))), &seg),
            DecodeStatus::kTcp);
  ExpectSpecDecoded(seg);
  EXPECT_EQ(seg.src.ToString(), "2001:db8::1");
}

TEST(DecoderTest, Ipv6ExtensionHeaderChain) {
  TcpSpec t = Spec();
  t.src = "2001:db8::1";
  t.dst = "2001:db8::2";
  // Hop-by-hop (next=60, len 0, 6 bytes padding) then destination options (next=6, len 0).
  std::string ext = std::string("\x3c\x00", 2) + std::string(6, '\x00') +
                    std::string("\x06\x00", 2) + std::string(6, '\x00');
  TcpSegment seg;
  ASSERT_EQ(Decoder(DLT_RAW).Decode(MakePacket(IpPacket(t, ext, 0)), &seg), DecodeStatus::kTcp);
  ExpectSpecDecoded(seg);
  // Atomic fragment header (offset 0, M=0): walked over.
  std::string atomic = std::string("\x06\x00\x00\x00\x00\x00\x00\x01", 8);
  ASSERT_EQ(Decoder(DLT_RAW).Decode(MakePacket(IpPacket(t, atomic, 44)), &seg),
            DecodeStatus::kTcp);
  ExpectSpecDecoded(seg);
  // A hop-by-hop header claiming more bytes than the packet has.
  std::string huge = std::string("\x06\xff", 2) + std::string(6, '\x00');
  EXPECT_NE(Decoder(DLT_RAW).Decode(MakePacket(IpPacket(t, huge, 0)), &seg), DecodeStatus::kTcp);
}

TEST(DecoderTest, SnaplenCutPayloadIsReportedMissing) {
  std::string ip = IpPacket(Spec());
  std::string cut = ip.substr(0, ip.size() - 3);
  TcpSegment seg;
  ASSERT_EQ(Decoder(DLT_RAW).Decode(MakePacket(cut, static_cast<uint32_t>(ip.size())), &seg),
            DecodeStatus::kTcp);
  EXPECT_EQ(PayloadOf(seg), "selec");
  EXPECT_EQ(seg.payload_missing, 3u);
}

TEST(DecoderTest, NonTcpAndNonIp) {
  std::string ip = IpPacket(Spec());
  ip[9] = 17;  // UDP
  TcpSegment seg;
  EXPECT_EQ(Decoder(DLT_RAW).Decode(MakePacket(ip), &seg), DecodeStatus::kNotTcp);
  std::string arp = std::string(12, '\x02') + std::string("\x08\x06", 2) + std::string(28, '\0');
  EXPECT_EQ(Decoder(DLT_EN10MB).Decode(MakePacket(arp), &seg), DecodeStatus::kNotIp);
  EXPECT_EQ(Decoder(DLT_IEEE802_11).Decode(MakePacket(arp), &seg),
            DecodeStatus::kUnsupportedLink);
}

TEST(DecoderTest, BadTcpDataOffsetIsMalformed) {
  std::string ip = IpPacket(Spec());
  ip[20 + 12] = static_cast<char>(15 << 4);  // 60-byte header in a 28-byte segment
  TcpSegment seg;
  EXPECT_EQ(Decoder(DLT_RAW).Decode(MakePacket(ip), &seg), DecodeStatus::kMalformed);
  ip[20 + 12] = static_cast<char>(2 << 4);  // below the 20-byte minimum
  EXPECT_EQ(Decoder(DLT_RAW).Decode(MakePacket(ip), &seg), DecodeStatus::kMalformed);
}

TEST(DecoderTest, EveryPrefixOfAFrameIsSafe) {
  std::string frame = EthernetFrame(IpPacket(Spec()), false, {0x88A8, 0x8100});
  for (size_t n = 0; n < frame.size(); ++n) {
    std::string prefix = frame.substr(0, n);
    TcpSegment seg;
    DecodeStatus s =
        Decoder(DLT_EN10MB).Decode(MakePacket(prefix, static_cast<uint32_t>(frame.size())), &seg);
    if (s == DecodeStatus::kTcp) {
      EXPECT_EQ(seg.payload_len + seg.payload_missing, 8u) << "prefix " << n;
    } else {
      EXPECT_EQ(s, DecodeStatus::kTruncated) << "prefix " << n;
    }
  }
}

TEST(DecoderTest, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  const int linktypes[] = {DLT_EN10MB, DLT_LINUX_SLL, kDltSll2, DLT_NULL, DLT_LOOP, DLT_RAW};
  std::string good = EthernetFrame(IpPacket(Spec()), false, {0x8100});
  for (int i = 0; i < 20000; ++i) {
    std::string frame;
    if (i % 2 == 0) {
      frame.resize(rng() % 128);
      for (char& c : frame) c = static_cast<char>(rng());
    } else {  // mutate a valid frame so the deeper layers get exercised too
      frame = good;
      for (int k = 0; k < 3; ++k) frame[rng() % frame.size()] = static_cast<char>(rng());
      frame.resize(rng() % (frame.size() + 1));
    }
    TcpSegment seg;
    DecodeStatus s = Decoder(linktypes[i % 6]).Decode(MakePacket(frame), &seg);
    if (s == DecodeStatus::kTcp && seg.payload_len > 0) {
      const uint8_t* begin = reinterpret_cast<const uint8_t*>(frame.data());
      ASSERT_GE(seg.payload, begin);
      ASSERT_LE(seg.payload + seg.payload_len, begin + frame.size());
    }
  }
}

}  // namespace
}  // namespace dbaudit::sensor::decode
