#include "sensor/protocols/mysql/session.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sensor/protocols/mysql/command.h"
#include "sensor/protocols/mysql/handshake.h"
#include "sensor/protocols/mysql/response.h"
#include "sensor/protocols/mysql/session_counters.h"

namespace dbaudit::sensor::mysql {
namespace {

// What a mid-stream pickup assumes about the capabilities it never saw negotiated: what every
// client since MySQL 4.1 sends. EOF style and query attributes are then told from the packets.
constexpr uint64_t kAssumedCaps = kClientProtocol41 | kClientSecureConnection |
                                  kClientPluginAuth | kClientMultiStatements | kClientMultiResults;

// Request candidates need a header and up to 33 payload bytes to be judged (command.cc).
constexpr size_t kScanWindow = kPacketHeaderBytes + 33;

}  // namespace

bool LooksLikeMysql(Direction dir, absl::Span<const uint8_t> data) {
  if (dir == Direction::kServerToClient) return LooksLikeGreetingPacket(data);
  return IsPlausibleRequest(data);
}

Session::Session(const ConnectionInfo& conn, RecordSink* sink, const SessionOptions& options)
    : recorder_(conn, Protocol::kMysql, sink),
      options_(options),
      counters_(&SessionCounters::Get()),
      start_ts_us_(conn.start_ts_us),
      state_(conn.mid_stream ? State::kOutOfSync : State::kAwaitGreeting),
      // Requests are framed whole up to the SQL limit (never below 64 KiB, so a handshake with
      // many attributes fits); the text is cut at max_sql_bytes when the record is built.
      client_stream_({options.max_buffer_bytes,
                      std::max<size_t>(options.max_sql_bytes + 64, 64 << 10)}),
      server_stream_({options.max_buffer_bytes, options.max_server_packet_bytes}) {
  counters_->sessions->Add();
  if (conn.mid_stream) {
    caps_ = kAssumedCaps;
    counters_->mid_stream->Add();
  }
}

Session::~Session() = default;

void Session::OnData(Direction dir, int64_t ts_us, absl::Span<const uint8_t> data) {
  now_us_ = ts_us;
  if (state_ == State::kNotMysql || state_ == State::kEncrypted || state_ == State::kLost) return;
  if (dir == Direction::kClientToServer) {
    OnClientData(ts_us, data);
  } else {
    OnServerData(ts_us, data);
  }
}

void Session::OnClientData(int64_t /*ts_us*/, absl::Span<const uint8_t> data) {
  if (state_ == State::kAwaitGreeting) {
    // The client spoke first: the greeting was missed, so this is a pickup past the handshake.
    state_ = State::kOutOfSync;
    caps_ = kAssumedCaps;
  }
  if (state_ == State::kOutOfSync) {
    ScanForRequest(data);
    return;
  }
  if (!client_stream_.Feed(data, [this](const Packet& p) { OnClientPacket(p); })) {
    counters_->framing_errors->Add();
    LoseClientSync();
  }
}

void Session::OnServerData(int64_t /*ts_us*/, absl::Span<const uint8_t> data) {
  if (state_ == State::kAwaitGreeting && server_stream_.held_bytes() == 0 &&
      data.size() >= kPacketHeaderBytes + 2 && !LooksLikeGreetingPacket(data) &&
      !(data[3] == 0 && data[4] == kErrMarker)) {
    // Judged before framing: a non-MySQL server's first bytes may announce a huge "packet".
    counters_->not_mysql->Add();
    state_ = State::kNotMysql;
    return;
  }
  if (state_ == State::kOutOfSync || server_discard_) {
    if (resync_unproven_ && client_stream_.held_bytes() > 0) {
      // The server speaks while the request we resynchronised on is still incomplete: a client
      // sends a whole request before its answer, so that "request" was a false start.
      counters_->desyncs->Add();
      LoseClientSync();
    }
    counters_->discarded_bytes->Add(data.size());
    return;
  }
  if (!server_stream_.Feed(data, [this](const Packet& p) { OnServerPacket(p); })) {
    counters_->framing_errors->Add();
    LoseServerSync();
  }
}

void Session::OnClientPacket(const Packet& p) {
  switch (state_) {
    case State::kAwaitHandshakeResponse: HandleHandshakeResponse(p); break;
    case State::kCommand: HandleCommandClient(p); break;
    case State::kAuth: break;  // auth data: never parsed, never kept
    default: break;
  }
}

void Session::OnServerPacket(const Packet& p) {
  switch (state_) {
    case State::kAwaitGreeting: HandleGreeting(p); break;
    case State::kAwaitHandshakeResponse:
    case State::kAuth: HandleAuthServer(p); break;
    case State::kCommand: HandleCommandServer(p); break;
    default: break;
  }
}

// The server's first packet: HandshakeV10, or an ERR when it refuses the client outright
// ("Host ... is blocked", "Too many connections").
void Session::HandleGreeting(const Packet& p) {
  Greeting greeting;
  if (p.seq == 0 && ParseGreeting(p.payload, &greeting)) {
    Confirm();
    server_caps_ = greeting.capabilities;
    auth_method_ = std::string(greeting.auth_plugin);
    state_ = State::kAwaitHandshakeResponse;
    return;
  }
  ErrPacket err;
  if (p.seq == 0 && !p.payload.empty() && p.payload[0] == kErrMarker &&
      ParseErr(p.payload, &err) && err.code >= 1000) {
    Confirm();
    ResultOutcome outcome;
    outcome.error_code = err.code;
    outcome.sql_state = std::string(err.sql_state);
    outcome.error_msg = std::string(err.message);
    FinishLogin(outcome);
    state_ = State::kAuth;
    return;
  }
  counters_->not_mysql->Add();
  state_ = State::kNotMysql;
  client_stream_.Reset();
  server_stream_.Reset();
}

void Session::HandleHandshakeResponse(const Packet& p) {
  HandshakeResponse hr;
  if (!ParseHandshakeResponse(p.payload, &hr)) {
    counters_->parse_errors->Add();
    LoseClientSync();
    return;
  }
  if (hr.ssl_request) {
    state_ = State::kEncrypted;
    counters_->encrypted->Add();
    recorder_.EmitEncrypted(now_us_);
    client_stream_.Reset();
    server_stream_.Reset();
    return;
  }
  caps_ = server_caps_ != 0 ? (hr.capabilities & server_caps_) : hr.capabilities;
  caps_known_ = true;
  SessionInfo& info = recorder_.info();
  info.db_user = std::string(hr.user);
  info.database = std::string(hr.database);
  info.client_name = std::string(hr.program_name);
  if (!hr.auth_plugin.empty()) auth_method_ = std::string(hr.auth_plugin);
  state_ = State::kAuth;
}

// Authentication rounds: AuthSwitchRequest (0xFE) and AuthMoreData (0x01) go on, OK (0x00) or
// ERR (0xFF) end them. Client packets in between carry credentials and are never parsed.
void Session::HandleAuthServer(const Packet& p) {
  if (p.payload.empty() || login_reported_) return;
  const uint8_t marker = p.payload[0];
  ResultOutcome outcome;
  if (marker == kOkMarker) {
    OkPacket ok;
    if (ParseOk(p.payload, caps_, &ok) && ok.schema_changed) {
      recorder_.info().database = std::string(ok.schema);
    }
    outcome.success = true;
    FinishLogin(outcome);
    state_ = State::kCommand;
    // The compressed protocol starts right after the OK, in both directions.
    const Compression compression = (caps_ & kClientCompress)                   ? Compression::kZlib
                                    : (caps_ & kClientZstdCompressionAlgorithm) ? Compression::kZstd
                                                                                : Compression::kNone;
    if (compression != Compression::kNone) {
      counters_->compressed->Add();
      client_stream_.SetCompression(compression);
      server_stream_.SetCompression(compression);
    }
  } else if (marker == kErrMarker) {
    ErrPacket err;
    if (!ParseErr(p.payload, &err)) return;
    outcome.error_code = err.code;
    outcome.sql_state = std::string(err.sql_state);
    outcome.error_msg = std::string(err.message);
    FinishLogin(outcome);
  } else if (marker == kEofMarker) {
    std::string_view plugin;
    if (ParseAuthSwitchRequest(p.payload, &plugin)) auth_method_ = std::string(plugin);
  } else if (marker != kAuthMoreDataMarker) {
    counters_->unexpected_responses->Add();
  }
}

void Session::FinishLogin(const ResultOutcome& outcome) {
  Record r = recorder_.Make(RecordKind::kLogin, now_us_);
  r.success = outcome.success;
  if (!outcome.success) {
    r.error_code = absl::StrCat(outcome.error_code);
    r.sql_state = outcome.sql_state;
    r.error_msg = outcome.error_msg;
  }
  r.auth_method = auth_method_;
  login_reported_ = true;
  (outcome.success ? counters_->logins_ok : counters_->logins_failed)->Add();
  recorder_.Emit(std::move(r));
}

void Session::HandleCommandClient(const Packet& p) {
  if (client_prev_full_) {  // continuation of a request of 0xFFFFFF bytes or more
    client_prev_full_ = p.length == kMaxPacketPayload;
    return;
  }
  client_prev_full_ = p.length == kMaxPacketPayload;
  if (p.seq != 0) {
    // LOCAL INFILE contents (an empty packet ends the file) or change_user auth rounds.
    if (!pending_.empty() && pending_.front().in_infile && p.length == 0) {
      pending_.front().in_infile = false;
      tracker_.InfileDone();
    }
    return;
  }
  if (p.payload.empty()) {
    counters_->parse_errors->Add();
    return;
  }
  resync_unproven_ = false;
  if (server_discard_ && pending_.empty()) {
    // First request after the server stream lost its framing: its answer starts clean.
    server_stream_.Reset();
    server_discard_ = false;
  }
  Request req;
  req.ts_us = now_us_;
  if (!BuildRequest(p, &req)) return;
  if (req.response == ResponseKind::kNone) {
    EmitStatement(req, req.statements[0], SqlResponse::kUnknown, nullptr);
    return;
  }
  if (pending_.size() >= options_.max_pending_requests) {
    counters_->pending_overflow->Add();
    FlushPending();
  }
  pending_.push_back(std::move(req));
  StartNextResponse();
}

void Session::StartNextResponse() {
  if (pending_.empty() || pending_.front().started) return;
  Request& req = pending_.front();
  req.started = true;
  tracker_.Start(req.response, caps_, caps_known_, req.binary_rows);
}

void Session::HandleCommandServer(const Packet& p) {
  if (pending_.empty()) {
    counters_->unexpected_responses->Add();
    LoseServerSync();
    return;
  }
  Request& req = pending_.front();
  // The first packet of an answer follows the request's sequence id 0. (Under compression the
  // inner ids are not checked: servers differ in how they number them.)
  if (!req.confirmed && p.seq != 1 && server_stream_.compression() == Compression::kNone) {
    counters_->unexpected_responses->Add();
    LoseServerSync();
    return;
  }
  req.response_bytes += p.wire_bytes();
  ResultOutcome outcome;
  switch (tracker_.OnPacket(p, &outcome)) {
    case ResponseTracker::Step::kContinue: break;
    case ResponseTracker::Step::kLocalInfile: req.in_infile = true; break;
    case ResponseTracker::Step::kUnexpected:
      counters_->unexpected_responses->Add();
      LoseServerSync();
      return;
    case ResponseTracker::Step::kResult:
      req.confirmed = true;
      Confirm();
      ApplyResult(req, outcome);
      if (!outcome.more_results) {
        pending_.pop_front();
        StartNextResponse();
      }
      return;
  }
  req.confirmed = true;
  Confirm();
}

// Out of sync on the client side: slide over the bytes until a plausible request header, then
// frame from there. Until the flow is known to be MySQL, only text commands are accepted, so that
// binary noise on a MySQL port does not pass for a ping.
void Session::ScanForRequest(absl::Span<const uint8_t> data) {
  scan_tail_.append(reinterpret_cast<const char*>(data.data()), data.size());
  const auto* bytes = reinterpret_cast<const uint8_t*>(scan_tail_.data());
  const size_t n = scan_tail_.size();
  size_t i = 0;
  for (; i + kPacketHeaderBytes < n; ++i) {
    const uint32_t length = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16);
    const absl::Span<const uint8_t> candidate(bytes + i, n - i);
    if (!IsPlausibleRequest(candidate)) continue;  // judged on the bytes at hand
    const size_t need = std::min<size_t>(kPacketHeaderBytes + length, kScanWindow);
    if (n - i < need) break;  // plausible so far: judge it whole once more bytes are here
    const uint8_t command = bytes[i + kPacketHeaderBytes];
    if (!confirmed_ && command != kComQuery && command != kComStmtPrepare &&
        command != kComInitDb) {
      continue;
    }
    counters_->resyncs->Add();
    state_ = State::kCommand;
    resync_unproven_ = true;
    server_discard_ = true;
    client_prev_full_ = false;
    std::string rest = scan_tail_.substr(i);
    scan_tail_.clear();
    client_stream_.Reset();
    OnClientData(now_us_, absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(rest.data()),
                                                    rest.size()));
    return;
  }
  counters_->discarded_bytes->Add(i);
  scan_tail_.erase(0, i);
}

