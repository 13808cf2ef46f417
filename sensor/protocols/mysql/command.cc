#include "sensor/protocols/mysql/command.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sensor/protocols/common/binary_reader.h"

namespace dbaudit::sensor::mysql {
namespace {

using protocols::BinaryReader;

struct LengthRange {
  uint32_t min;
  uint32_t max;
};

// Payload length range (command byte included) of each command, so that resynchronisation does
// not take arbitrary bytes for a request. Commands absent here (replication, internal ones) are
// never taken for the start of a request.
bool CommandLengthRange(uint8_t command, LengthRange* range) {
  switch (command) {
    case kComQuit:
    case kComStatistics:
    case kComProcessInfo:
    case kComDebug:
    case kComPing:
    case kComResetConnection: *range = {1, 1}; return true;
    case kComInitDb:
    case kComCreateDb:
    case kComDropDb: *range = {2, 1 + 256}; return true;  // 64 characters, up to 4 bytes each
    case kComFieldList: *range = {2, 1 + 1024}; return true;
    case kComRefresh: *range = {2, 2}; return true;
    case kComShutdown: *range = {1, 2}; return true;
    case kComProcessKill: *range = {5, 5}; return true;
    case kComChangeUser: *range = {3, 8192}; return true;
    case kComQuery:
    case kComStmtPrepare: *range = {2, kMaxPacketPayload}; return true;
    case kComStmtExecute: *range = {10, kMaxPacketPayload}; return true;
    case kComStmtSendLongData: *range = {7, kMaxPacketPayload}; return true;
    case kComStmtClose:
    case kComStmtReset: *range = {5, 5}; return true;
    case kComSetOption: *range = {3, 3}; return true;
    case kComStmtFetch: *range = {9, 9}; return true;
    case kComStmtBulkExecute: *range = {7, kMaxPacketPayload}; return true;
    default: return false;
  }
}

bool IsTextCommand(uint8_t command) {
  return command == kComQuery || command == kComStmtPrepare || command == kComInitDb ||
         command == kComFieldList || command == kComCreateDb || command == kComDropDb;
}

// The first bytes of SQL text or a name: no control characters other than white space.
bool LooksLikeText(absl::Span<const uint8_t> text) {
  const size_t n = std::min<size_t>(text.size(), 32);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = text[i];
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
    if (c == 0x7f) return false;
  }
  return true;
}

}  // namespace

bool IsPlausibleRequest(absl::Span<const uint8_t> data) {
  if (data.size() < kPacketHeaderBytes + 1) return false;
  const uint32_t length = data[0] | (data[1] << 8) | (data[2] << 16);
  const uint8_t command = data[4];
  LengthRange range;
  if (data[3] != 0 || !CommandLengthRange(command, &range) || length < range.min ||
      length > range.max) {
    return false;
  }
  if (!IsTextCommand(command)) return true;
  absl::Span<const uint8_t> text =
      data.subspan(kPacketHeaderBytes + 1, std::min<size_t>(length - 1, data.size() - 5));
  // COM_QUERY with query attributes and none set starts with parameter_count 0, set count 1.
  if (command == kComQuery && text.size() >= 2 && text[0] == 0 && text[1] == 1) {
    text = text.subspan(2);
  }
  return LooksLikeText(text);
}

bool ParseQuery(absl::Span<const uint8_t> payload, uint64_t caps, std::string_view* sql,
                std::vector<BoundParam>* attributes) {
  BinaryReader r(payload);
  uint8_t command;
  if (!r.ReadU8(&command) || command != kComQuery) return false;
  if (caps & kClientQueryAttributes) {
    uint64_t count;
    uint64_t set_count;
    if (!r.ReadLenEncInt(&count) || !r.ReadLenEncInt(&set_count) || count > 0xffff) return false;
    if (count > 0) {
      std::vector<ParamType> types;
      std::vector<BoundParam> values;
      std::vector<std::string_view> names;
      ParamBlock block{static_cast<size_t>(count), /*named=*/true, nullptr, &types};
      if (!ReadParamBlock(&r, block, &values, &names)) return false;
      if (attributes != nullptr) {
        for (size_t i = 0; i < values.size(); ++i) {
          const std::string_view name = i < names.size() ? names[i] : std::string_view();
          values[i].value = absl::StrCat(absl::string_view(name.data(), name.size()), "=",
                                         values[i].value);
          attributes->push_back(std::move(values[i]));
        }
      }
    }
  }
  *sql = r.Rest();
  return true;
}

