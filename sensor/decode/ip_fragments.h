// IPv4 and IPv6 fragment reassembly for TCP datagrams, bounded in memory and time.
//
// Fragments are keyed by (source, destination, identification, protocol). Overlapping fragments
// keep the bytes that arrived first (the same first-copy policy as TCP reassembly); overlaps with
// different bytes are counted. A datagram that does not complete within the timeout, or that
// would exceed the caps, is dropped and counted; the TCP layer then sees the loss as a gap.
#pragma once

#include <cstdint>
#include <list>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "sensor/decode/ip_address.h"

namespace dbaudit::sensor::decode {

struct FragmentKey {
  IpAddress src, dst;
  uint32_t id = 0;  // IPv4: 16-bit identification; IPv6: 32-bit from the fragment header
  uint8_t protocol = 0;
  bool operator==(const FragmentKey& o) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const FragmentKey& k) {
    return H::combine(std::move(h), k.src, k.dst, k.id, k.protocol);
  }
};

struct FragmentLimits {
  size_t max_datagrams = 4096;         // datagrams being reassembled at once
  size_t max_bytes = 16 << 20;         // bytes buffered for all of them
  int64_t timeout_us = 30 * 1000000;   // RFC 791 suggests 15 s at least; Linux uses 30 s
};

class FragmentReassembler {
 public:
  explicit FragmentReassembler(const FragmentLimits& limits = {}) : limits_(limits) {}

  // Adds one fragment: `offset` is in bytes from the start of the datagram's payload, `more` is
  // the more-fragments flag. Returns true when this fragment completes the datagram; *out then
  // spans the whole payload, valid until the next call.
  bool Add(const FragmentKey& key, uint32_t offset, bool more, absl::Span<const uint8_t> data,
           int64_t ts_us, absl::Span<const uint8_t>* out);

  size_t pending() const { return datagrams_.size(); }
  size_t buffered_bytes() const { return bytes_; }

 private:
  struct Datagram {
    std::vector<uint8_t> bytes;
    std::vector<std::pair<uint32_t, uint32_t>> have;  // received [begin, end), sorted, merged
    int64_t total = -1;                               // known once the last fragment arrived
    int64_t first_ts_us = 0;
    std::list<FragmentKey>::iterator age;
  };

  void Expire(int64_t now_us);
  void Drop(const FragmentKey& key);
  bool Merge(Datagram* d, uint32_t begin, absl::Span<const uint8_t> data);
  static bool Complete(const Datagram& d);

  FragmentLimits limits_;
  absl::flat_hash_map<FragmentKey, Datagram> datagrams_;
  std::list<FragmentKey> ages_;  // oldest first
  size_t bytes_ = 0;
  std::vector<uint8_t> done_;
};

}  // namespace dbaudit::sensor::decode