void Session::OnGap(Direction dir, int64_t ts_us, uint64_t length) {
  now_us_ = ts_us;
  counters_->gaps->Add();
  if (confirmed_) recorder_.EmitGap(dir, ts_us, length);
  if (state_ == State::kNotMysql || state_ == State::kEncrypted || state_ == State::kLost) return;
  if (dir == Direction::kServerToClient && state_ == State::kCommand) {
    if (pending_.size() >= 2 && !server_discard_ &&
        server_stream_.compression() == Compression::kNone) {
      SkipLostAnswer();
    } else {
      LoseServerSync();
    }
  } else {
    LoseClientSync();
  }
}

void Session::OnClose(int64_t ts_us, const CloseInfo& info) {
  now_us_ = ts_us;
  FlushPending();
  if (confirmed_) recorder_.EmitDisconnect(ts_us, info);
}

void Session::Confirm() {
  if (confirmed_) return;
  confirmed_ = true;
  recorder_.EmitConnect(start_ts_us_);
}

// Every request still waiting for its answer gets an UNKNOWN outcome: it may or may not have run.
void Session::FlushPending() {
  for (Request& req : pending_) {
    for (; req.current < req.statements.size(); ++req.current) {
      EmitStatement(req, req.statements[req.current], SqlResponse::kUnknown, nullptr);
    }
  }
  pending_.clear();
}

