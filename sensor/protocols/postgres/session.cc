// Byte handling, startup and authentication phases of the PostgreSQL session. The query phase
// is in session_query.cc.
#include "sensor/protocols/postgres/session.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sensor/protocols/postgres/counters.h"
#include "sensor/protocols/postgres/errors.h"
#include "sensor/protocols/postgres/frame_parser.h"

namespace dbaudit::sensor::postgres {

namespace {
int Index(Direction dir) { return dir == Direction::kClientToServer ? 0 : 1; }

bool Ignoring(Session::State s) {
  return s == Session::State::kEncrypted || s == Session::State::kTerminated ||
         s == Session::State::kNotPostgres;
}
}  // namespace

const char* Session::StateName(State s) {
  switch (s) {
    case State::kStartup: return "startup";
    case State::kSslAnswer: return "ssl_answer";
    case State::kAuthentication: return "authentication";
    case State::kReady: return "ready";
    case State::kCopyIn: return "copy_in";
    case State::kCopyOut: return "copy_out";
    case State::kCopyBoth: return "copy_both";
    case State::kEncrypted: return "encrypted";
    case State::kTerminated: return "terminated";
    case State::kNotPostgres: return "not_postgres";
  }
  return "unknown";
}

Session::Session(const ConnectionInfo& conn, RecordSink* sink, const SessionOptions& options)
    : options_(options),
      recorder_(conn, Protocol::kPostgresql, sink),
      dirs_{DirectionState(options.max_buffer_bytes), DirectionState(options.max_buffer_bytes)} {
  recorder_.EmitConnect(conn.start_ts_us);
  if (conn.mid_stream) {
    // No startup to see: pick the stream up at the next plausible message in each direction;
    // user and database stay unknown.
    state_ = State::kReady;
    dirs_[0].out_of_sync = true;
    dirs_[1].out_of_sync = true;
    Counters().mid_stream->Add();
  }
}

void Session::OnData(Direction dir, int64_t ts_us, absl::Span<const uint8_t> data) {
  const State before = state_;
  Process(dir, ts_us, data);
  // The client's StartupMessage may have been held while the SSLRequest answer was pending.
  if (before == State::kSslAnswer && state_ == State::kStartup && dirs_[0].buffer.held() > 0) {
    Process(Direction::kClientToServer, ts_us, {});
  }
}

void Session::Process(Direction dir, int64_t ts_us, absl::Span<const uint8_t> data) {
  if (Ignoring(state_)) return;
  DirectionState& d = dirs_[Index(dir)];
  if (d.skip > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(d.skip, data.size()));
    d.skip -= n;
    data = data.subspan(n);
    if (data.empty()) return;
  }
  absl::Span<const uint8_t> view;
  if (!d.buffer.Append(data, &view)) {
    // A message split across segments grew past the cap: drop what was held, resync on the rest.
    Counters().buffer_overflow->Add();
    LoseSync(dir, /*clear_buffer=*/true);
    view = data;
  }
  const size_t consumed = ParseLoop(dir, ts_us, view);
  d.buffer.Keep(view, consumed);
}

size_t Session::ParseLoop(Direction dir, int64_t ts_us, absl::Span<const uint8_t> view) {
  const bool client = dir == Direction::kClientToServer;
  const uint32_t max_buffered = static_cast<uint32_t>(
      std::min<size_t>(kMaxMessageLength, options_.max_buffer_bytes > kHeaderSize
                                               ? options_.max_buffer_bytes - kHeaderSize
                                               : 0));
  size_t pos = 0;
  while (pos < view.size()) {
    if (Ignoring(state_)) return view.size();
    DirectionState& d = dirs_[Index(dir)];
    if (d.out_of_sync) {
      if (!Resync(dir, view, &pos)) return pos;
      continue;
    }
    const absl::Span<const uint8_t> rest = view.subspan(pos);
    if (state_ == State::kSslAnswer) {
      if (client) return pos;  // the client waits for the answer; hold its bytes
      pos += OnSslAnswer(ts_us, rest);
      continue;
    }
    if (state_ == State::kStartup && !client) {
      Counters().unexpected->Add();  // the server speaks first: not a PostgreSQL server
      return view.size();
    }
    Frame frame;
    size_t used = 0;
    const ParseState ps = state_ == State::kStartup
                              ? ParseStartupPacket(rest, &frame, &used)
                              : ParseTaggedFrame(dir, rest, max_buffered, &frame, &used);
    if (ps == ParseState::kNeedMoreData) return pos;
    if (ps == ParseState::kInvalid) {
      if (state_ == State::kStartup) {
        const bool tls = rest.size() >= 2 && rest[0] == 0x16 && rest[1] == 0x03;
        if (tls) recorder_.EmitEncrypted(ts_us);  // direct TLS (sslnegotiation=direct)
        state_ = tls ? State::kEncrypted : State::kNotPostgres;
        if (!tls) Counters().not_postgres->Add();
        return view.size();
      }
      Counters().parse_errors->Add();
      LoseSync(dir, /*clear_buffer=*/false);  // `view` may live in the buffer: Keep() trims it
      pos += 1;  // this offset failed; resynchronise from the next byte
      continue;
    }
    pos += used;
    if (frame.body_remaining > 0) d.skip = frame.body_remaining;
    HandleFrame(dir, ts_us, frame);
  }
  return pos;
}

