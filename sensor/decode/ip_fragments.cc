#include "sensor/decode/ip_fragments.h"

#include <algorithm>
#include <cstring>

#include "common/metrics.h"

namespace dbaudit::sensor::decode {
namespace {

// The largest IP payload a datagram can have: total length is 16 bits (IPv6 jumbograms are not
// fragmented).
constexpr uint32_t kMaxDatagram = 65535;

struct FragmentCounters {
  Counter* reassembled;
  Counter* timeouts;
  Counter* cap_drops;
  Counter* overlap_differs;
  Counter* invalid;
};

const FragmentCounters& Counters() {
  static const FragmentCounters counters = [] {
    auto& r = MetricsRegistry::Default();
    return FragmentCounters{
        r.GetCounter("dbaudit_decode_fragments_reassembled_total",
                     "IP datagrams rebuilt from their fragments"),
        r.GetCounter("dbaudit_decode_fragment_timeouts_total",
                     "Fragmented datagrams dropped because they did not complete in time"),
        r.GetCounter("dbaudit_decode_fragment_cap_drops_total",
                     "Fragmented datagrams dropped because the reassembly caps were reached"),
        r.GetCounter("dbaudit_decode_fragment_overlap_differs_total",
                     "Overlapping fragments whose bytes differ (the first copy is kept)"),
        r.GetCounter("dbaudit_decode_fragment_invalid_total",
                     "Fragments with impossible offsets or lengths (datagram dropped)"),
    };
  }();
  return counters;
}

}  // namespace

bool FragmentReassembler::Add(const FragmentKey& key, uint32_t offset, bool more,
                              absl::Span<const uint8_t> data, int64_t ts_us,
                              absl::Span<const uint8_t>* out) {
  const FragmentCounters& c = Counters();
  Expire(ts_us);
  uint64_t end = uint64_t{offset} + data.size();
  // Every fragment but the last carries a multiple of 8 bytes (offsets are in 8-byte units).
  if (end > kMaxDatagram || (more && data.size() % 8 != 0) || (more && data.empty())) {
    c.invalid->Add();
    Drop(key);
    return false;
  }
  auto it = datagrams_.find(key);
  if (it == datagrams_.end()) {
    if (datagrams_.size() >= limits_.max_datagrams) {
      c.cap_drops->Add();
      Drop(ages_.front());
    }
    it = datagrams_.emplace(key, Datagram{}).first;
    it->second.first_ts_us = ts_us;
    it->second.age = ages_.insert(ages_.end(), key);
  }
  Datagram& d = it->second;
  if (!more) {
    if ((d.total >= 0 && d.total != static_cast<int64_t>(end)) ||
        (!d.have.empty() && d.have.back().second > end)) {
      c.invalid->Add();  // two different ends, or data past the end
      Drop(key);
      return false;
    }
    d.total = static_cast<int64_t>(end);
  } else if (d.total >= 0 && static_cast<int64_t>(end) > d.total) {
    c.invalid->Add();
    Drop(key);
    return false;
  }
  if (!Merge(&d, offset, data)) return false;
  if (!Complete(d)) return false;
  bytes_ -= d.bytes.size();
  done_ = std::move(d.bytes);
  d.bytes.clear();  // already uncounted; Drop() must not subtract it again
  done_.resize(static_cast<size_t>(d.total));
  Drop(key);
  c.reassembled->Add();
  *out = absl::MakeConstSpan(done_);
  return true;
}

// Copies the parts of [begin, begin+len) no earlier fragment covered; compares the rest.
bool FragmentReassembler::Merge(Datagram* d, uint32_t begin, absl::Span<const uint8_t> data) {
  const uint32_t end = begin + static_cast<uint32_t>(data.size());
  if (d->bytes.size() < end) {
    size_t grow = end - d->bytes.size();
    if (bytes_ + grow > limits_.max_bytes) {
      Counters().cap_drops->Add();
      Drop(*d->age);
      return false;
    }
    bytes_ += grow;
    d->bytes.resize(end);
  }
  uint32_t pos = begin;
  bool differs = false;
  for (const auto& [have_begin, have_end] : d->have) {
    if (have_end <= pos) continue;
    if (have_begin >= end) break;
    if (have_begin > pos) {
      std::memcpy(d->bytes.data() + pos, data.data() + (pos - begin), have_begin - pos);
      pos = have_begin;
    }
    uint32_t stop = std::min(have_end, end);
    differs |= std::memcmp(d->bytes.data() + pos, data.data() + (pos - begin), stop - pos) != 0;
    pos = stop;
  }
  if (pos < end) std::memcpy(d->bytes.data() + pos, data.data() + (pos - begin), end - pos);
  if (differs) Counters().overlap_differs->Add();
  d->have.emplace_back(begin, end);
  std::sort(d->have.begin(), d->have.end());
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (const auto& range : d->have) {
    if (!merged.empty() && range.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, range.second);
    } else {
      merged.push_back(range);
    }
  }
  d->have = std::move(merged);
  return true;
}

bool FragmentReassembler::Complete(const Datagram& d) {
  return d.total >= 0 && d.have.size() == 1 && d.have[0].first == 0 &&
         d.have[0].second == static_cast<uint32_t>(d.total);
}

void FragmentReassembler::Expire(int64_t now_us) {
  while (!ages_.empty()) {
    auto it = datagrams_.find(ages_.front());
    if (now_us - it->second.first_ts_us < limits_.timeout_us) break;
    Counters().timeouts->Add();
    Drop(ages_.front());
  }
}

void FragmentReassembler::Drop(const FragmentKey& key) {
  auto it = datagrams_.find(key);
  if (it == datagrams_.end()) return;
  bytes_ -= it->second.bytes.size();
  ages_.erase(it->second.age);
  datagrams_.erase(it);
}

}  // namespace dbaudit::sensor::decode
