// Per-direction byte buffer between reassembly and a frame parser. Bytes that arrive in one
// OnData call and form whole frames are parsed straight from the caller's span (no copy); only
// the tail of a frame split across calls is kept here, up to a hard cap.
#pragma once

#include <cstdint>
#include <string>

#include "absl/types/span.h"

namespace dbaudit::sensor::protocols {

class StreamBuffer {
 public:
  explicit StreamBuffer(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Makes `data` the bytes to parse next: if a tail is held, appends to it and returns a view of
  // the whole; otherwise returns `data` itself. Returns false (and clears the buffer) when the
  // held tail would exceed max_bytes; the caller then treats the stream as out of sync.
  bool Append(absl::Span<const uint8_t> data, absl::Span<const uint8_t>* view);

  // After parsing `view`, keep its unconsumed suffix (bytes [consumed, view.size())).
  void Keep(absl::Span<const uint8_t> view, size_t consumed);

  void Clear() { held_.clear(); }
  size_t held() const { return held_.size(); }

 private:
  size_t max_bytes_;
  std::string held_;
};

}  // namespace dbaudit::sensor::protocols
