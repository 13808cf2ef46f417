#include "sensor/protocols/common/parse_state.h"

namespace dbaudit::sensor::protocols {

const char* ParseStateName(ParseState s) {
  switch (s) {
    case ParseState::kOk: return "ok";
    case ParseState::kNeedMoreData: return "need_more_data";
    case ParseState::kInvalid: return "invalid";
    case ParseState::kIgnored: return "ignored";
  }
  return "unknown";
}

}  // namespace dbaudit::sensor::protocols
