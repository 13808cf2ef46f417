// Result of trying to parse one frame from the front of a buffer.
#pragma once

#include <cstddef>

namespace dbaudit::sensor::protocols {

enum class ParseState {
  // A whole frame was parsed; `consumed` bytes belong to it and are dropped from the input.
  kOk,
  // The buffer holds only part of a frame. Nothing is consumed; call again with more bytes.
  kNeedMoreData,
  // The bytes cannot be this protocol's frame. Nothing is consumed; the caller resynchronises.
  kInvalid,
  // A well-formed frame the caller does not care about; `consumed` bytes are skipped.
  kIgnored,
};

const char* ParseStateName(ParseState s);

}  // namespace dbaudit::sensor::protocols
