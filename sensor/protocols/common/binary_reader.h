// Bounds-checked, non-owning reader over a byte span. Every Read* checks the length first, moves
// the cursor only on success and never copies: strings come back as views into the input.
// Little-endian helpers are for MySQL, big-endian for PostgreSQL.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "absl/types/span.h"

namespace dbaudit::sensor::protocols {

class BinaryReader {
 public:
  BinaryReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  explicit BinaryReader(absl::Span<const uint8_t> s) : BinaryReader(s.data(), s.size()) {}
  explicit BinaryReader(std::string_view s)
      : BinaryReader(reinterpret_cast<const uint8_t*>(s.data()), s.size()) {}

  size_t remaining() const { return size_ - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return pos_ == size_; }
  const uint8_t* cursor() const { return data_ + pos_; }
  std::string_view Rest() const { return {reinterpret_cast<const char*>(data_ + pos_), remaining()}; }

  bool Skip(size_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }

  bool ReadU8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = data_[pos_++];
    return true;
  }

  // Little-endian unsigned integer of `n` bytes (1..8).
  bool ReadLE(size_t n, uint64_t* v) {
    if (n == 0 || n > 8 || remaining() < n) return false;
    uint64_t r = 0;
    for (size_t i = 0; i < n; ++i) r |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += n;
    *v = r;
    return true;
  }
  bool ReadLE16(uint16_t* v) { return ReadIntLE(v); }
  bool ReadLE32(uint32_t* v) { return ReadIntLE(v); }

  // Big-endian unsigned integer of `n` bytes (1..8).
  bool ReadBE(size_t n, uint64_t* v) {
    if (n == 0 || n > 8 || remaining() < n) return false;
    uint64_t r = 0;
    for (size_t i = 0; i < n; ++i) r = (r << 8) | data_[pos_ + i];
    pos_ += n;
    *v = r;
    return true;
  }
  bool ReadBE16(uint16_t* v) {
    uint64_t x;
    if (!ReadBE(2, &x)) return false;
    *v = static_cast<uint16_t>(x);
    return true;
  }
  bool ReadBE32(uint32_t* v) {
    uint64_t x;
    if (!ReadBE(4, &x)) return false;
    *v = static_cast<uint32_t>(x);
    return true;
  }

  // Exactly n bytes.
  bool ReadBytes(size_t n, std::string_view* out) {
    if (n > remaining()) return false;
    *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return true;
  }

  // Bytes up to a NUL terminator; the terminator is consumed but not returned.
  bool ReadCString(std::string_view* out) {
    const void* nul = std::memchr(data_ + pos_, 0, remaining());
    if (nul == nullptr) return false;
    const size_t n = static_cast<const uint8_t*>(nul) - (data_ + pos_);
    *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n + 1;
    return true;
  }

  // MySQL length-encoded integer. A 0xFB (NULL) or 0xFF prefix fails; use PeekU8 to tell them.
  bool ReadLenEncInt(uint64_t* v) {
    uint8_t first;
    if (remaining() < 1) return false;
    first = data_[pos_];
    size_t extra;
    if (first < 0xFB) {
      *v = first;
      ++pos_;
      return true;
    } else if (first == 0xFC) {
      extra = 2;
    } else if (first == 0xFD) {
      extra = 3;
    } else if (first == 0xFE) {
      extra = 8;
    } else {
      return false;
    }
    if (remaining() < 1 + extra) return false;
    ++pos_;
    return ReadLE(extra, v);
  }

  bool ReadLenEncString(std::string_view* out) {
    const size_t saved = pos_;
    uint64_t n;
    if (!ReadLenEncInt(&n) || n > remaining()) {
      pos_ = saved;
      return false;
    }
    return ReadBytes(static_cast<size_t>(n), out);
  }

  std::optional<uint8_t> PeekU8() const {
    if (remaining() < 1) return std::nullopt;
    return data_[pos_];
  }

 private:
  template <typename T>
  bool ReadIntLE(T* v) {
    uint64_t x;
    if (!ReadLE(sizeof(T), &x)) return false;
    *v = static_cast<T>(x);
    return true;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace dbaudit::sensor::protocols
