#include "sensor/protocols/postgres/frame_parser.h"

#include "sensor/protocols/common/binary_reader.h"

namespace dbaudit::sensor::postgres {
namespace {

using protocols::BinaryReader;

struct TagInfo {
  uint8_t tag;
  const char* name;
  uint32_t min_len;  // the length field, i.e. body + 4
  uint32_t max_len;
};

constexpr uint32_t kAny = kMaxMessageLength;
// Auth exchanges and parameter reports are small; GSS tokens are the largest at a few KB.
constexpr uint32_t kSmallMessage = 1 << 20;
// Longest body skipped on the strength of a header alone while resynchronising.
constexpr uint32_t kMaxUnverifiedSkip = 64 * 1024;
// Command tags are a keyword and at most two integers ("INSERT 0 5").
constexpr uint32_t kMaxCommandTag = 4096;

// Fixed parts of each body give the minimum; see the message formats page.
constexpr TagInfo kFrontendTags[] = {
    {kTagBind, "Bind", 12, kAny},            // portal\0 stmt\0 Int16 nfmt Int16 nparam Int16 nres
    {kTagClose, "Close", 6, kSmallMessage},  // Byte1 'S'|'P', name\0
    {kTagCopyData, "CopyData", 4, kAny},
    {kTagCopyDone, "CopyDone", 4, 4},
    {kTagCopyFail, "CopyFail", 5, kSmallMessage},
    {kTagDescribe, "Describe", 6, kSmallMessage},
    {kTagExecute, "Execute", 9, kSmallMessage},  // portal\0 Int32 max_rows
    {kTagFlush, "Flush", 4, 4},
    {kTagFunctionCall, "FunctionCall", 14, kAny},
    {kTagParse, "Parse", 8, kAny},  // stmt\0 query\0 Int16 nparams
    {kTagPasswordMessage, "PasswordMessage", 4, kSmallMessage},
    {kTagQuery, "Query", 5, kAny},
    {kTagSync, "Sync", 4, 4},
    {kTagTerminate, "Terminate", 4, 4},
};

constexpr TagInfo kBackendTags[] = {
    {kTagAuthentication, "Authentication", 8, kSmallMessage},
    {kTagBackendKeyData, "BackendKeyData", 12, 12},
    {kTagBindComplete, "BindComplete", 4, 4},
    {kTagCloseComplete, "CloseComplete", 4, 4},
    {kTagCommandComplete, "CommandComplete", 5, kMaxCommandTag},
    {kTagCopyInResponse, "CopyInResponse", 7, 7 + 2 * 65535},
    {kTagCopyOutResponse, "CopyOutResponse", 7, 7 + 2 * 65535},
    {kTagCopyBothResponse, "CopyBothResponse", 7, 7 + 2 * 65535},
    {kTagCopyData, "CopyData", 4, kAny},
    {kTagCopyDone, "CopyDone", 4, 4},
    {kTagDataRow, "DataRow", 6, kAny},
    {kTagEmptyQueryResponse, "EmptyQueryResponse", 4, 4},
    {kTagErrorResponse, "ErrorResponse", 5, 1 << 24},
    {kTagFunctionCallResponse, "FunctionCallResponse", 8, kAny},
    {kTagNegotiateProtocolVersion, "NegotiateProtocolVersion", 12, kMaxStartupPacketLength},
    {kTagNoData, "NoData", 4, 4},
    {kTagNoticeResponse, "NoticeResponse", 5, 1 << 24},
    {kTagNotificationResponse, "NotificationResponse", 10, kAny},
    {kTagParameterDescription, "ParameterDescription", 6, 6 + 4 * 65535},
    {kTagParameterStatus, "ParameterStatus", 6, kSmallMessage},
    {kTagParseComplete, "ParseComplete", 4, 4},
    {kTagPortalSuspended, "PortalSuspended", 4, 4},
    {kTagReadyForQuery, "ReadyForQuery", 5, 5},
    {kTagRowDescription, "RowDescription", 6, kAny},
};

const TagInfo* Lookup(Direction dir, uint8_t tag) {
  if (dir == Direction::kClientToServer) {
    for (const TagInfo& t : kFrontendTags) {
      if (t.tag == tag) return &t;
    }
  } else {
    for (const TagInfo& t : kBackendTags) {
      if (t.tag == tag) return &t;
    }
  }
  return nullptr;
}

// Header at data[0..5) names a known tag with a length in range.
bool PlausibleHeader(Direction dir, absl::Span<const uint8_t> data, uint32_t* length) {
  if (data.size() < kHeaderSize) return false;
  BinaryReader r(data);
  uint8_t tag = 0;
  uint32_t len = 0;
  if (!r.ReadU8(&tag) || !r.ReadBE32(&len)) return false;
  uint32_t lo = 0;
  uint32_t hi = 0;
  if (!TagLengthRange(dir, tag, &lo, &hi) || len < lo || len > hi) return false;
  *length = len;
  return true;
}

// Structural checks on a complete message used while resynchronising, where a false positive
// costs a misparsed stream: string-ended bodies must end in NUL, ReadyForQuery carries a known
// transaction status.
bool PlausibleBody(Direction dir, uint8_t tag, absl::Span<const uint8_t> body) {
  const bool client = dir == Direction::kClientToServer;
  if (tag == kTagReadyForQuery && !client) {
    return body.size() == 1 && (body[0] == 'I' || body[0] == 'T' || body[0] == 'E');
  }
  const bool nul_ended = client ? (tag == kTagQuery || tag == kTagParse || tag == kTagClose ||
                                   tag == kTagDescribe || tag == kTagCopyFail)
                                : (tag == kTagCommandComplete || tag == kTagErrorResponse ||
                                   tag == kTagNoticeResponse || tag == kTagParameterStatus);
  if (nul_ended && (body.empty() || body.back() != 0)) return false;
  if (client && (tag == kTagClose || tag == kTagDescribe)) return body[0] == 'S' || body[0] == 'P';
  return true;
}

}  // namespace

bool TagLengthRange(Direction dir, uint8_t tag, uint32_t* min_len, uint32_t* max_len) {
  const TagInfo* t = Lookup(dir, tag);
  if (t == nullptr) return false;
  *min_len = t->min_len;
  *max_len = t->max_len;
  return true;
}

bool BodyNotNeeded(Direction dir, uint8_t tag) {
  if (tag == kTagCopyData) return true;
  return dir == Direction::kServerToClient &&
         (tag == kTagDataRow || tag == kTagRowDescription || tag == kTagNotificationResponse ||
          tag == kTagFunctionCallResponse);
}

const char* TagName(Direction dir, uint8_t tag) {
  const TagInfo* t = Lookup(dir, tag);
  return t == nullptr ? "Unknown" : t->name;
}

ParseState ParseTaggedFrame(Direction dir, absl::Span<const uint8_t> data, uint32_t max_buffered,
                            Frame* frame, size_t* consumed) {
  if (data.size() < kHeaderSize) {
    // An unknown first byte is already a verdict; no need to wait for the length.
    uint32_t lo = 0;
    uint32_t hi = 0;
    if (!data.empty() && !TagLengthRange(dir, data[0], &lo, &hi)) return ParseState::kInvalid;
    return ParseState::kNeedMoreData;
  }
  uint32_t length = 0;
  if (!PlausibleHeader(dir, data, &length)) return ParseState::kInvalid;
  const size_t total = size_t{1} + length;
  Frame f;
  f.kind = PacketKind::kTagged;
  f.tag = data[0];
  f.length = length;
  if (data.size() >= total) {
    f.body = data.subspan(kHeaderSize, length - 4);
    *frame = f;
    *consumed = total;
    return ParseState::kOk;
  }
  if (!BodyNotNeeded(dir, f.tag) && length <= max_buffered) return ParseState::kNeedMoreData;
  f.body = data.subspan(kHeaderSize);
  f.body_remaining = static_cast<uint32_t>(total - data.size());
  *frame = f;
  *consumed = data.size();
  return ParseState::kOk;
}

ParseState ParseStartupPacket(absl::Span<const uint8_t> data, Frame* frame, size_t* consumed) {
  if (data.size() < 8) {
    // A length prefix that is already impossible needs no more bytes to be rejected.
    if (data.size() >= 4) {
      BinaryReader r(data);
      uint32_t len = 0;
      if (r.ReadBE32(&len) && (len < 8 || len > kMaxStartupPacketLength)) {
        return ParseState::kInvalid;
      }
    }
    return ParseState::kNeedMoreData;
  }
  BinaryReader r(data);
  uint32_t length = 0;
  uint32_t code = 0;
  if (!r.ReadBE32(&length) || !r.ReadBE32(&code)) return ParseState::kNeedMoreData;
  if (length < 8 || length > kMaxStartupPacketLength) return ParseState::kInvalid;
  Frame f;
  f.length = length;
  f.code = code;
  if (code == kSslRequestCode || code == kGssEncRequestCode) {
    if (length != 8) return ParseState::kInvalid;
    f.kind = code == kSslRequestCode ? PacketKind::kSslRequest : PacketKind::kGssEncRequest;
  } else if (code == kCancelRequestCode) {
    if (length != 16) return ParseState::kInvalid;  // Int32 pid, Int32 secret key
    f.kind = PacketKind::kCancelRequest;
  } else if ((code >> 16) == 3 && length > 8) {
    f.kind = PacketKind::kStartupMessage;  // 3.x; the server negotiates minor versions down
  } else {
    return ParseState::kInvalid;
  }
  if (data.size() < length) return ParseState::kNeedMoreData;
  f.body = data.subspan(8, length - 8);
  *frame = f;
  *consumed = length;
  return ParseState::kOk;
}

std::optional<size_t> FindFrameBoundary(Direction dir, absl::Span<const uint8_t> data,
                                        size_t* keep_from) {
  *keep_from = data.size() > kHeaderSize - 1 ? data.size() - (kHeaderSize - 1) : 0;
  bool kept = false;
  for (size_t i = 0; i + kHeaderSize <= data.size(); ++i) {
    uint32_t length = 0;
    if (!PlausibleHeader(dir, data.subspan(i), &length)) continue;
    const size_t end = i + 1 + length;
    if (end > data.size()) {
      // The body is not here yet: only the header can be judged. Accept only a body the session
      // skips anyway, so a false positive cannot be reported as a statement, and only a modest
      // length, so text that happens to look like a header cannot make it skip megabytes.
      if (BodyNotNeeded(dir, data[i]) && length <= kMaxUnverifiedSkip) return i;
      if (!kept) {
        kept = true;
        *keep_from = i;
      }
      continue;
    }
    if (!PlausibleBody(dir, data[i], data.subspan(i + kHeaderSize, length - 4))) continue;
    uint32_t next_length = 0;
    if (end + kHeaderSize <= data.size() && !PlausibleHeader(dir, data.subspan(end), &next_length)) {
      continue;
    }
    return i;
  }
  return std::nullopt;
}

}  // namespace dbaudit::sensor::postgres
