// PostgreSQL frontend/backend protocol v3 vocabulary: message tags named as in the spec, startup
// request codes, frames and the length limits the frame parser enforces.
// Spec: https://www.postgresql.org/docs/15/protocol-message-formats.html
#pragma once

#include <cstdint>

#include "absl/types/span.h"
#include "sensor/record/record.h"

namespace dbaudit::sensor::postgres {

// ---- Frontend (client -> server) message tags -------------------------------------------------
inline constexpr uint8_t kTagBind = 'B';
inline constexpr uint8_t kTagClose = 'C';
inline constexpr uint8_t kTagCopyData = 'd';
inline constexpr uint8_t kTagCopyDone = 'c';
inline constexpr uint8_t kTagCopyFail = 'f';
inline constexpr uint8_t kTagDescribe = 'D';
inline constexpr uint8_t kTagExecute = 'E';
inline constexpr uint8_t kTagFlush = 'H';
inline constexpr uint8_t kTagFunctionCall = 'F';
inline constexpr uint8_t kTagParse = 'P';
// PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse all use 'p'.
inline constexpr uint8_t kTagPasswordMessage = 'p';
inline constexpr uint8_t kTagQuery = 'Q';
inline constexpr uint8_t kTagSync = 'S';
inline constexpr uint8_t kTagTerminate = 'X';

// ---- Backend (server -> client) message tags --------------------------------------------------
inline constexpr uint8_t kTagAuthentication = 'R';
inline constexpr uint8_t kTagBackendKeyData = 'K';
inline constexpr uint8_t kTagBindComplete = '2';
inline constexpr uint8_t kTagCloseComplete = '3';
inline constexpr uint8_t kTagCommandComplete = 'C';
inline constexpr uint8_t kTagCopyInResponse = 'G';
inline constexpr uint8_t kTagCopyOutResponse = 'H';
inline constexpr uint8_t kTagCopyBothResponse = 'W';
inline constexpr uint8_t kTagDataRow = 'D';
inline constexpr uint8_t kTagEmptyQueryResponse = 'I';
inline constexpr uint8_t kTagErrorResponse = 'E';
inline constexpr uint8_t kTagFunctionCallResponse = 'V';
inline constexpr uint8_t kTagNegotiateProtocolVersion = 'v';
inline constexpr uint8_t kTagNoData = 'n';
inline constexpr uint8_t kTagNoticeResponse = 'N';
inline constexpr uint8_t kTagNotificationResponse = 'A';
inline constexpr uint8_t kTagParameterDescription = 't';
inline constexpr uint8_t kTagParameterStatus = 'S';
inline constexpr uint8_t kTagParseComplete = '1';
inline constexpr uint8_t kTagPortalSuspended = 's';
inline constexpr uint8_t kTagReadyForQuery = 'Z';
inline constexpr uint8_t kTagRowDescription = 'T';
// (CopyData 'd' and CopyDone 'c' are used in both directions.)

// ---- Untagged startup-phase packets: Int32 length, Int32 code, body -----------------------------
inline constexpr uint32_t kProtocolVersion3 = 3u << 16;  // 196608, StartupMessage v3.0
inline constexpr uint32_t kCancelRequestCode = 80877102;   // 1234 << 16 | 5678
inline constexpr uint32_t kSslRequestCode = 80877103;      // 1234 << 16 | 5679
inline constexpr uint32_t kGssEncRequestCode = 80877104;   // 1234 << 16 | 5680

// Authentication request subtypes (Int32 after the 'R' header).
enum class AuthRequest : uint32_t {
  kOk = 0,
  kKerberosV5 = 2,
  kCleartextPassword = 3,
  kMd5Password = 5,
  kGss = 7,
  kGssContinue = 8,
  kSspi = 9,
  kSasl = 10,
  kSaslContinue = 11,
  kSaslFinal = 12,
};

// ---- Limits ----------------------------------------------------------------------------------
// The server refuses startup packets longer than this (MAX_STARTUP_PACKET_LENGTH in
// src/include/libpq/pqcomm.h); anything bigger is not PostgreSQL.
inline constexpr uint32_t kMaxStartupPacketLength = 10000;
// The server's own cap on one message (PQ_LARGE_MESSAGE_LIMIT, MaxAllocSize - 1): 1 GB.
inline constexpr uint32_t kMaxMessageLength = 0x3fffffff;
// Every tagged message header: Byte1 tag, Int32 length (counting itself, not the tag).
inline constexpr size_t kHeaderSize = 5;

enum class PacketKind : uint8_t {
  kTagged,          // Byte1 tag + Int32 length + body
  kStartupMessage,  // v3 StartupMessage
  kSslRequest,
  kGssEncRequest,
  kCancelRequest,
};

// One protocol message. `body` is a view into the caller's buffer, valid only during the call;
// it excludes the tag and the length field.
struct Frame {
  PacketKind kind = PacketKind::kTagged;
  uint8_t tag = 0;           // kTagged only
  uint32_t length = 0;       // the length field: body + 4
  uint32_t code = 0;         // untagged packets: the request code / protocol version
  absl::Span<const uint8_t> body;
  // The body was not all in the buffer and the tag's body is not needed (DataRow, CopyData):
  // `body` holds what was there, and `body_remaining` more bytes follow in the stream; the
  // caller skips them instead of buffering.
  uint32_t body_remaining = 0;

  size_t wire_size() const { return (kind == PacketKind::kTagged ? 1 : 0) + length; }
};

// Whole-message length range (the length field) accepted for a tag in one direction. Returns
// false for a tag that this direction never sends. These limits reject garbage early and make
// resynchronisation after a gap trustworthy.
bool TagLengthRange(Direction dir, uint8_t tag, uint32_t* min_len, uint32_t* max_len);

// True for tags whose bodies the session only counts (rows, bytes), so a large one is skipped
// as it streams by instead of being buffered.
bool BodyNotNeeded(Direction dir, uint8_t tag);

// Spec name of a tag in a direction ("Query", "RowDescription"...), "Unknown" otherwise.
const char* TagName(Direction dir, uint8_t tag);

}  // namespace dbaudit::sensor::postgres
