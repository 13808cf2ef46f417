// Bytes -> PostgreSQL messages. Knows nothing about the session: the caller says which packet
// form it expects (the untagged startup packet or a tagged message) and gets a Frame back.
//
// Tagged message (both directions, after startup):
//   Byte1  tag
//   Int32  length   (counts itself and the body, not the tag)
//   Byte[length-4] body
// Startup-phase packet (client only, first message of a connection):
//   Int32  length   (counts itself)
//   Int32  code     (protocol version 3.0 = 196608, or SSLRequest/GSSENCRequest/CancelRequest)
//   Byte[length-8] body
// https://www.postgresql.org/docs/15/protocol-message-formats.html
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/types/span.h"
#include "sensor/protocols/common/parse_state.h"
#include "sensor/protocols/postgres/types.h"

namespace dbaudit::sensor::postgres {

using protocols::ParseState;

// Parses one tagged message from the front of `data`.
// kOk: `frame` is set and `*consumed` bytes belong to it. When the body is not all there and
//   either the tag's body is not needed (BodyNotNeeded) or the message is longer than
//   `max_buffered`, the frame is returned early with `body_remaining` > 0 and everything
//   available consumed: the caller skips the rest instead of buffering it.
// kNeedMoreData: nothing consumed; call again with more bytes.
// kInvalid: unknown tag for `dir` or a length outside the tag's range; nothing consumed.
ParseState ParseTaggedFrame(Direction dir, absl::Span<const uint8_t> data, uint32_t max_buffered,
                            Frame* frame, size_t* consumed);

// Parses the untagged packet a client sends first (StartupMessage v3, SSLRequest,
// GSSENCRequest, CancelRequest). kInvalid for anything else, including protocol v2 and lengths
// above kMaxStartupPacketLength. Nothing is consumed unless kOk.
ParseState ParseStartupPacket(absl::Span<const uint8_t> data, Frame* frame, size_t* consumed);

// After a gap or a parse error: the first offset in `data` where a plausible `dir` message
// starts (known tag, length within the tag's range, the body's fixed parts well-formed, and the
// next header plausible too when it is in `data`). nullopt when there is none yet; then
// `*keep_from` is the offset from which the bytes must be kept for the next try (a plausible
// header whose body has not fully arrived, or the last 4 bytes).
std::optional<size_t> FindFrameBoundary(Direction dir, absl::Span<const uint8_t> data,
                                        size_t* keep_from);

}  // namespace dbaudit::sensor::postgres
