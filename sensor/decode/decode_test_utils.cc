#include "sensor/decode/decode_test_utils.h"

#include <arpa/inet.h>

namespace dbaudit::sensor::decode::testing {

std::string ParseAddress(const std::string& text, bool* v6) {
  *v6 = text.find(':') != std::string::npos;
  unsigned char buf[16] = {0};
  inet_pton(*v6 ? AF_INET6 : AF_INET, text.c_str(), buf);
  return std::string(reinterpret_cast<char*>(buf), *v6 ? 16 : 4);
}

std::string TcpBytes(const TcpSpec& t) {
  std::string s;
  Put16(&s, t.sport);
  Put16(&s, t.dport);
  Put32(&s, t.seq);
  Put32(&s, t.ack);
  s.push_back(static_cast<char>(5 << 4));  // data offset 5 words
  s.push_back(static_cast<char>(t.flags));
  Put16(&s, 65535);  // window
  Put16(&s, 0);      // checksum (not verified by the decoder)
  Put16(&s, 0);      // urgent pointer
  return s + t.payload;
}

std::string IpPacket(const TcpSpec& t, const std::string& ipv6_ext, uint8_t first_next) {
  bool v6 = false;
  std::string src = ParseAddress(t.src, &v6);
  std::string dst = ParseAddress(t.dst, &v6);
  std::string tcp = TcpBytes(t);
  std::string s;
  if (!v6) {
    size_t ihl = 20 + t.ip_options.size();
    s.push_back(static_cast<char>(0x40 | (ihl / 4)));
    s.push_back(0);
    Put16(&s, static_cast<uint16_t>(ihl + tcp.size()));
    Put16(&s, 1);  // id
    Put16(&s, t.frag);
    s.push_back(64);  // ttl
    s.push_back(6);   // TCP
    Put16(&s, 0);
    return s + src + dst + t.ip_options + tcp;
  }
  Put32(&s, 0x60000000);
  Put16(&s, static_cast<uint16_t>(ipv6_ext.size() + tcp.size()));
  s.push_back(static_cast<char>(ipv6_ext.empty() ? 6 : first_next));
  s.push_back(64);
  return s + src + dst + ipv6_ext + tcp;
}

std::string EthernetFrame(const std::string& ip_packet, bool v6,
                          const std::vector<uint16_t>& tags) {
  std::string s(12, '\x02');  // dst and src MAC
  for (size_t i = 0; i < tags.size(); ++i) {
    Put16(&s, tags[i]);
    Put16(&s, static_cast<uint16_t>(100 + i));
  }
  Put16(&s, v6 ? 0x86DD : 0x0800);
  return s + ip_packet;
}

}  // namespace dbaudit::sensor::decode::testing
