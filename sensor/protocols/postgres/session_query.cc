// Query phase of the PostgreSQL session: client requests queue up as PendingOps; the server
// answers them strictly in order, so each response completes the op at the front.
// https://www.postgresql.org/docs/15/protocol-flow.html
#include <string_view>

#include "sensor/protocols/common/binary_reader.h"
#include "sensor/protocols/postgres/counters.h"
#include "sensor/protocols/postgres/errors.h"
#include "sensor/protocols/postgres/session.h"
#include "sensor/sql/splitter.h"

namespace dbaudit::sensor::postgres {
namespace {

// A String\0 body as text; a truncated body has no terminator yet.
std::string BodyText(const Frame& frame) {
  std::string_view s(reinterpret_cast<const char*>(frame.body.data()), frame.body.size());
  if (frame.body_remaining == 0 && !s.empty() && s.back() == '\0') s.remove_suffix(1);
  return std::string(s);
}

// Debian's abseil has its own string_view type: convert map keys explicitly.
absl::string_view Key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The portal and statement names at the front of a Bind body (empty when absent).
void BinaryNames(absl::Span<const uint8_t> body, std::string_view* portal,
                 std::string_view* statement) {
  protocols::BinaryReader r(body);
  if (!r.ReadCString(portal) || !r.ReadCString(statement)) {
    *portal = {};
    *statement = {};
  }
}

bool IsCountedCommand(const std::string& c) {
  return c == "SELECT" || c == "FETCH" || c == "SHOW";
}

}  // namespace

void Session::OnReady(Direction dir, int64_t ts_us, const Frame& frame) {
  if (dir == Direction::kClientToServer) return OnClientRequest(ts_us, frame);
  OnServerResponse(ts_us, frame);
}

void Session::OnCopy(Direction dir, int64_t ts_us, const Frame& frame) {
  if (dir == Direction::kClientToServer) return OnClientRequest(ts_us, frame);
  const bool copy_stream = frame.tag == kTagCopyData || frame.tag == kTagCopyDone;
  if (!copy_stream) state_ = State::kReady;  // CommandComplete / ErrorResponse end the COPY
  OnServerResponse(ts_us, frame);
}

void Session::OnClientRequest(int64_t ts_us, const Frame& frame) {
  if (frame.body_remaining > 0 && frame.tag != kTagCopyData) Counters().truncated->Add();
  switch (frame.tag) {
    case kTagQuery: return PushQuery(ts_us, frame);
    case kTagParse: return PushParse(ts_us, frame);
    case kTagBind: return PushBind(ts_us, frame);
    case kTagExecute: return PushExecute(ts_us, frame);
    case kTagFunctionCall: return PushFunctionCall(ts_us, frame);
    case kTagDescribe: {
      PendingOp op = NewOp(OpKind::kDescribe, ts_us);
      uint8_t kind = 0;
      std::string_view name;
      // Describe of a statement: its ParameterDescription gives the types the server inferred.
      if (DecodeTarget(frame.body, &kind, &name) && kind == 'S') {
        op.described_statement = true;
        op.sql.assign(name);
      }
      return Push(std::move(op));
    }
    case kTagSync: return Push(NewOp(OpKind::kSync, ts_us));
    case kTagClose: {
      uint8_t kind = 0;
      std::string_view name;
      if (DecodeTarget(frame.body, &kind, &name)) {
        if (kind == 'S') prepared_.erase(Key(name));
        if (kind == 'P') portals_.erase(Key(name));
      } else {
        Counters().malformed->Add();
      }
      return Push(NewOp(OpKind::kClose, ts_us));
    }
    case kTagCopyData: {
      // COPY FROM STDIN rows: the op whose COPY is running, else the newest request.
      PendingOp* target = pending_.empty() ? nullptr : &pending_.back();
      for (PendingOp& op : pending_) {
        if (op.copy_tag != 0) {
          target = &op;
          break;
        }
      }
      if (target != nullptr) target->copy_rows++;
      return;
    }
    case kTagCopyDone:
    case kTagCopyFail:
    case kTagFlush: return;
    case kTagTerminate:
      FlushPending(ts_us);
      state_ = State::kTerminated;
      return;
    default: Counters().unexpected->Add(); return;
  }
}

void Session::PushQuery(int64_t ts_us, const Frame& frame) {
  PendingOp op = NewOp(OpKind::kQuery, ts_us);
  op.sql = BodyText(frame);
  op.truncated = frame.body_remaining > 0;
  if (op.truncated) {
    op.statements.push_back(op.sql);
  } else {
    for (std::string_view s : sql::SplitStatements(sql::Dialect::kPostgresql, op.sql)) {
      op.statements.emplace_back(s);
    }
  }
  Push(std::move(op));
}

void Session::PushParse(int64_t ts_us, const Frame& frame) {
  ParseMessage msg;
  PendingOp op = NewOp(OpKind::kParse, ts_us);
  if (DecodeParse(frame.body, &msg)) {
    op.sql.assign(msg.query);
    if (prepared_.size() >= options_.max_prepared && !prepared_.contains(Key(msg.statement))) {
      Counters().prepared_overflow->Add();
      prepared_.clear();
    }
    prepared_[Key(msg.statement)] = Prepared{op.sql, std::move(msg.param_types)};
  } else if (frame.body_remaining == 0) {
    Counters().malformed->Add();
  }
  Push(std::move(op));
}

void Session::PushBind(int64_t ts_us, const Frame& frame) {
  BindMessage msg;
  PendingOp op = NewOp(OpKind::kBind, ts_us);
  const bool whole = DecodeBind(frame.body, &msg);
  if (!whole) {
    // Too large to decode (a huge bytea) or malformed: the names at the front still tie the
    // portal to its statement; the parameters are not reported.
    if (frame.body_remaining == 0) Counters().malformed->Add();
    op.truncated = true;
    BinaryNames(frame.body, &msg.portal, &msg.statement);
    msg.values.clear();
  }
  auto it = prepared_.find(Key(msg.statement));
  if (it == prepared_.end()) {
    Counters().unknown_statement->Add();  // e.g. prepared before a mid-stream pickup
    op.params = RenderParams({}, msg, options_.max_param_value_bytes);
  } else {
    op.sql = it->second.sql;
    op.params = RenderParams(it->second.param_types, msg, options_.max_param_value_bytes);
  }
  if (portals_.size() >= options_.max_prepared && !portals_.contains(Key(msg.portal))) {
    Counters().prepared_overflow->Add();
    portals_.clear();
  }
  portals_[Key(msg.portal)] = Portal{op.sql, op.params};
  Push(std::move(op));
}

void Session::PushExecute(int64_t ts_us, const Frame& frame) {
  std::string_view portal;
  uint32_t max_rows = 0;
  PendingOp op = NewOp(OpKind::kExecute, ts_us);
  if (!DecodeExecute(frame.body, &portal, &max_rows)) {
    Counters().malformed->Add();
  } else if (auto it = portals_.find(Key(portal)); it != portals_.end()) {
    op.sql = it->second.sql;
    op.params = it->second.params;
  } else {
    Counters().unknown_statement->Add();
  }
  Push(std::move(op));
}

void Session::PushFunctionCall(int64_t ts_us, const Frame& frame) {
  FunctionCallMessage msg;
  PendingOp op = NewOp(OpKind::kFunctionCall, ts_us);
  if (DecodeFunctionCall(frame.body, &msg)) {
    op.params.push_back(BoundParam{"function_oid", std::to_string(msg.function_oid), false});
    BindMessage args;
    args.formats = msg.formats;
    args.values = msg.args;
    for (BoundParam& p : RenderParams({}, args, options_.max_param_value_bytes)) {
      op.params.push_back(std::move(p));
    }
  } else if (frame.body_remaining == 0) {
    Counters().malformed->Add();
  }
  Push(std::move(op));
}

void Session::Push(PendingOp op) {
  if (pending_.size() >= options_.max_pending) {
    Counters().pending_overflow->Add();
    pending_.pop_front();
  }
  pending_.push_back(std::move(op));
}

bool Session::OnAsyncMessage(const Frame& frame) {
  switch (frame.tag) {  // legal at any time, answer nothing
    case kTagParameterStatus: {
      std::string name;
      std::string value;
      if (ParseParameterStatus(frame.body, &name, &value) && name == "application_name" &&
          !value.empty()) {
        recorder_.info().client_name = value;
      }
      return true;
    }
    case kTagBackendKeyData:
      if (!ParseBackendKeyData(frame.body, &backend_pid_)) Counters().malformed->Add();
      return true;
    case kTagNoticeResponse:
    case kTagNotificationResponse:
    case kTagNegotiateProtocolVersion: return true;
    default: return false;
  }
}

void Session::OnServerResponse(int64_t ts_us, const Frame& frame) {
  if (OnAsyncMessage(frame)) return;
  if (pending_.empty()) {
    // An answer to a request we never saw (lost, or before a mid-stream pickup), or a FATAL
    // error the server sends before closing.
    if (frame.tag == kTagReadyForQuery && !frame.body.empty()) {
      transaction_status_ = static_cast<char>(frame.body[0]);
    }
    Counters().unmatched->Add();
    return;
  }
  PendingOp& op = pending_.front();
  op.response_bytes += frame.wire_size();
  switch (frame.tag) {
    case kTagParseComplete: return PopExpected(OpKind::kParse);
    case kTagBindComplete: return PopExpected(OpKind::kBind);
    case kTagCloseComplete: return PopExpected(OpKind::kClose);
    case kTagParameterDescription: return OnParameterDescription(frame);
    case kTagRowDescription:
    case kTagNoData:
      if (op.kind == OpKind::kDescribe) return PopExpected(OpKind::kDescribe);
      op.row_description = frame.tag == kTagRowDescription;
      return;
    case kTagDataRow: op.data_rows++; return;
    case kTagCommandComplete: return OnCommandComplete(ts_us, frame);
    case kTagErrorResponse: return OnError(ts_us, frame);
    case kTagEmptyQueryResponse:
      if (op.kind == OpKind::kQuery) {
        op.next_statement++;
      } else if (op.kind == OpKind::kExecute) {
        pending_.pop_front();
      }
      return;
    case kTagPortalSuspended:
      if (op.kind != OpKind::kExecute) return Counters().unexpected->Add();
      EmitStatement(op, ts_us, SqlResponse::kSuccess, nullptr);
      pending_.pop_front();
      return;
    case kTagCopyInResponse:
    case kTagCopyOutResponse:
    case kTagCopyBothResponse:
      op.copy_tag = frame.tag;
      state_ = frame.tag == kTagCopyInResponse    ? State::kCopyIn
               : frame.tag == kTagCopyOutResponse ? State::kCopyOut
                                                  : State::kCopyBoth;
      return;
    case kTagCopyData: op.copy_rows++; return;
    case kTagCopyDone: return;
    case kTagFunctionCallResponse:
      if (op.kind != OpKind::kFunctionCall) return Counters().unexpected->Add();
      EmitStatement(op, ts_us, SqlResponse::kSuccess, nullptr);
      pending_.pop_front();
      return;
    case kTagReadyForQuery:
      if (!frame.body.empty()) transaction_status_ = static_cast<char>(frame.body[0]);
      return OnReadyForQuery();
    default: Counters().unexpected->Add(); return;
  }
}

// ParameterDescription: Int16 n, Int32[n] type OIDs. Fills in the types a Parse left to the
// server (OID 0), so later Binds of that statement render with real type names.
void Session::OnParameterDescription(const Frame& frame) {
  const PendingOp& op = pending_.front();
  if (op.kind != OpKind::kDescribe || !op.described_statement) return;
  auto it = prepared_.find(Key(op.sql));
  if (it == prepared_.end()) return;
  std::vector<uint32_t> types;
  if (!DecodeParameterDescription(frame.body, &types)) return Counters().malformed->Add();
  std::vector<uint32_t>& known = it->second.param_types;
  if (known.size() < types.size()) known.resize(types.size(), 0);
  for (size_t i = 0; i < types.size(); ++i) {
    if (known[i] == 0) known[i] = types[i];
  }
}

void Session::PopExpected(OpKind kind) {
  if (pending_.front().kind != kind) {
    Counters().unexpected->Add();
    return;
  }
  const uint64_t bytes = pending_.front().response_bytes;
  pending_.pop_front();
  // Parse/Bind/Describe replies count towards the statement they prepare.
  if (!pending_.empty()) pending_.front().response_bytes += bytes;
}

void Session::OnCommandComplete(int64_t ts_us, const Frame& frame) {
  state_ = State::kReady;
  CommandTag tag;
  if (!DecodeCommandComplete(frame.body, &tag)) Counters().malformed->Add();
  PendingOp& op = pending_.front();
  if (op.kind == OpKind::kQuery) {
    if (op.failed) return Counters().unexpected->Add();
    EmitStatement(op, ts_us, SqlResponse::kSuccess, &tag);
    op.next_statement++;
  } else if (op.kind == OpKind::kExecute) {
    EmitStatement(op, ts_us, SqlResponse::kSuccess, &tag);
    pending_.pop_front();
  } else {
    Counters().unexpected->Add();
  }
}

void Session::OnError(int64_t ts_us, const Frame& frame) {
  state_ = State::kReady;
  PendingOp& op = pending_.front();
  switch (op.kind) {
    case OpKind::kQuery:
      // The rest of a multi-statement Query is not executed.
      if (!op.failed) EmitFailure(op, ts_us, frame);
      op.failed = true;
      return;
    case OpKind::kSync:
      Counters().unmatched->Add();  // e.g. an implicit COMMIT failing at Sync
      return;
    case OpKind::kFunctionCall:
      EmitFailure(op, ts_us, frame);
      pending_.pop_front();
      return;
    case OpKind::kParse:
    case OpKind::kBind:
    case OpKind::kExecute:
      EmitFailure(op, ts_us, frame);
      break;
    case OpKind::kDescribe:
    case OpKind::kClose: break;
  }
  // After an error the server discards every extended-protocol message until Sync.
  while (!pending_.empty() && pending_.front().kind != OpKind::kSync &&
         pending_.front().kind != OpKind::kQuery) {
    pending_.pop_front();
  }
}

void Session::OnReadyForQuery() {
  state_ = State::kReady;
  while (!pending_.empty()) {
    PendingOp op = std::move(pending_.front());
    pending_.pop_front();
    if (op.kind == OpKind::kQuery || op.kind == OpKind::kSync) return;
    if (op.kind == OpKind::kExecute) Counters().unexpected->Add();  // never answered
  }
}

void Session::EmitStatement(PendingOp& op, int64_t ts_us, SqlResponse outcome,
                            const CommandTag* tag, const ErrorFields* error) {
  Record r = recorder_.Make(RecordKind::kStatement, ts_us);
  switch (op.kind) {
    case OpKind::kQuery:
      r.command = "simple_query";
      r.sql_statement = op.next_statement < op.statements.size() ? op.statements[op.next_statement]
                                                                 : op.sql;
      if (op.statements.size() > 1 && op.next_statement < op.statements.size()) {
        r.batch_index = static_cast<uint32_t>(op.next_statement);
        r.batch_size = static_cast<uint32_t>(op.statements.size());
      }
      break;
    case OpKind::kParse: r.command = "parse"; break;
    case OpKind::kBind: r.command = "bind"; break;
    case OpKind::kFunctionCall: r.command = "function_call"; break;
    default: r.command = "execute"; break;
  }
  if (op.kind != OpKind::kQuery) {
    r.sql_statement = op.sql;
    r.params = op.params;
  }
  if (op.copy_tag != 0) r.command = "copy";
  r.sql_response = outcome;
  if (error != nullptr) {
    r.error_code = error->sqlstate;
    r.sql_state = error->sqlstate;
    r.error_msg = FormatErrorMessage(*error);
  }
  if (tag != nullptr && tag->rows) {
    const std::string& c = tag->command;
    if (c == "INSERT" || c == "UPDATE" || c == "DELETE" || c == "MERGE" ||
        (c == "COPY" && op.copy_tag == kTagCopyInResponse)) {
      r.affected_rows = *tag->rows;
    } else if (c == "COPY") {
      r.returned_rows = *tag->rows;
    }
  }
  const bool counted = tag != nullptr && IsCountedCommand(tag->command);
  if (!r.returned_rows && (op.data_rows > 0 || op.row_description || counted)) {
    r.returned_rows = op.data_rows;
  }
  r.response_bytes = op.response_bytes;
  r.latency_us = outcome == SqlResponse::kUnknown ? -1 : ts_us - op.ts_us;
  if (outcome == SqlResponse::kUnknown) Counters().unknown_outcome->Add();
  Counters().statements->Add();
  recorder_.Emit(std::move(r));
  // The next statement of the same Query starts from scratch.
  op.data_rows = 0;
  op.row_description = false;
  op.copy_tag = 0;
  op.copy_rows = 0;
  op.response_bytes = 0;
}

void Session::EmitFailure(PendingOp& op, int64_t ts_us, const Frame& error) {
  ErrorFields e;
  if (!ParseErrorFields(error.body, &e)) Counters().malformed->Add();
  EmitStatement(op, ts_us, SqlResponse::kFailed, nullptr, &e);
}

void Session::FlushPending(int64_t ts_us) {
  for (PendingOp& op : pending_) {
    if (op.kind == OpKind::kQuery) {
      if (op.failed) continue;
      const size_t n = std::max<size_t>(op.statements.size(), 1);
      for (; op.next_statement < n; ++op.next_statement) {
        if (op.statements.empty() && op.sql.empty()) break;
        EmitStatement(op, ts_us, SqlResponse::kUnknown, nullptr);
      }
    } else if (op.kind == OpKind::kExecute || op.kind == OpKind::kFunctionCall) {
      EmitStatement(op, ts_us, SqlResponse::kUnknown, nullptr);
    }
  }
  pending_.clear();
  if (state_ == State::kCopyIn || state_ == State::kCopyOut || state_ == State::kCopyBoth) {
    state_ = State::kReady;
  }
}

}  // namespace dbaudit::sensor::postgres