bool Session::Resync(Direction dir, absl::Span<const uint8_t> view, size_t* pos) {
  size_t keep_from = 0;
  const std::optional<size_t> found = FindFrameBoundary(dir, view.subspan(*pos), &keep_from);
  const size_t skipped = found ? *found : keep_from;
  Counters().resync_skipped_bytes->Add(skipped);
  *pos += skipped;
  if (!found) return false;
  dirs_[Index(dir)].out_of_sync = false;
  Counters().resync->Add();
  return true;
}

void Session::LoseSync(Direction dir, bool clear_buffer) {
  DirectionState& d = dirs_[Index(dir)];
  d.out_of_sync = true;
  d.skip = 0;
  if (clear_buffer) d.buffer.Clear();
  Counters().desync->Add();
}

void Session::HandleFrame(Direction dir, int64_t ts_us, const Frame& frame) {
  switch (state_) {
    case State::kStartup: return OnStartupPacket(ts_us, frame);
    case State::kAuthentication: return OnAuthentication(dir, ts_us, frame);
    case State::kReady: return OnReady(dir, ts_us, frame);
    case State::kCopyIn:
    case State::kCopyOut:
    case State::kCopyBoth: return OnCopy(dir, ts_us, frame);
    case State::kSslAnswer:
    case State::kEncrypted:
    case State::kTerminated:
    case State::kNotPostgres: return;
  }
}

void Session::OnStartupPacket(int64_t ts_us, const Frame& frame) {
  switch (frame.kind) {
    case PacketKind::kSslRequest:
    case PacketKind::kGssEncRequest:
      ssl_requested_ = frame.kind == PacketKind::kSslRequest;
      state_ = State::kSslAnswer;
      return;
    case PacketKind::kCancelRequest:
      EmitCancel(ts_us, frame);
      state_ = State::kTerminated;  // the server closes the connection without an answer
      return;
    case PacketKind::kStartupMessage: break;
    case PacketKind::kTagged: return;
  }
  StartupParams params;
  if (!ParseStartupParams(frame.body, &params)) Counters().malformed->Add();
  SessionInfo& info = recorder_.info();
  info.db_user = params.user;
  info.database = params.database.empty() ? params.user : params.database;
  info.client_name = params.application_name;
  // "replication=true" (physical) or "database" (logical) asks for a walsender.
  replication_ = !params.replication.empty() && params.replication != "false" &&
                 params.replication != "off" && params.replication != "0" &&
                 params.replication != "no";
  state_ = State::kAuthentication;
}

size_t Session::OnSslAnswer(int64_t ts_us, absl::Span<const uint8_t> view) {
  const uint8_t answer = view[0];
  const uint8_t yes = ssl_requested_ ? 'S' : 'G';
  if (answer == yes) {
    recorder_.EmitEncrypted(ts_us);
    state_ = State::kEncrypted;
    return view.size();
  }
  if (answer == 'N') {
    state_ = State::kStartup;  // the client goes on in clear with a StartupMessage
    return 1;
  }
  // Anything else (an ErrorResponse from a server without SSL support) ends the handshake.
  Counters().unexpected->Add();
  state_ = State::kTerminated;
  return view.size();
}

