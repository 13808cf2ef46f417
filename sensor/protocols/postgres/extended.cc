#include "sensor/protocols/postgres/extended.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sensor/protocols/common/binary_reader.h"

namespace dbaudit::sensor::postgres {
namespace {

using protocols::BinaryReader;

bool ReadFormats(BinaryReader* r, std::vector<int16_t>* formats) {
  uint16_t n = 0;
  if (!r->ReadBE16(&n)) return false;
  formats->reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    uint16_t f = 0;
    if (!r->ReadBE16(&f)) return false;
    formats->push_back(static_cast<int16_t>(f));
  }
  return true;
}

// Int16 n, n x { Int32 length (-1 = NULL), Byte[length] }.
bool ReadValues(BinaryReader* r, std::vector<RawValue>* values) {
  uint16_t n = 0;
  if (!r->ReadBE16(&n)) return false;
  values->reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    uint32_t len = 0;
    if (!r->ReadBE32(&len)) return false;
    RawValue v;
    if (len == 0xFFFFFFFFu) {
      v.is_null = true;
    } else {
      std::string_view bytes;
      if (!r->ReadBytes(len, &bytes)) return false;
      v.bytes = {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
    }
    values->push_back(v);
  }
  return true;
}

constexpr struct {
  uint32_t oid;
  const char* name;
} kTypeNames[] = {
    {16, "bool"},     {17, "bytea"},   {18, "char"},       {19, "name"},    {20, "int8"},
    {21, "int2"},     {23, "int4"},    {25, "text"},       {26, "oid"},     {114, "json"},
    {700, "float4"},  {701, "float8"}, {1042, "bpchar"},   {1043, "varchar"}, {1082, "date"},
    {1083, "time"},   {1114, "timestamp"}, {1184, "timestamptz"}, {1700, "numeric"},
    {2950, "uuid"},   {3802, "jsonb"}, {705, "unknown"},
};

bool IsTextLike(uint32_t oid) {
  return oid == 25 || oid == 1043 || oid == 1042 || oid == 19 || oid == 18 || oid == 114 ||
         oid == 705;
}

std::string Hex(absl::Span<const uint8_t> bytes, size_t max_bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s = "\\x";
  const size_t n = std::min(bytes.size(), max_bytes / 2);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kDigits[bytes[i] >> 4]);
    s.push_back(kDigits[bytes[i] & 0xF]);
  }
  if (n < bytes.size()) s.append("...");
  return s;
}

std::string Text(absl::Span<const uint8_t> bytes, size_t max_bytes) {
  const size_t n = std::min(bytes.size(), max_bytes);
  std::string s(reinterpret_cast<const char*>(bytes.data()), n);
  if (n < bytes.size()) s.append("...");
  return s;
}

// Binary send formats of fixed-width types: big-endian integers, IEEE floats, 16-byte uuid.
std::optional<std::string> RenderBinaryFixed(uint32_t oid, absl::Span<const uint8_t> b) {
  BinaryReader r(b);
  uint64_t v = 0;
  switch (oid) {
    case 16: if (b.size() == 1) return std::string(b[0] ? "true" : "false"); break;
    case 21: if (b.size() == 2 && r.ReadBE(2, &v)) return absl::StrCat(static_cast<int16_t>(v)); break;
    case 23: if (b.size() == 4 && r.ReadBE(4, &v)) return absl::StrCat(static_cast<int32_t>(v)); break;
    case 26: if (b.size() == 4 && r.ReadBE(4, &v)) return absl::StrCat(v); break;
    case 20: if (b.size() == 8 && r.ReadBE(8, &v)) return absl::StrCat(static_cast<int64_t>(v)); break;
    case 700:
      if (b.size() == 4 && r.ReadBE(4, &v)) {
        const uint32_t bits = static_cast<uint32_t>(v);
        float f;
        std::memcpy(&f, &bits, sizeof(f));
        return absl::StrCat(f);
      }
      break;
    case 701:
      if (b.size() == 8 && r.ReadBE(8, &v)) {
        double d;
        std::memcpy(&d, &v, sizeof(d));
        return absl::StrCat(d);
      }
      break;
    case 2950:
      if (b.size() == 16) {
        std::string h = Hex(b, 64).substr(2);
        return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-",
                            h.substr(16, 4), "-", h.substr(20));
      }
      break;
    default: break;
  }
  return std::nullopt;
}

}  // namespace

