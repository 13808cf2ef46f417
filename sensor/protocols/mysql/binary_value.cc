#include "sensor/protocols/mysql/binary_value.h"

#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sensor/protocols/mysql/types.h"

namespace dbaudit::sensor::mysql {
namespace {

using protocols::BinaryReader;

bool IsTextByte(uint8_t c) { return c >= 0x20 || c == '\t' || c == '\n' || c == '\r'; }

// Integers: int<1|2|4|8> little-endian, signed unless the unsigned flag is set.
bool ReadInteger(BinaryReader* r, size_t width, bool is_unsigned, std::string* out) {
  uint64_t v;
  if (!r->ReadLE(width, &v)) return false;
  if (is_unsigned) {
    *out = absl::StrCat(v);
    return true;
  }
  const int shift = static_cast<int>(64 - 8 * width);
  const int64_t s = static_cast<int64_t>(v << shift) >> shift;  // sign-extend
  *out = absl::StrCat(s);
  return true;
}

bool ReadFloat(BinaryReader* r, bool is_double, std::string* out) {
  uint64_t bits;
  if (!r->ReadLE(is_double ? 8 : 4, &bits)) return false;
  if (is_double) {
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    *out = absl::StrFormat("%.17g", d);
  } else {
    const auto b32 = static_cast<uint32_t>(bits);
    float f;
    std::memcpy(&f, &b32, sizeof(f));
    *out = absl::StrFormat("%.9g", f);
  }
  return true;
}

// DATE/DATETIME/TIMESTAMP: int<1> length (0, 4, 7, 11) | int<2> year | int<1> month |
// int<1> day | int<1> hour | int<1> minute | int<1> second | int<4> microsecond
bool ReadDateTime(BinaryReader* r, bool date_only, std::string* out) {
  uint8_t n;
  if (!r->ReadU8(&n) || (n != 0 && n != 4 && n != 7 && n != 11)) return false;
  uint64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, micro = 0;
  if (n >= 4 && (!r->ReadLE(2, &year) || !r->ReadLE(1, &month) || !r->ReadLE(1, &day))) {
    return false;
  }
  if (n >= 7 && (!r->ReadLE(1, &hour) || !r->ReadLE(1, &minute) || !r->ReadLE(1, &second))) {
    return false;
  }
  if (n >= 11 && !r->ReadLE(4, &micro)) return false;
  *out = absl::StrFormat("%04d-%02d-%02d", year, month, day);
  if (date_only) return true;
  absl::StrAppendFormat(out, " %02d:%02d:%02d", hour, minute, second);
  if (n == 11) absl::StrAppendFormat(out, ".%06d", micro);
  return true;
}

// TIME: int<1> length (0, 8, 12) | int<1> is_negative | int<4> days | int<1> hour |
// int<1> minute | int<1> second | int<4> microsecond
bool ReadTime(BinaryReader* r, std::string* out) {
  uint8_t n;
  if (!r->ReadU8(&n) || (n != 0 && n != 8 && n != 12)) return false;
  uint64_t negative = 0, days = 0, hour = 0, minute = 0, second = 0, micro = 0;
  if (n >= 8 && (!r->ReadLE(1, &negative) || !r->ReadLE(4, &days) || !r->ReadLE(1, &hour) ||
                 !r->ReadLE(1, &minute) || !r->ReadLE(1, &second))) {
    return false;
  }
  if (n == 12 && !r->ReadLE(4, &micro)) return false;
  *out = absl::StrFormat("%s%02d:%02d:%02d", negative ? "-" : "", days * 24 + hour, minute, second);
  if (n == 12) absl::StrAppendFormat(out, ".%06d", micro);
  return true;
}

}  // namespace

std::string RenderBytes(std::string_view bytes) {
  const std::string_view shown = bytes.substr(0, kMaxRenderedValueBytes);
  bool text = true;
  for (const char c : shown) text = text && IsTextByte(static_cast<uint8_t>(c));
  std::string out;
  if (text) {
    out.assign(shown);
  } else {
    const std::string_view hex_part = shown.substr(0, kMaxRenderedValueBytes / 2);
    out = "0x";
    for (const char c : hex_part) absl::StrAppendFormat(&out, "%02x", static_cast<uint8_t>(c));
    if (hex_part.size() < bytes.size()) absl::StrAppend(&out, "...(", bytes.size(), " bytes)");
    return out;
  }
  if (shown.size() < bytes.size()) absl::StrAppend(&out, "...(", bytes.size(), " bytes)");
  return out;
}

bool ReadBinaryValue(BinaryReader* r, ParamType type, std::string* out) {
  BinaryReader probe = *r;  // advance the caller's reader only on success
  bool ok = false;
  switch (type.type) {
    case kTypeNull: out->clear(); ok = true; break;
    case kTypeTiny: ok = ReadInteger(&probe, 1, type.is_unsigned, out); break;
    case kTypeShort:
    case kTypeYear: ok = ReadInteger(&probe, 2, type.is_unsigned, out); break;
    case kTypeLong:
    case kTypeInt24: ok = ReadInteger(&probe, 4, type.is_unsigned, out); break;
    case kTypeLongLong: ok = ReadInteger(&probe, 8, type.is_unsigned, out); break;
    case kTypeFloat: ok = ReadFloat(&probe, false, out); break;
    case kTypeDouble: ok = ReadFloat(&probe, true, out); break;
    case kTypeDate:
    case kTypeNewDate: ok = ReadDateTime(&probe, true, out); break;
    case kTypeDateTime:
    case kTypeTimestamp:
    case kTypeDateTime2:
    case kTypeTimestamp2: ok = ReadDateTime(&probe, false, out); break;
    case kTypeTime:
    case kTypeTime2: ok = ReadTime(&probe, out); break;
    default: {
      // DECIMAL, NEWDECIMAL, VARCHAR, BIT, JSON, ENUM, SET, blobs, strings, GEOMETRY:
      // string<lenenc>.
      std::string_view bytes;
      ok = probe.ReadLenEncString(&bytes);
      if (ok) *out = RenderBytes(bytes);
      break;
    }
  }
  if (!ok) return false;
  *r = probe;
  return true;
}

bool ReadParamBlock(BinaryReader* r, const ParamBlock& block, std::vector<BoundParam>* params,
                    std::vector<std::string_view>* names) {
  const size_t n = block.count;
  std::string_view null_bitmap;
  uint8_t bound = 0;
  if (!r->ReadBytes((n + 7) / 8, &null_bitmap) || !r->ReadU8(&bound) || bound > 1) return false;
  if (bound == 1) {
    block.types->assign(n, ParamType{});
    for (size_t i = 0; i < n; ++i) {
      uint8_t type;
      uint8_t flags;
      if (!r->ReadU8(&type) || !r->ReadU8(&flags)) return false;
      (*block.types)[i] = ParamType{type, (flags & kParamFlagUnsigned) != 0};
      std::string_view name;
      if (block.named && !r->ReadLenEncString(&name)) return false;
      if (names != nullptr) names->push_back(name);
    }
  }
  params->assign(n, BoundParam{});
  for (size_t i = 0; i < n; ++i) {
    BoundParam& p = (*params)[i];
    const bool is_null = (static_cast<uint8_t>(null_bitmap[i / 8]) >> (i % 8)) & 1;
    const ParamType type = i < block.types->size() ? (*block.types)[i] : ParamType{kTypeNull};
    p.type = FieldTypeName(type.type);
    // A value sent with COM_STMT_SEND_LONG_DATA wins over the null bit (servers ignore the bit
    // then; libmariadb sets it when the bound buffer is NULL). It has no bytes here.
    if (block.long_data != nullptr && i < block.long_data->size() && (*block.long_data)[i]) {
      continue;  // the caller fills the value in
    }
    if (is_null) {
      p.is_null = true;
      continue;
    }
    // Without known types (a re-execute whose first execute we missed) the values are opaque.
    if (i >= block.types->size()) return false;
    if (!ReadBinaryValue(r, type, &p.value)) return false;
  }
  return true;
}

}  // namespace dbaudit::sensor::mysql
