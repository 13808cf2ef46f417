// Link layer, IPv4/IPv6 and TCP header decoding. Every read is bounds-checked against the
// captured length; a malformed or truncated header is counted (dbaudit_decode_*_total) and the
// packet skipped, never guessed at.
#pragma once

#include <cstdint>
#include <vector>

#include "sensor/capture/packet_source.h"
#include "sensor/decode/ip_address.h"
#include "sensor/decode/ip_fragments.h"

namespace dbaudit::sensor::decode {

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
  kFragment,         // an IP fragment of a TCP datagram, held until its datagram completes
                     // (the fragment that completes it decodes as kTcp)
  kTruncated,        // the snaplen or the file cut a header short
  kMalformed,        // a header field is impossible (bad version, length, offset)
  kUnsupportedLink,  // the capture's link type is not one dbaudit decodes
};

// Link types the decoder understands (pcap DLT_* values).
bool IsSupportedLinktype(int linktype);

class Decoder {
 public:
  explicit Decoder(int linktype, const FragmentLimits& fragment_limits = {});

  // Decodes one frame. Counters are shared by every decoder in the process. out->payload points
  // into the packet, or for a reassembled datagram into the decoder; either way it is valid
  // until the next Decode call.
  DecodeStatus Decode(const capture::Packet& packet, TcpSegment* out);

  const FragmentReassembler& fragments() const { return fragments_; }

 private:
  int linktype_;
  FragmentReassembler fragments_;
};

}  // namespace dbaudit::sensor::decode
