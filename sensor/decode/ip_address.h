// An IPv4 or IPv6 address as the decoder reports it.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <utility>

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

}  // namespace dbaudit::sensor::decode
