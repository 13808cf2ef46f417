// Builds wire-format frames for tests: IPv4/IPv6 + TCP with optional link headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dbaudit::sensor::decode::testing {

struct TcpSpec {
  std::string src = "10.0.0.1", dst = "10.0.0.2";  // both IPv4 or both IPv6 (with ':')
  uint16_t sport = 40000, dport = 3306;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0x18;  // PSH|ACK
  std::string payload;
  std::string ip_options;  // IPv4 only; multiple of 4 bytes
  uint16_t frag = 0;       // IPv4 flags+fragment offset field
};

inline void Put16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v & 0xFF));
}
inline void Put32(std::string* s, uint32_t v) {
  Put16(s, static_cast<uint16_t>(v >> 16));
  Put16(s, static_cast<uint16_t>(v & 0xFFFF));
}

std::string ParseAddress(const std::string& text, bool* v6);

// TCP header (20 bytes, no options) + payload.
std::string TcpBytes(const TcpSpec& t);
// IPv4 or IPv6 packet carrying the TCP segment (IPv6 gets `ext` inserted as raw extension
// headers, whose first next-header byte chain the caller builds; empty for none).
std::string IpPacket(const TcpSpec& t, const std::string& ipv6_ext = "", uint8_t first_next = 6);
// Ethernet II frame with optional VLAN tags (TPIDs in `tags`, each with VLAN id 100 + index).
std::string EthernetFrame(const std::string& ip_packet, bool v6,
                          const std::vector<uint16_t>& tags = {});

}  // namespace dbaudit::sensor::decode::testing
