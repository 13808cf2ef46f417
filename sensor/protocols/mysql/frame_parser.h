// Bytes to MySQL packets, for one direction of one connection. Knows nothing about the session:
// it frames plain packets and the compressed protocol (zlib or zstd) and hands out Packets.
#pragma once

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "sensor/protocols/common/parse_state.h"
#include "sensor/protocols/common/stream_buffer.h"
#include "sensor/protocols/mysql/types.h"

namespace dbaudit::sensor::mysql {

using protocols::ParseState;

// Parses one whole packet from the front of `buf`.
//   kOk: *out views into `buf`, *consumed = 4 + payload length.
//   kNeedMoreData: fewer bytes than the header announces; nothing consumed.
// Never kInvalid: every 4-byte header is a syntactically valid packet header.
ParseState ParsePacket(absl::Span<const uint8_t> buf, Packet* out, size_t* consumed);

// One compressed-protocol frame, `payload` viewing into the parsed buffer.
struct CompressedFrame {
  uint8_t seq = 0;
  uint32_t uncompressed_length = 0;  // 0: payload is stored uncompressed
  absl::Span<const uint8_t> payload;
};

// Parses one compressed frame header and its payload from the front of `buf`.
//   kOk / kNeedMoreData as ParsePacket.
//   kInvalid: the header announces a length the protocol cannot produce (an uncompressed length
//   above 16 MiB, or a payload larger than its uncompressed length allows); nothing consumed.
ParseState ParseCompressedFrame(absl::Span<const uint8_t> buf, CompressedFrame* out,
                                size_t* consumed);

// Appends the decompressed payload of `frame` to `out`. DataLoss when the payload does not
// inflate to exactly uncompressed_length bytes.
absl::Status DecompressFrame(Compression algorithm, const CompressedFrame& frame, std::string* out);

// Turns the ordered bytes of one direction into packets. Packets whose payload exceeds
// `max_packet_bytes` are delivered once with a prefix of that size (truncated = true) and their
// remainder is skipped as it arrives, so a large row or blob is never buffered whole.
class PacketStream {
 public:
  struct Options {
    size_t max_buffer_bytes = 16 << 20;
    size_t max_packet_bytes = 1 << 20;
  };
  using Callback = absl::FunctionRef<void(const Packet&)>;

  explicit PacketStream(const Options& options);

  // Frames `data` (plus any held tail) and calls `cb` for each complete packet, in order.
  // Returns false when the stream cannot be framed any more (a compressed frame is invalid or
  // does not inflate, or the held tail would pass max_buffer_bytes); the buffers are then
  // cleared and the caller must Reset() before feeding again.
  bool Feed(absl::Span<const uint8_t> data, Callback cb);

  // Bytes that follow are compressed frames (called once authentication succeeded).
  // May be called from inside the Feed callback: the rest of that chunk is then read as
  // compressed frames.
  void SetCompression(Compression algorithm);
  Compression compression() const { return compression_; }

  // Drops every held byte (after a gap or a resync): the next byte fed starts a frame. Called
  // from inside the Feed callback, it also drops the rest of the chunk being framed.
  void Reset();

  size_t held_bytes() const { return raw_.held() + plain_.size(); }

 private:
  // Delivers whole packets from the front of `view`; returns how many bytes were used.
  size_t DrainPackets(absl::Span<const uint8_t> view, Callback cb);
  bool FeedCompressed(absl::Span<const uint8_t> data, Callback cb);

  Options options_;
  Compression compression_ = Compression::kNone;
  protocols::StreamBuffer raw_;
  std::string plain_;       // decompressed bytes not yet framed (compressed mode only)
  uint64_t skip_bytes_ = 0;  // remainder of a truncated packet still to skip
  // Bumped by Reset / SetCompression so the framing loop notices a change made by its callback.
  uint64_t reset_epoch_ = 0;
  uint64_t mode_epoch_ = 0;
};

}  // namespace dbaudit::sensor::mysql