void Session::LoseClientSync() {
  counters_->desyncs->Add();
  FlushPending();
  client_stream_.Reset();
  server_stream_.Reset();
  scan_tail_.clear();
  resync_unproven_ = false;
  // Compressed frames cannot be found again in the middle of a stream.
  state_ = client_stream_.compression() == Compression::kNone ? State::kOutOfSync : State::kLost;
  server_discard_ = true;
}

// A server gap while a later request already waits: the client sent that request only after the
// whole answer to the first one arrived, so the lost bytes belong to the first answer and the
// later request's answer starts after the gap. Only the first request becomes UNKNOWN; the next
// answer must still prove itself (sequence 1, a valid first packet) or the stream is dropped.
void Session::SkipLostAnswer() {
  Request& lost = pending_.front();
  for (; lost.current < lost.statements.size(); ++lost.current) {
    EmitStatement(lost, lost.statements[lost.current], SqlResponse::kUnknown, nullptr);
  }
  pending_.pop_front();
  server_stream_.Reset();
  StartNextResponse();
}

void Session::LoseServerSync() {
  counters_->desyncs->Add();
  FlushPending();
  server_stream_.Reset();
  // The next answer starts a fresh packet (and compressed frame): framing resumes with the next
  // request.
  server_discard_ = true;
}

}  // namespace dbaudit::sensor::mysql