void Session::OnAuthentication(Direction dir, int64_t ts_us, const Frame& frame) {
  if (dir == Direction::kClientToServer) {
    if (frame.tag == kTagPasswordMessage) {
      // Only the SASL mechanism is read; passwords, hashes and SCRAM proofs are never looked at.
      if (challenged_ && challenge_ == AuthRequest::kSasl && sasl_mechanism_.empty() &&
          !ParseSaslMechanism(frame.body, &sasl_mechanism_)) {
        Counters().malformed->Add();
      }
    } else if (frame.tag == kTagTerminate) {
      if (!login_reported_) Counters().login_abandoned->Add();
      state_ = State::kTerminated;
    } else {
      Counters().unexpected->Add();
    }
    return;
  }
  switch (frame.tag) {
    case kTagAuthentication: {
      AuthRequest type = AuthRequest::kOk;
      std::vector<std::string> mechanisms;
      if (!ParseAuthRequest(frame.body, &type, &mechanisms)) {
        Counters().malformed->Add();
      } else if (type != AuthRequest::kOk && type != AuthRequest::kSaslContinue &&
                 type != AuthRequest::kSaslFinal && type != AuthRequest::kGssContinue) {
        challenge_ = type;
        challenged_ = true;
      }
      return;
    }
    case kTagErrorResponse:
      EmitLogin(ts_us, /*success=*/false, &frame);
      state_ = State::kTerminated;  // a FATAL error: the server closes the connection
      return;
    case kTagReadyForQuery:
      EmitLogin(ts_us, /*success=*/true, nullptr);
      if (!frame.body.empty()) transaction_status_ = static_cast<char>(frame.body[0]);
      state_ = State::kReady;
      return;
    case kTagParameterStatus:
    case kTagBackendKeyData:
    case kTagNoticeResponse:
    case kTagNegotiateProtocolVersion:
      return OnReady(dir, ts_us, frame);  // the same handling as in the query phase
    default:
      Counters().unexpected->Add();
      return;
  }
}

void Session::EmitLogin(int64_t ts_us, bool success, const Frame* error) {
  if (login_reported_) return;
  login_reported_ = true;
  Record r = recorder_.Make(RecordKind::kLogin, ts_us);
  r.success = success;
  r.sql_response = success ? SqlResponse::kSuccess : SqlResponse::kFailed;
  r.auth_method = AuthMethodName(challenged_ ? challenge_ : AuthRequest::kOk, sasl_mechanism_);
  r.command = replication_ ? "replication" : "login";
  if (error != nullptr) {
    ErrorFields e;
    if (!ParseErrorFields(error->body, &e)) Counters().malformed->Add();
    r.error_code = e.sqlstate;
    r.sql_state = e.sqlstate;
    r.error_msg = FormatErrorMessage(e);
  }
  Counters().logins->Add();
  recorder_.Emit(std::move(r));
}

void Session::EmitCancel(int64_t ts_us, const Frame& frame) {
  uint32_t pid = 0;
  if (!ParseCancelRequest(frame.body, &pid)) {
    Counters().malformed->Add();
    return;
  }
  // The secret key is not reported. The server never answers a cancel: outcome unknown.
  Record r = recorder_.Make(RecordKind::kStatement, ts_us);
  r.command = "cancel";
  r.params.push_back(BoundParam{"backend_pid", absl::StrCat(pid), false});
  r.sql_response = SqlResponse::kUnknown;
  Counters().statements->Add();
  recorder_.Emit(std::move(r));
}

void Session::OnGap(Direction dir, int64_t ts_us, uint64_t length) {
  recorder_.EmitGap(dir, ts_us, length);
  Counters().gaps->Add();
  if (Ignoring(state_)) return;
  DirectionState& d = dirs_[Index(dir)];
  if (d.skip >= length && d.buffer.held() == 0) {
    // The loss fell inside the body of a message that is only counted (DataRow, CopyData):
    // the next message boundary is still known.
    d.skip -= length;
    Counters().gaps_absorbed->Add();
    return;
  }
  // Responses can no longer be matched to requests with certainty.
  FlushPending(ts_us);
  if (state_ != State::kReady) state_ = State::kReady;  // login outcome or COPY end unknown
  LoseSync(dir, /*clear_buffer=*/true);
}

void Session::OnClose(int64_t ts_us, const CloseInfo& info) {
  if (state_ == State::kAuthentication && !login_reported_) {
    // The client hung up before the server's verdict (psql does so to prompt for a password).
    Counters().login_abandoned->Add();
  }
  FlushPending(ts_us);
  recorder_.EmitDisconnect(ts_us, info);
}

}  // namespace dbaudit::sensor::postgres
