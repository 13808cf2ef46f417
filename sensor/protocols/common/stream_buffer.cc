#include "sensor/protocols/common/stream_buffer.h"

namespace dbaudit::sensor::protocols {

bool StreamBuffer::Append(absl::Span<const uint8_t> data, absl::Span<const uint8_t>* view) {
  if (held_.empty()) {
    *view = data;
    return true;
  }
  if (held_.size() + data.size() > max_bytes_) {
    held_.clear();
    return false;
  }
  held_.append(reinterpret_cast<const char*>(data.data()), data.size());
  *view = absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(held_.data()), held_.size());
  return true;
}

void StreamBuffer::Keep(absl::Span<const uint8_t> view, size_t consumed) {
  if (consumed >= view.size()) {
    held_.clear();
    return;
  }
  const auto* rest = reinterpret_cast<const char*>(view.data() + consumed);
  const size_t n = view.size() - consumed;
  if (!held_.empty() && rest >= held_.data() && rest < held_.data() + held_.size()) {
    held_.erase(0, static_cast<size_t>(rest - held_.data()));
  } else {
    held_.assign(rest, n);
  }
}

}  // namespace dbaudit::sensor::protocols
