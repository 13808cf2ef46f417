#include "sensor/protocols/mysql/frame_parser.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>

namespace dbaudit::sensor::mysql {
namespace {

uint32_t ReadLE24(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16);
}

}  // namespace

// Packet: int<3> payload_length | int<1> sequence_id | payload
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
ParseState ParsePacket(absl::Span<const uint8_t> buf, Packet* out, size_t* consumed) {
  if (buf.size() < kPacketHeaderBytes) return ParseState::kNeedMoreData;
  const uint32_t length = ReadLE24(buf.data());
  if (buf.size() - kPacketHeaderBytes < length) return ParseState::kNeedMoreData;
  out->seq = buf[3];
  out->length = length;
  out->payload = buf.subspan(kPacketHeaderBytes, length);
  out->truncated = false;
  *consumed = kPacketHeaderBytes + length;
  return ParseState::kOk;
}

// Compressed frame: int<3> compressed_length | int<1> compressed_sequence_id |
//                   int<3> uncompressed_length | payload<compressed_length>
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_compression_packet.html
ParseState ParseCompressedFrame(absl::Span<const uint8_t> buf, CompressedFrame* out,
                                size_t* consumed) {
  if (buf.size() < kCompressedHeaderBytes) return ParseState::kNeedMoreData;
  const uint32_t compressed_length = ReadLE24(buf.data());
  const uint32_t uncompressed_length = ReadLE24(buf.data() + 4);
  // A compressor never turns bytes into nothing; an empty payload that claims content is garbage.
  if (compressed_length == 0 && uncompressed_length != 0) return ParseState::kInvalid;
  if (buf.size() - kCompressedHeaderBytes < compressed_length) return ParseState::kNeedMoreData;
  out->seq = buf[3];
  out->uncompressed_length = uncompressed_length;
  out->payload = buf.subspan(kCompressedHeaderBytes, compressed_length);
  *consumed = kCompressedHeaderBytes + compressed_length;
  return ParseState::kOk;
}

absl::Status DecompressFrame(Compression algorithm, const CompressedFrame& frame,
                             std::string* out) {
  if (frame.uncompressed_length == 0) {  // stored as is (payload below the compression threshold)
    out->append(reinterpret_cast<const char*>(frame.payload.data()), frame.payload.size());
    return absl::OkStatus();
  }
  const size_t base = out->size();
  out->resize(base + frame.uncompressed_length);
  auto* dst = reinterpret_cast<uint8_t*>(out->data() + base);
  size_t produced = 0;
  if (algorithm == Compression::kZlib) {
    uLongf dest_len = frame.uncompressed_length;
    const int rc = uncompress(dst, &dest_len, frame.payload.data(), frame.payload.size());
    if (rc != Z_OK) {
      out->resize(base);
      return absl::DataLossError("zlib frame does not inflate");
    }
    produced = dest_len;
  } else if (algorithm == Compression::kZstd) {
    const size_t rc = ZSTD_decompress(dst, frame.uncompressed_length, frame.payload.data(),
                                      frame.payload.size());
    if (ZSTD_isError(rc)) {
      out->resize(base);
      return absl::DataLossError("zstd frame does not decompress");
    }
    produced = rc;
  } else {
    out->resize(base);
    return absl::FailedPreconditionError("stream is not compressed");
  }
  if (produced != frame.uncompressed_length) {
    out->resize(base);
    return absl::DataLossError("compressed frame inflates to the wrong length");
  }
  return absl::OkStatus();
}

PacketStream::PacketStream(const Options& options)
    : options_(options),
      raw_(std::max(options.max_buffer_bytes, options.max_packet_bytes + 2 * kPacketHeaderBytes)) {
  options_.max_buffer_bytes = std::max(options.max_buffer_bytes,
                                       options.max_packet_bytes + 2 * kPacketHeaderBytes);
}

void PacketStream::Reset() {
  raw_.Clear();
  plain_.clear();
  skip_bytes_ = 0;
  ++reset_epoch_;
}

void PacketStream::SetCompression(Compression algorithm) {
  if (algorithm == compression_) return;
  compression_ = algorithm;
  ++mode_epoch_;
}

size_t PacketStream::DrainPackets(absl::Span<const uint8_t> view, Callback cb) {
  const uint64_t reset_epoch = reset_epoch_;
  const uint64_t mode_epoch = mode_epoch_;
  size_t pos = 0;
  while (true) {
    if (skip_bytes_ > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(skip_bytes_, view.size() - pos));
      pos += n;
      skip_bytes_ -= n;
      if (skip_bytes_ > 0) return pos;
    }
    const absl::Span<const uint8_t> rest = view.subspan(pos);
    Packet packet;
    size_t consumed = 0;
    if (rest.size() >= kPacketHeaderBytes && ReadLE24(rest.data()) > options_.max_packet_bytes) {
      // Too large to hold: hand out a prefix once it is here, skip the rest as it streams by.
      const size_t prefix = options_.max_packet_bytes;
      if (rest.size() < kPacketHeaderBytes + prefix) return pos;
      packet.seq = rest[3];
      packet.length = ReadLE24(rest.data());
      packet.payload = rest.subspan(kPacketHeaderBytes, prefix);
      packet.truncated = true;
      consumed = kPacketHeaderBytes + prefix;
      skip_bytes_ = packet.length - prefix;
    } else if (ParsePacket(rest, &packet, &consumed) != ParseState::kOk) {
      return pos;
    }
    pos += consumed;
    cb(packet);
    if (reset_epoch_ != reset_epoch || mode_epoch_ != mode_epoch) return pos;
  }
}

bool PacketStream::Feed(absl::Span<const uint8_t> data, Callback cb) {
  if (compression_ != Compression::kNone) return FeedCompressed(data, cb);
  absl::Span<const uint8_t> view;
  if (!raw_.Append(data, &view)) {
    Reset();
    return false;
  }
  const uint64_t reset_epoch = reset_epoch_;
  const uint64_t mode_epoch = mode_epoch_;
  const size_t used = DrainPackets(view, cb);
  if (reset_epoch_ != reset_epoch) return true;  // the consumer dropped the rest of the stream
  if (mode_epoch_ != mode_epoch && compression_ != Compression::kNone) {
    // Authentication finished inside this chunk: what follows is compressed. Copy first, since
    // `view` may point into raw_, which the compressed path reuses.
    std::string rest(reinterpret_cast<const char*>(view.data() + used), view.size() - used);
    raw_.Clear();
    return FeedCompressed(
        absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(rest.data()), rest.size()), cb);
  }
  raw_.Keep(view, used);
  return true;
}

bool PacketStream::FeedCompressed(absl::Span<const uint8_t> data, Callback cb) {
  absl::Span<const uint8_t> view;
  if (!raw_.Append(data, &view)) {
    Reset();
    return false;
  }
  const uint64_t reset_epoch = reset_epoch_;
  size_t pos = 0;
  while (true) {
    CompressedFrame frame;
    size_t consumed = 0;
    const ParseState state = ParseCompressedFrame(view.subspan(pos), &frame, &consumed);
    if (state == ParseState::kNeedMoreData) break;
    if (state != ParseState::kOk || !DecompressFrame(compression_, frame, &plain_).ok() ||
        plain_.size() > options_.max_buffer_bytes) {
      Reset();
      return false;
    }
    pos += consumed;
    const size_t used = DrainPackets(
        absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(plain_.data()), plain_.size()),
        cb);
    if (reset_epoch_ != reset_epoch) return true;
    plain_.erase(0, used);
  }
  raw_.Keep(view, pos);
  return true;
}

}  // namespace dbaudit::sensor::mysql
