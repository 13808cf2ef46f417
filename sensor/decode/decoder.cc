#include "sensor/decode/decoder.h"

#include <arpa/inet.h>

#include <algorithm>
#include <pcap/dlt.h>

#include "common/metrics.h"

namespace dbaudit::sensor::decode {
namespace {

// Link types from pcap-linktype(7). DLT_RAW is 12 on Linux and 14 on OpenBSD; files written with
// LINKTYPE_RAW (101) are reported as DLT_RAW by libpcap, but accept 101 too.
constexpr int kLinktypeRaw = 101;
constexpr int kDltRawOpenBsd = 14;
constexpr int kDltSll2 = 276;

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86DD;
constexpr uint16_t kEtherTypeVlan = 0x8100;    // 802.1Q
constexpr uint16_t kEtherTypeQinQ = 0x88A8;    // 802.1ad service tag
constexpr uint16_t kEtherTypeQinQOld = 0x9100;  // pre-standard QinQ
constexpr int kMaxVlanTags = 4;

constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6Auth = 51;
constexpr uint8_t kIpv6DestOpts = 60;
constexpr uint8_t kIpv6Mobility = 135;
constexpr uint8_t kIpv6Hip = 139;
constexpr uint8_t kIpv6Shim6 = 140;
constexpr int kMaxIpv6ExtHeaders = 16;

struct DecodeCounters {
  Counter* unsupported_link;
  Counter* truncated;
  Counter* malformed_link;
  Counter* malformed_ipv4;
  Counter* malformed_ipv6;
  Counter* malformed_tcp;
  Counter* not_ip;
  Counter* not_tcp;
  Counter* ipv4_fragments;
  Counter* ipv6_fragments;
  Counter* ipv4_options;
  Counter* ipv6_ext_headers;
  Counter* payload_truncated;
  Counter* ipv4_zero_length;
};

const DecodeCounters& Counters() {
  static const DecodeCounters counters = [] {
    auto& r = MetricsRegistry::Default();
    return DecodeCounters{
        r.GetCounter("dbaudit_decode_unsupported_linktype_total",
                     "Frames of a link type the decoder does not handle"),
        r.GetCounter("dbaudit_decode_truncated_total",
                     "Frames whose link, IP or TCP header was cut short by the capture"),
        r.GetCounter("dbaudit_decode_malformed_link_total", "Frames with an impossible link header"),
        r.GetCounter("dbaudit_decode_malformed_ipv4_total", "Packets with an impossible IPv4 header"),
        r.GetCounter("dbaudit_decode_malformed_ipv6_total",
                     "Packets with an impossible IPv6 header or extension header chain"),
        r.GetCounter("dbaudit_decode_malformed_tcp_total", "Segments with an impossible TCP header"),
        r.GetCounter("dbaudit_decode_not_ip_total", "Frames that carry neither IPv4 nor IPv6"),
        r.GetCounter("dbaudit_decode_not_tcp_total", "IP packets that carry no TCP"),
        r.GetCounter("dbaudit_decode_ipv4_fragments_total", "IPv4 fragments of TCP datagrams"),
        r.GetCounter("dbaudit_decode_ipv6_fragments_total", "IPv6 fragments"),
        r.GetCounter("dbaudit_decode_ipv4_options_total", "IPv4 packets carrying IP options"),
        r.GetCounter("dbaudit_decode_ipv6_extension_headers_total",
                     "IPv6 extension headers walked over"),
        r.GetCounter("dbaudit_decode_payload_truncated_total",
                     "TCP segments whose payload the snaplen cut (the rest becomes a gap)"),
        r.GetCounter("dbaudit_decode_ipv4_zero_length_total",
                     "IPv4 packets with total length 0 (segmentation offload); captured length used"),
    };
  }();
  return counters;
}

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t Be32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

// A bounds-checked window over the captured bytes.
struct View {
  const uint8_t* data;
  size_t size;
  bool Skip(size_t n) {
    if (n > size) return false;
    data += n;
    size -= n;
    return true;
  }
};

// The network layer a link header leads to.
enum class NetLayer { kIpv4, kIpv6, kByVersion, kOther };

NetLayer FromEtherType(uint16_t type) {
  if (type == kEtherTypeIpv4) return NetLayer::kIpv4;
  if (type == kEtherTypeIpv6) return NetLayer::kIpv6;
  return NetLayer::kOther;
}

bool IsVlanTpid(uint16_t type) {
  return type == kEtherTypeVlan || type == kEtherTypeQinQ || type == kEtherTypeQinQOld;
}

// Walks 802.1Q / 802.1ad tags: TPID(2) is already read as `type`; each tag is TCI(2) then the
// next EtherType(2). QinQ is an 802.1ad outer tag followed by an 802.1Q inner tag.
DecodeStatus SkipVlanTags(View* v, uint16_t* type) {
  for (int i = 0; IsVlanTpid(*type); ++i) {
    if (i == kMaxVlanTags) {
      Counters().malformed_link->Add();
      return DecodeStatus::kMalformed;
    }
    if (v->size < 4) {
      Counters().truncated->Add();
      return DecodeStatus::kTruncated;
    }
    *type = Be16(v->data + 2);
    v->Skip(4);
  }
  return DecodeStatus::kTcp;
}

// How one link type's header is laid out.
struct LinkFormat {
  size_t header = 0;         // bytes before the network layer (VLAN tags come on top)
  int ethertype_at = -1;     // offset of an EtherType field, or -1
  bool family = false;       // a 4-byte BSD address family instead of an EtherType
  bool family_big_endian = false;
  NetLayer fixed = NetLayer::kOther;  // the network layer when neither field says it
};

bool FormatOf(int linktype, LinkFormat* f) {
  switch (linktype) {
    case DLT_EN10MB:  // dst(6) src(6) ethertype(2)
      *f = {14, 12};
      return true;
    case DLT_LINUX_SLL:  // pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
      *f = {16, 14};
      return true;
    case kDltSll2:  // protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
      *f = {20, 0};
      return true;
    case DLT_NULL:  // address family(4) in the byte order of the capturing host
      *f = {4, -1, true, false};
      return true;
    case DLT_LOOP:  // address family(4) in network byte order
      *f = {4, -1, true, true};
      return true;
    case DLT_RAW:
    case kDltRawOpenBsd:
    case kLinktypeRaw:
      *f = {0, -1, false, false, NetLayer::kByVersion};
      return true;
    case DLT_IPV4:
      *f = {0, -1, false, false, NetLayer::kIpv4};
      return true;
    case DLT_IPV6:
      *f = {0, -1, false, false, NetLayer::kIpv6};
      return true;
    default:
      return false;
  }
}

// BSD loopback address families: AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24
// (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS).
NetLayer FromAddressFamily(const uint8_t* p, bool big_endian) {
  uint32_t family = Be32(p);
  // DLT_NULL: a little-endian writer's small number reads as a large big-endian one.
  if (!big_endian && family > 0xFFFF) family = __builtin_bswap32(family);
  if (family == 2) return NetLayer::kIpv4;
  if (family == 10 || family == 24 || family == 28 || family == 30) return NetLayer::kIpv6;
  return NetLayer::kOther;
}

// Strips the link header. On success *layer says what follows in *v.
DecodeStatus DecodeLink(int linktype, View* v, NetLayer* layer) {
  LinkFormat f;
  if (!FormatOf(linktype, &f)) {
    Counters().unsupported_link->Add();
    return DecodeStatus::kUnsupportedLink;
  }
  if (v->size < f.header) {
    Counters().truncated->Add();
    return DecodeStatus::kTruncated;
  }
  *layer = f.fixed;
  if (f.family) *layer = FromAddressFamily(v->data, f.family_big_endian);
  uint16_t type = f.ethertype_at >= 0 ? Be16(v->data + f.ethertype_at) : 0;
  v->Skip(f.header);
  if (f.ethertype_at < 0) return DecodeStatus::kTcp;
  DecodeStatus status = SkipVlanTags(v, &type);
  if (status != DecodeStatus::kTcp) return status;
  *layer = FromEtherType(type);
  return DecodeStatus::kTcp;
}

// Where the TCP header starts and how many bytes the IP layer says it spans.
struct TransportView {
  View tcp;                  // captured bytes from the TCP header on
  uint32_t declared = 0;     // TCP header + payload length per the IP header
};

// Hands one whole fragment (header_len + payload of `declared_end` bytes) to the reassembler;
// once its datagram is complete, *t covers the rebuilt transport payload.
DecodeStatus Reassemble(const FragmentKey& key, uint32_t offset, bool more, View v,
                        size_t header_len, uint32_t declared_end, FragmentReassembler* frags,
                        int64_t ts_us, TransportView* t) {
  if (v.size < declared_end) {
    Counters().truncated->Add();  // a fragment cut by the snaplen cannot be reassembled
    return DecodeStatus::kTruncated;
  }
  absl::Span<const uint8_t> whole;
  auto piece = absl::MakeConstSpan(v.data + header_len, declared_end - header_len);
  if (!frags->Add(key, offset, more, piece, ts_us, &whole)) return DecodeStatus::kFragment;
  t->tcp = View{whole.data(), whole.size()};
  t->declared = static_cast<uint32_t>(whole.size());
  return DecodeStatus::kTcp;
}

// IPv4 (RFC 791): ver/ihl(1) tos(1) total_len(2) id(2) flags+frag_off(2) ttl(1) proto(1)
// checksum(2) src(4) dst(4) options(ihl*4 - 20).
DecodeStatus DecodeIpv4(View v, TcpSegment* out, TransportView* t, FragmentReassembler* frags,
                        int64_t ts_us) {
  const DecodeCounters& c = Counters();
  if (v.size < 20) {
    c.truncated->Add();
    return DecodeStatus::kTruncated;
  }
  const uint8_t* h = v.data;
  size_t ihl = static_cast<size_t>(h[0] & 0x0F) * 4;
  uint32_t total = Be16(h + 2);
  if ((h[0] >> 4) != 4 || ihl < 20 || (total != 0 && total < ihl)) {
    c.malformed_ipv4->Add();
    return DecodeStatus::kMalformed;
  }
  if (v.size < ihl) {
    c.truncated->Add();
    return DecodeStatus::kTruncated;
  }
  if (total == 0) {
    // Captured on the sending host before segmentation offload filled in the length.
    c.ipv4_zero_length->Add();
    total = static_cast<uint32_t>(v.size);
  }
  if (ihl > 20) c.ipv4_options->Add();
  if (h[9] != kIpProtoTcp) {
    c.not_tcp->Add();
    return DecodeStatus::kNotTcp;
  }
  out->src = IpAddress{};
  out->dst = IpAddress{};
  out->src.version = out->dst.version = 4;
  std::copy(h + 12, h + 16, out->src.bytes.begin());
  std::copy(h + 16, h + 20, out->dst.bytes.begin());
  uint16_t frag = Be16(h + 6);  // reserved(1) DF(1) MF(1) offset(13, in 8-byte units)
  if ((frag & 0x3FFF) != 0) {
    c.ipv4_fragments->Add();
    FragmentKey key{out->src, out->dst, Be16(h + 4), h[9]};
    return Reassemble(key, (frag & 0x1FFF) * 8u, (frag & 0x2000) != 0, v, ihl, total, frags,
                      ts_us, t);
  }
  v.Skip(ihl);
  t->tcp = v;
  t->declared = total - static_cast<uint32_t>(ihl);
  return DecodeStatus::kTcp;
}

// Walks the IPv6 extension header chain (RFC 8200 section 4) up to the upper-layer header.
// Hop-by-hop, routing, destination options, mobility, HIP, shim6: next(1) len(1) in 8-octet units
// not counting the first 8. AH (RFC 4302): next(1) len(1) in 4-octet units minus 2.
// Fragment: next(1) reserved(1) offset+flags(2) id(4).
struct Ipv6Fragment {
  uint32_t id = 0;
  uint32_t offset = 0;
  bool more = false;
};

DecodeStatus WalkIpv6Extensions(View* v, uint8_t* next, uint32_t* remaining,
                                Ipv6Fragment* fragment) {
  const DecodeCounters& c = Counters();
  for (int i = 0; i <= kMaxIpv6ExtHeaders; ++i) {
    uint8_t nh = *next;
    bool generic = nh == kIpv6HopByHop || nh == kIpv6Routing || nh == kIpv6DestOpts ||
                   nh == kIpv6Mobility || nh == kIpv6Hip || nh == kIpv6Shim6;
    if (!generic && nh != kIpv6Fragment && nh != kIpv6Auth) return DecodeStatus::kTcp;
    if (i == kMaxIpv6ExtHeaders) break;
    if (v->size < 8) {
      c.truncated->Add();
      return DecodeStatus::kTruncated;
    }
    size_t len = 8;
    if (generic) len = (static_cast<size_t>(v->data[1]) + 1) * 8;
    if (nh == kIpv6Auth) len = (static_cast<size_t>(v->data[1]) + 2) * 4;
    if (nh == kIpv6Fragment && (Be16(v->data + 2) & 0xFFF9) != 0) {
      // Offset != 0 or more-fragments set; an atomic fragment (both zero) is walked over. What
      // follows is the fragmentable part, not more headers: the walk ends here.
      c.ipv6_fragments->Add();
      uint16_t field = Be16(v->data + 2);  // offset(13, 8-byte units) reserved(2) M(1)
      fragment->offset = (field >> 3) * 8u;
      fragment->more = (field & 1) != 0;
      fragment->id = Be32(v->data + 4);
      *next = v->data[0];
      if (*remaining < 8) break;
      *remaining -= 8;
      v->Skip(8);
      return DecodeStatus::kFragment;
    }
    c.ipv6_ext_headers->Add();
    if (len > *remaining) break;
    *next = v->data[0];
    *remaining -= static_cast<uint32_t>(len);
    if (!v->Skip(len)) {
      c.truncated->Add();
      return DecodeStatus::kTruncated;
    }
  }
  c.malformed_ipv6->Add();
  return DecodeStatus::kMalformed;
}

// IPv6 (RFC 8200): ver/class/flow(4) payload_len(2) next_header(1) hop_limit(1) src(16) dst(16).
DecodeStatus DecodeIpv6(View v, TcpSegment* out, TransportView* t, FragmentReassembler* frags,
                        int64_t ts_us) {
  const DecodeCounters& c = Counters();
  if (v.size < 40) {
    c.truncated->Add();
    return DecodeStatus::kTruncated;
  }
  const uint8_t* h = v.data;
  if ((h[0] >> 4) != 6) {
    c.malformed_ipv6->Add();
    return DecodeStatus::kMalformed;
  }
  uint32_t remaining = Be16(h + 4);
  // Payload length 0 means a jumbogram or offloaded segmentation: trust the captured length.
  if (remaining == 0) remaining = static_cast<uint32_t>(v.size - 40);
  uint8_t next = h[6];
  out->src = IpAddress{};
  out->dst = IpAddress{};
  out->src.version = out->dst.version = 6;
  std::copy(h + 8, h + 24, out->src.bytes.begin());
  std::copy(h + 24, h + 40, out->dst.bytes.begin());
  v.Skip(40);
  Ipv6Fragment fragment;
  DecodeStatus status = WalkIpv6Extensions(&v, &next, &remaining, &fragment);
  if (status == DecodeStatus::kFragment) {
    if (next != kIpProtoTcp) {  // not TCP, or more extension headers inside the fragments
      c.not_tcp->Add();
      return DecodeStatus::kNotTcp;
    }
    FragmentKey key{out->src, out->dst, fragment.id, next};
    return Reassemble(key, fragment.offset, fragment.more, v, 0, remaining, frags, ts_us, t);
  }
  if (status != DecodeStatus::kTcp) return status;
  if (next != kIpProtoTcp) {  // UDP, ICMPv6, ESP, no-next-header, ...
    c.not_tcp->Add();
    return DecodeStatus::kNotTcp;
  }
  t->tcp = v;
  t->declared = remaining;
  return DecodeStatus::kTcp;
}

// TCP (RFC 9293): src_port(2) dst_port(2) seq(4) ack(4) data_offset+flags(2) window(2)
// checksum(2) urgent(2) options(data_offset*4 - 20), then the payload.
DecodeStatus DecodeTcp(const TransportView& t, TcpSegment* out) {
  const DecodeCounters& c = Counters();
  View v = t.tcp;
  if (v.size < 20 || t.declared < 20) {
    if (t.declared < 20 && v.size >= t.declared) {
      c.malformed_tcp->Add();
      return DecodeStatus::kMalformed;
    }
    c.truncated->Add();
    return DecodeStatus::kTruncated;
  }
  const uint8_t* h = v.data;
  size_t offset = static_cast<size_t>(h[12] >> 4) * 4;
  if (offset < 20 || offset > t.declared) {
    c.malformed_tcp->Add();
    return DecodeStatus::kMalformed;
  }
  if (v.size < offset) {
    c.truncated->Add();
    return DecodeStatus::kTruncated;
  }
  out->src_port = Be16(h);
  out->dst_port = Be16(h + 2);
  out->seq = Be32(h + 4);
  out->ack = Be32(h + 8);
  out->flags = h[13];
  out->window = Be16(h + 14);
  uint32_t declared_payload = t.declared - static_cast<uint32_t>(offset);
  // Captured bytes past the IP length are link padding (Ethernet minimum frame), not payload.
  uint32_t captured = static_cast<uint32_t>(v.size - offset);
  out->payload = h + offset;
  out->payload_len = std::min(captured, declared_payload);
  out->payload_missing = declared_payload - out->payload_len;
  if (out->payload_missing != 0) c.payload_truncated->Add();
  return DecodeStatus::kTcp;
}

}  // namespace

bool IsSupportedLinktype(int linktype) {
  LinkFormat format;
  return FormatOf(linktype, &format);
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (inet_ntop(version == 6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf)) == nullptr) {
    return "?";
  }
  return buf;
}