bool ParseChangeUser(absl::Span<const uint8_t> payload, uint64_t caps, ChangeUser* out) {
  BinaryReader r(payload);
  uint8_t command;
  if (!r.ReadU8(&command) || command != kComChangeUser || !r.ReadCString(&out->user)) return false;
  std::string_view ignored;
  if (caps & kClientSecureConnection) {
    uint8_t n;
    if (!r.ReadU8(&n) || !r.Skip(n)) return false;
  } else if (!r.ReadCString(&ignored)) {
    return false;
  }
  if (!r.ReadCString(&out->database)) return r.empty();
  uint16_t charset;
  if (!r.ReadLE16(&charset)) return true;
  if ((caps & kClientPluginAuth) && !r.ReadCString(&out->auth_plugin)) out->auth_plugin = r.Rest();
  return true;
}

bool ParsePrepareOk(absl::Span<const uint8_t> payload, PrepareOk* out) {
  BinaryReader r(payload);
  uint8_t marker;
  return r.ReadU8(&marker) && marker == kOkMarker && r.ReadLE32(&out->statement_id) &&
         r.ReadLE16(&out->num_columns) && r.ReadLE16(&out->num_params) && r.Skip(1);
}

bool ReadStatementId(absl::Span<const uint8_t> payload, uint32_t* id) {
  BinaryReader r(payload);
  return r.Skip(1) && r.ReadLE32(id);
}

bool ParseExecute(absl::Span<const uint8_t> payload, uint64_t caps, uint16_t num_params,
                  const std::vector<bool>& long_data, std::vector<ParamType>* types,
                  ExecuteHeader* header, std::vector<BoundParam>* params, size_t* unread) {
  BinaryReader r(payload);
  uint8_t command;
  uint32_t iterations;
  if (!r.ReadU8(&command) || command != kComStmtExecute || !r.ReadLE32(&header->statement_id) ||
      !r.ReadU8(&header->flags) || !r.ReadLE32(&iterations)) {
    return false;
  }
  uint64_t count = num_params;
  const bool attrs = (caps & kClientQueryAttributes) != 0;
  if (attrs && (num_params > 0 || (header->flags & kParameterCountAvailable))) {
    if (!r.ReadLenEncInt(&count) || count > 0xffff || count < num_params) return false;
  }
  params->clear();
  if (unread != nullptr) *unread = r.remaining();
  if (count == 0) return true;
  ParamBlock block{static_cast<size_t>(count), attrs, &long_data, types};
  if (!ReadParamBlock(&r, block, params, nullptr)) return false;
  if (unread != nullptr) *unread = r.remaining();
  // Query attributes ride after the real parameters; keep only the statement's own.
  if (params->size() > num_params) params->resize(num_params);
  return true;
}

bool GuessParamCount(absl::Span<const uint8_t> payload, uint64_t caps, uint16_t max_params,
                     uint16_t* num_params) {
  // Each parameter takes at least 2 type bytes, which bounds the count by the payload size.
  const size_t limit = std::min<size_t>(max_params, payload.size() / 2);
  for (size_t n = 1; n <= limit; ++n) {
    std::vector<ParamType> types;  // empty: only a packet that binds its types can parse
    std::vector<BoundParam> params;
    ExecuteHeader header;
    size_t unread = 1;
    if (ParseExecute(payload, caps, static_cast<uint16_t>(n), {}, &types, &header, &params,
                     &unread) &&
        unread == 0 && types.size() == n) {
      *num_params = static_cast<uint16_t>(n);
      return true;
    }
  }
  return false;
}

bool ParseSendLongData(absl::Span<const uint8_t> payload, uint32_t* statement_id,
                       uint16_t* param_id, std::string_view* data) {
  BinaryReader r(payload);
  uint8_t command;
  if (!r.ReadU8(&command) || command != kComStmtSendLongData || !r.ReadLE32(statement_id) ||
      !r.ReadLE16(param_id)) {
    return false;
  }
  *data = r.Rest();
  return true;
}

}  // namespace dbaudit::sensor::mysql
