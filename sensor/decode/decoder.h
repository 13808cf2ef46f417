// Link layer, IPv4/IPv6 and TCP header decoding. Every read is bounds-checked against the
// captured length; a malformed or truncated header is counted (dbaudit_decode_*_total) and the
// packet skipped, never guessed at.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "sensor/capture/packet_source.h"

namespace dbaudit::sensor::decode {

struct IpAddress {
  uint8_t version = 4;              // 4 or 6
  std::array<uint8_t, 16> bytes{};  // IPv4 uses bytes[0..3], the rest stay zero

  std::string ToString() const;  // "10.0.0.1", "fe80::1"
  bool operator==(const IpAddress& o) const = default;
  auto operator<=>(const IpAddress& o) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.version, a.bytes);
  }
};

// TCP flag bits (RFC 9293 section 3.1).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;

// One TCP segment. `payload` points into the packet and is valid as long as the packet is.
struct TcpSegment {
  IpAddress src, dst;
  uint16_t src_port = 0, dst_port = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  const uint8_t* payload = nullptr;
  uint32_t payload_len = 0;      // captured payload bytes
  uint32_t payload_missing = 0;  // payload bytes the IP header declares but the snaplen cut off
  int64_t ts_us = 0;
};

enum class DecodeStatus {
  kTcp,              // *out holds a TCP segment
  kNotIp,            // a link-layer frame that carries neither IPv4 nor IPv6 (ARP, LLDP, ...)
  kNotTcp,           // IP, but not TCP (UDP, ICMP, ...)
  kFragment,         // an IP fragment; counted and skipped (never parsed as TCP)
  kTruncated,        // the snaplen or the file cut a header short
  kMalformed,        // a header field is impossible (bad version, length, offset)
  kUnsupportedLink,  // the capture's link type is not one dbaudit decodes
};

// Link types the decoder understands (pcap DLT_* values).
bool IsSupportedLinktype(int linktype);

class Decoder {
 public:
  explicit Decoder(int linktype);

  // Decodes one frame. Counters are shared by every decoder in the process.
  DecodeStatus Decode(const capture::Packet& packet, TcpSegment* out);

 private:
  int linktype_;
};

}  // namespace dbaudit::sensor::decode