Decoder::Decoder(int linktype, const FragmentLimits& fragment_limits)
    : linktype_(linktype), fragments_(fragment_limits) {
  Counters();
}

DecodeStatus Decoder::Decode(const capture::Packet& packet, TcpSegment* out) {
  View v{packet.data, packet.data == nullptr ? 0 : packet.caplen};
  NetLayer layer = NetLayer::kOther;
  DecodeStatus status = DecodeLink(linktype_, &v, &layer);
  if (status != DecodeStatus::kTcp) return status;
  if (layer == NetLayer::kByVersion) {
    if (v.size < 1) {
      Counters().truncated->Add();
      return DecodeStatus::kTruncated;
    }
    uint8_t version = v.data[0] >> 4;
    layer = version == 4 ? NetLayer::kIpv4 : version == 6 ? NetLayer::kIpv6 : NetLayer::kOther;
  }
  TransportView t{};
  const int64_t ts_us = packet.ts_ns / 1000;
  if (layer == NetLayer::kIpv4) {
    status = DecodeIpv4(v, out, &t, &fragments_, ts_us);
  } else if (layer == NetLayer::kIpv6) {
    status = DecodeIpv6(v, out, &t, &fragments_, ts_us);
  } else {
    Counters().not_ip->Add();
    return DecodeStatus::kNotIp;
  }
  if (status != DecodeStatus::kTcp) return status;
  out->ts_us = ts_us;
  return DecodeTcp(t, out);
}

}  // namespace dbaudit::sensor::decode