int16_t BindMessage::FormatOf(size_t i) const {
  if (formats.empty()) return 0;
  if (formats.size() == 1) return formats[0];
  return i < formats.size() ? formats[i] : 0;
}

bool DecodeParse(absl::Span<const uint8_t> body, ParseMessage* out) {
  BinaryReader r(body);
  uint16_t n = 0;
  if (!r.ReadCString(&out->statement) || !r.ReadCString(&out->query) || !r.ReadBE16(&n)) {
    return false;
  }
  out->param_types.reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    uint32_t oid = 0;
    if (!r.ReadBE32(&oid)) return false;
    out->param_types.push_back(oid);
  }
  return true;
}

bool DecodeBind(absl::Span<const uint8_t> body, BindMessage* out) {
  BinaryReader r(body);
  std::vector<int16_t> result_formats;
  return r.ReadCString(&out->portal) && r.ReadCString(&out->statement) &&
         ReadFormats(&r, &out->formats) && ReadValues(&r, &out->values) &&
         ReadFormats(&r, &result_formats);
}

bool DecodeExecute(absl::Span<const uint8_t> body, std::string_view* portal, uint32_t* max_rows) {
  BinaryReader r(body);
  return r.ReadCString(portal) && r.ReadBE32(max_rows);
}

bool DecodeTarget(absl::Span<const uint8_t> body, uint8_t* kind, std::string_view* name) {
  BinaryReader r(body);
  return r.ReadU8(kind) && (*kind == 'S' || *kind == 'P') && r.ReadCString(name);
}

bool DecodeFunctionCall(absl::Span<const uint8_t> body, FunctionCallMessage* out) {
  BinaryReader r(body);
  uint16_t result_format = 0;
  return r.ReadBE32(&out->function_oid) && ReadFormats(&r, &out->formats) &&
         ReadValues(&r, &out->args) && r.ReadBE16(&result_format);
}

bool DecodeCommandComplete(absl::Span<const uint8_t> body, CommandTag* out) {
  BinaryReader r(body);
  std::string_view tag;
  if (!r.ReadCString(&tag)) return false;
  // The count is the last word when it is a number: "INSERT 0 5" (legacy oid, rows), "SELECT 3".
  const size_t space = tag.rfind(' ');
  uint64_t rows = 0;
  if (space != std::string_view::npos &&
      absl::SimpleAtoi(absl::string_view(tag.data() + space + 1, tag.size() - space - 1), &rows)) {
    out->rows = rows;
    tag = tag.substr(0, space);
    if (tag.substr(0, 7) == "INSERT ") tag = tag.substr(0, 6);
  }
  out->command.assign(tag);
  return true;
}

bool DecodeParameterDescription(absl::Span<const uint8_t> body, std::vector<uint32_t>* types) {
  BinaryReader r(body);
  uint16_t n = 0;
  if (!r.ReadBE16(&n)) return false;
  types->reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    uint32_t oid = 0;
    if (!r.ReadBE32(&oid)) return false;
    types->push_back(oid);
  }
  return true;
}

std::string TypeName(uint32_t oid) {
  if (oid == 0) return "unspecified";
  for (const auto& t : kTypeNames) {
    if (t.oid == oid) return t.name;
  }
  return absl::StrCat("oid:", oid);
}

std::string RenderValue(uint32_t oid, int16_t format, absl::Span<const uint8_t> bytes,
                        size_t max_bytes) {
  if (format == 0) return Text(bytes, max_bytes);
  if (auto fixed = RenderBinaryFixed(oid, bytes)) return *fixed;
  if (IsTextLike(oid)) return Text(bytes, max_bytes);
  if (oid == 3802 && !bytes.empty() && bytes[0] == 1) return Text(bytes.subspan(1), max_bytes);
  return Hex(bytes, max_bytes);
}

std::vector<BoundParam> RenderParams(const std::vector<uint32_t>& types, const BindMessage& bind,
                                     size_t max_value_bytes) {
  std::vector<BoundParam> params;
  params.reserve(bind.values.size());
  for (size_t i = 0; i < bind.values.size(); ++i) {
    const uint32_t oid = i < types.size() ? types[i] : 0;
    BoundParam p;
    p.type = TypeName(oid);
    p.is_null = bind.values[i].is_null;
    if (!p.is_null) p.value = RenderValue(oid, bind.FormatOf(i), bind.values[i].bytes, max_value_bytes);
    params.push_back(std::move(p));
  }
  return params;
}

}  // namespace dbaudit::sensor::postgres
