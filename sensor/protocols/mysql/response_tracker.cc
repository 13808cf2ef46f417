#include "sensor/protocols/mysql/response_tracker.h"

#include "sensor/protocols/common/binary_reader.h"
#include "sensor/protocols/mysql/handshake.h"

namespace dbaudit::sensor::mysql {
namespace {

using protocols::BinaryReader;

// More columns than any server allows (MySQL: 4096): a "column count" above it is not one.
constexpr uint64_t kMaxColumns = 4096;

uint16_t ErrCode(const Packet& p) {
  return p.payload.size() >= 3 ? static_cast<uint16_t>(p.payload[1] | (p.payload[2] << 8)) : 0;
}

}  // namespace

void ResponseTracker::Start(ResponseKind kind, uint64_t caps, bool caps_known, bool binary_rows) {
  kind_ = kind;
  caps_ = caps;
  caps_known_ = caps_known;
  binary_rows_ = binary_rows;
  columns_left_ = 0;
  rows_ = 0;
  prepare_ = PrepareOk{};
  auth_plugin_.clear();
  prev_packet_full_ = false;
  switch (kind) {
    case ResponseKind::kNone: phase_ = Phase::kDone; break;
    case ResponseKind::kFieldList: phase_ = Phase::kFieldDefs; break;
    case ResponseKind::kRows: phase_ = Phase::kRows; break;
    case ResponseKind::kAuth: phase_ = Phase::kAuthRounds; break;
    default: phase_ = Phase::kFirst; break;
  }
}

void ResponseTracker::InfileDone() {
  if (phase_ == Phase::kInfile) phase_ = Phase::kFirst;
}

ResponseTracker::Step ResponseTracker::OnPacket(const Packet& p, ResultOutcome* outcome) {
  if (prev_packet_full_) {  // continuation of a packet of 0xFFFFFF bytes (a huge row)
    prev_packet_full_ = p.length == kMaxPacketPayload;
    return Step::kContinue;
  }
  prev_packet_full_ = p.length == kMaxPacketPayload;
  if (p.payload.empty()) {
    if (kind_ == ResponseKind::kStatistics && phase_ == Phase::kFirst) {
      phase_ = Phase::kDone;
      outcome->success = true;
      return Step::kResult;
    }
    return Step::kUnexpected;
  }
  // MariaDB progress reports are ERR packets with code 0xFFFF in the middle of a response.
  if (p.payload[0] == kErrMarker && ErrCode(p) == kProgressReportErrorCode) return Step::kContinue;
  switch (phase_) {
    case Phase::kFirst: return OnFirst(p, outcome);
    case Phase::kColumnDefs:
    case Phase::kColumnEof:
    case Phase::kRows: return OnResultSetPacket(p, outcome);
    case Phase::kPrepareParams:
    case Phase::kPrepareParamEof:
    case Phase::kPrepareColumns:
    case Phase::kPrepareColumnEof: return OnPreparePacket(p, outcome);
    case Phase::kFieldDefs:
      if (p.payload[0] == kErrMarker) return FinishWithErr(p, outcome);
      if (!IsEndOfDefs(p)) return Step::kContinue;
      phase_ = Phase::kDone;
      outcome->success = true;
      return Step::kResult;
    case Phase::kAuthRounds:
      if (p.payload[0] == kOkMarker) return FinishWithOk(p, outcome);
      if (p.payload[0] == kErrMarker) return FinishWithErr(p, outcome);
      if (p.payload[0] == kEofMarker) {
        std::string_view plugin;
        if (ParseAuthSwitchRequest(p.payload, &plugin)) auth_plugin_ = std::string(plugin);
        return Step::kContinue;
      }
      return p.payload[0] == kAuthMoreDataMarker ? Step::kContinue : Step::kUnexpected;
    case Phase::kInfile:
      if (p.payload[0] == kErrMarker) return FinishWithErr(p, outcome);
      return Step::kUnexpected;
    case Phase::kDone: return Step::kUnexpected;
  }
  return Step::kUnexpected;
}

ResponseTracker::Step ResponseTracker::OnFirst(const Packet& p, ResultOutcome* outcome) {
  const uint8_t marker = p.payload[0];
  if (marker == kErrMarker) return FinishWithErr(p, outcome);
  switch (kind_) {
    case ResponseKind::kStatistics:
      phase_ = Phase::kDone;
      outcome->success = true;
      return Step::kResult;
    case ResponseKind::kOkErr:
      // COM_SET_OPTION answers with an EOF packet on older servers.
      if (marker == kOkMarker || IsEofPacket(p)) return FinishWithOk(p, outcome);
      return Step::kUnexpected;
    case ResponseKind::kPrepare:
      if (marker != kOkMarker || !ParsePrepareOk(p.payload, &prepare_)) return Step::kUnexpected;
      if (prepare_.num_params > 0) return StartColumns(prepare_.num_params, Phase::kPrepareParams);
      if (prepare_.num_columns > 0) return StartColumns(prepare_.num_columns, Phase::kPrepareColumns);
      phase_ = Phase::kDone;
      outcome->success = true;
      outcome->prepare = prepare_;
      return Step::kResult;
    case ResponseKind::kResultSet: break;
    default: return Step::kUnexpected;
  }
  if (marker == kOkMarker) return FinishWithOk(p, outcome);
  if (marker == kLocalInfileMarker) {  // 0xFB string<EOF> filename
    phase_ = Phase::kInfile;
    return Step::kLocalInfile;
  }
  // Column count: int<lenenc> [int<1> metadata_follows (MariaDB CACHE_METADATA)]
  BinaryReader r(p.payload);
  uint64_t columns;
  if (!r.ReadLenEncInt(&columns) || columns == 0 || columns > kMaxColumns) {
    return Step::kUnexpected;
  }
  uint8_t metadata_follows = 1;
  // Mid-stream the capability is unknown: a single byte after the count can only be it.
  const bool cache_metadata = (caps_ & kMariaDbClientCacheMetadata) ||
                              (!caps_known_ && r.remaining() == 1);
  if (cache_metadata && r.ReadU8(&metadata_follows) &&
      metadata_follows == 0) {
    // The client cached the column definitions at prepare time: none follow, but the EOF that
    // ends them still does (unless DEPRECATE_EOF).
    phase_ = (caps_known_ && deprecate_eof()) ? Phase::kRows : Phase::kColumnEof;
    rows_ = 0;
    return Step::kContinue;
  }
  if (!r.empty()) return Step::kUnexpected;
  rows_ = 0;
  return StartColumns(columns, Phase::kColumnDefs);
}

ResponseTracker::Step ResponseTracker::StartColumns(uint64_t count, Phase defs) {
  columns_left_ = count;
  phase_ = defs;
  return Step::kContinue;
}

ResponseTracker::Step ResponseTracker::OnResultSetPacket(const Packet& p, ResultOutcome* outcome) {
  const uint8_t marker = p.payload[0];
  if (marker == kErrMarker) return FinishWithErr(p, outcome);
  if (phase_ == Phase::kColumnDefs) {
    if (--columns_left_ == 0) {
      phase_ = (caps_known_ && deprecate_eof()) ? Phase::kRows : Phase::kColumnEof;
    }
    return Step::kContinue;
  }
  if (phase_ == Phase::kColumnEof) {
    phase_ = Phase::kRows;
    // Classic EOF is 5 bytes; the 0xFE OK that ends an empty result under DEPRECATE_EOF is 7+.
    const bool classic_eof = IsEofPacket(p) && (caps_known_ || p.length <= 5);
    if (classic_eof) {
      EofPacket eof;
      if (binary_rows_ && ParseEof(p.payload, &eof) && (eof.status & kServerStatusCursorExists)) {
        // A cursor was opened: rows come with COM_STMT_FETCH, this result ends here.
        return FinishRows(p, outcome);
      }
      return Step::kContinue;
    }
    if (caps_known_) return Step::kUnexpected;
  }
  if (IsEndOfRows(p)) return FinishRows(p, outcome);
  ++rows_;
  return Step::kContinue;
}

ResponseTracker::Step ResponseTracker::OnPreparePacket(const Packet& p, ResultOutcome* outcome) {
  if (p.payload[0] == kErrMarker) return FinishWithErr(p, outcome);
  const bool skip_eof = caps_known_ ? deprecate_eof() : false;
  switch (phase_) {
    case Phase::kPrepareParams:
      if (--columns_left_ > 0) return Step::kContinue;
      phase_ = Phase::kPrepareParamEof;
      if (!skip_eof) return Step::kContinue;
      break;
    case Phase::kPrepareColumns:
      if (--columns_left_ > 0) return Step::kContinue;
      phase_ = Phase::kPrepareColumnEof;
      if (!skip_eof) return Step::kContinue;
      break;
    case Phase::kPrepareParamEof:
    case Phase::kPrepareColumnEof:
      if (!IsEndOfDefs(p)) return Step::kUnexpected;
      break;
    default: return Step::kUnexpected;
  }
  if (phase_ == Phase::kPrepareParamEof && prepare_.num_columns > 0) {
    return StartColumns(prepare_.num_columns, Phase::kPrepareColumns);
  }
  phase_ = Phase::kDone;
  outcome->success = true;
  outcome->prepare = prepare_;
  return Step::kResult;
}

bool ResponseTracker::IsEndOfDefs(const Packet& p) const { return IsOkTerminator(p); }

// A text row never starts with 0xFE unless its first cell is 2^24 bytes or longer (the packet is
// then a full 0xFFFFFF one); a binary row starts with 0x00. So a shorter 0xFE packet ends rows,
// whether it is a classic EOF or the OK that replaces it under DEPRECATE_EOF.
bool ResponseTracker::IsEndOfRows(const Packet& p) const { return IsOkTerminator(p); }

ResponseTracker::Step ResponseTracker::FinishRows(const Packet& p, ResultOutcome* outcome) {
  uint16_t status = 0;
  if (p.length >= 7) {
    OkPacket ok;
    if (ParseOk(p.payload, caps_, &ok)) {
      status = ok.status;
      if (ok.schema_changed) outcome->schema = std::string(ok.schema);
    }
  } else {
    EofPacket eof;
    if (ParseEof(p.payload, &eof)) status = eof.status;
  }
  outcome->success = true;
  outcome->returned_rows = rows_;
  outcome->status = status;
  outcome->more_results = (status & kServerMoreResultsExists) != 0;
  phase_ = outcome->more_results ? Phase::kFirst : Phase::kDone;
  rows_ = 0;
  return Step::kResult;
}

ResponseTracker::Step ResponseTracker::FinishWithOk(const Packet& p, ResultOutcome* outcome) {
  OkPacket ok;
  if (p.payload[0] == kEofMarker && p.length < 7) {
    EofPacket eof;
    if (ParseEof(p.payload, &eof)) ok.status = eof.status;
  } else if (!ParseOk(p.payload, caps_, &ok)) {
    return Step::kUnexpected;
  }
  outcome->success = true;
  outcome->affected_rows = ok.affected_rows;
  outcome->status = ok.status;
  if (ok.schema_changed) outcome->schema = std::string(ok.schema);
  outcome->auth_plugin = auth_plugin_;
  outcome->more_results = kind_ == ResponseKind::kResultSet &&
                          (ok.status & kServerMoreResultsExists) != 0;
  phase_ = outcome->more_results ? Phase::kFirst : Phase::kDone;
  return Step::kResult;
}

ResponseTracker::Step ResponseTracker::FinishWithErr(const Packet& p, ResultOutcome* outcome) {
  ErrPacket err;
  if (!ParseErr(p.payload, &err)) return Step::kUnexpected;
  outcome->success = false;
  outcome->error_code = err.code;
  outcome->sql_state = std::string(err.sql_state);
  outcome->error_msg = std::string(err.message);
  outcome->auth_plugin = auth_plugin_;
  outcome->more_results = false;  // an error ends the whole response
  phase_ = Phase::kDone;
  return Step::kResult;
}

}  // namespace dbaudit::sensor::mysql
