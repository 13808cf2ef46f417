#include "collector/store/keys.h"

namespace dbaudit::collector::store {
namespace {

constexpr std::string_view kBase32 = "0123456789abcdefghijklmnopqrstuv";
constexpr std::string_view kEventIdPrefix = "evt_";

int Base32Value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'v') return c - 'a' + 10;
  return -1;
}

// Big-endian bit stream, 5 bits per character; the last character is padded with zero bits.
std::string Base32Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32[(buffer << (5 - bits)) & 31]);
  return out;
}

// Decodes exactly `size` bytes; rejects other lengths, foreign characters and non-zero padding.
std::optional<std::string> Base32Decode(std::string_view text, size_t size) {
  if (text.size() != (size * 8 + 4) / 5) return std::nullopt;
  std::string out;
  out.reserve(size);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = Base32Value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

void AppendVarint32(std::string* out, uint32_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Returns the number of bytes read, 0 when truncated or longer than 5 bytes.
size_t ReadVarint32(std::string_view in, uint32_t* v) {
  uint32_t result = 0;
  for (size_t i = 0; i < in.size() && i < 5; ++i) {
    const auto b = static_cast<unsigned char>(in[i]);
    result |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *v = result;
      return i + 1;
    }
  }
  return 0;
}

}  // namespace

void AppendBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

void AppendBigEndian32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t ReadBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

uint32_t ReadBigEndian32(std::string_view in) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::string EncodePrimaryKey(const PrimaryKey& k) {
  std::string out;
  out.reserve(kPrimaryKeySize);
  AppendBigEndian64(&out, k.ts_us);
  AppendBigEndian32(&out, k.sensor_num);
  AppendBigEndian64(&out, k.seq);
  return out;
}

std::optional<PrimaryKey> DecodePrimaryKey(std::string_view key) {
  if (key.size() != kPrimaryKeySize) return std::nullopt;
  return PrimaryKey{ReadBigEndian64(key), ReadBigEndian32(key.substr(8)), ReadBigEndian64(key.substr(12))};
}

std::string EncodeEventKey(const EventKey& k) {
  std::string out = EncodePrimaryKey(k.record);
  out.push_back(static_cast<char>(k.ordinal));
  return out;
}

std::optional<EventKey> DecodeEventKey(std::string_view key) {
  if (key.size() != kEventKeySize) return std::nullopt;
  auto record = DecodePrimaryKey(key.substr(0, kPrimaryKeySize));
  if (!record) return std::nullopt;
  return EventKey{*record, static_cast<uint8_t>(key[kPrimaryKeySize])};
}

std::string EncodeIndexPrefix(IndexField field, std::string_view value, uint64_t ts_us) {
  std::string out;
  out.reserve(1 + 5 + value.size() + 8 + kEventKeySize);
  out.push_back(static_cast<char>(field));
  AppendVarint32(&out, static_cast<uint32_t>(value.size()));
  out.append(value);
  AppendBigEndian64(&out, ts_us);
  return out;
}

std::string EncodeIndexKey(IndexField field, std::string_view value, uint64_t ts_us,
                           std::string_view target_key) {
  std::string out = EncodeIndexPrefix(field, value, ts_us);
  out.append(target_key);
  return out;
}

std::optional<std::string_view> IndexTarget(std::string_view index_key) {
  if (index_key.empty()) return std::nullopt;
  uint32_t len = 0;
  const size_t n = ReadVarint32(index_key.substr(1), &len);
  if (n == 0) return std::nullopt;
  const size_t time_at = 1 + n + static_cast<size_t>(len);
  if (time_at + 8 > index_key.size()) return std::nullopt;
  return index_key.substr(time_at + 8);
}

std::string EventIdFromKey(const EventKey& k) {
  return std::string(kEventIdPrefix) + Base32Encode(EncodeEventKey(k));
}

std::optional<EventKey> EventKeyFromId(std::string_view id) {
  if (id.substr(0, kEventIdPrefix.size()) != kEventIdPrefix) return std::nullopt;
  auto bytes = Base32Decode(id.substr(kEventIdPrefix.size()), kEventKeySize);
  if (!bytes) return std::nullopt;
  return DecodeEventKey(*bytes);
}

std::string RecordIdFromKey(const PrimaryKey& k) { return Base32Encode(EncodePrimaryKey(k)); }

std::optional<PrimaryKey> RecordKeyFromId(std::string_view id) {
  auto bytes = Base32Decode(id, kPrimaryKeySize);
  if (!bytes) return std::nullopt;
  return DecodePrimaryKey(*bytes);
}

}  // namespace dbaudit::collector::store
