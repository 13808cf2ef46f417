// One PostgreSQL connection as a state machine over both byte streams. Client requests become
// pending operations in a FIFO; server responses complete them in order, as the backend answers
// them. Emits connect, encrypted, login, statement, gap and disconnect records.
//
// Statement records: one per executed statement of a simple Query (several statements in one
// Query are split with sql::SplitStatements; those after a failing one are not reported), one
// per extended-protocol Execute (with its bound parameters), plus a failed record for a Parse or
// Bind the server rejected, one per FunctionCall, and a "cancel" record for a CancelRequest.
// See README.md for the field mapping.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "sensor/flow/stream_handler.h"
#include "sensor/protocols/common/session_recorder.h"
#include "sensor/protocols/common/stream_buffer.h"
#include "sensor/protocols/postgres/errors.h"
#include "sensor/protocols/postgres/extended.h"
#include "sensor/protocols/postgres/startup.h"
#include "sensor/protocols/postgres/types.h"
#include "sensor/record/record_sink.h"

namespace dbaudit::sensor::postgres {

struct SessionOptions {
  // Bytes held per direction for a message split across segments; also the largest message
  // whose body is decoded (longer ones are skipped as they stream by and reported truncated).
  size_t max_buffer_bytes = 16 << 20;
  // Longest rendering of one bound parameter value.
  size_t max_param_value_bytes = 4096;
  // Named prepared statements and portals remembered per connection.
  size_t max_prepared = 10000;
  // Client requests waiting for their response (a pipelining client can queue many).
  size_t max_pending = 100000;
};

class Session : public StreamHandler {
 public:
  // Protocol phases.
  enum class State {
    kStartup,         // waiting for the client's first packet
    kSslAnswer,       // SSLRequest / GSSENCRequest sent, waiting for the one-byte answer
    kAuthentication,  // StartupMessage sent, until ReadyForQuery or ErrorResponse
    kReady,           // query phase: simple and extended protocol
    kCopyIn,          // server sent CopyInResponse: client streams CopyData
    kCopyOut,         // server sent CopyOutResponse: server streams CopyData
    kCopyBoth,        // CopyBothResponse (replication streaming)
    kEncrypted,       // TLS / GSS encryption started: nothing more is readable
    kTerminated,      // Terminate, fatal error or CancelRequest: the connection is over
    kNotPostgres,     // the first bytes were not PostgreSQL: everything is ignored
  };

  // PRE: `sink` outlives the session. Emits the connect record.
  Session(const ConnectionInfo& conn, RecordSink* sink, const SessionOptions& options = {});

  void OnData(Direction dir, int64_t ts_us, absl::Span<const uint8_t> data) override;
  void OnGap(Direction dir, int64_t ts_us, uint64_t length) override;
  void OnClose(int64_t ts_us, const CloseInfo& info) override;

  State state() const { return state_; }
  // Transaction status from the last ReadyForQuery: 'I' idle, 'T' in a transaction block, 'E' in
  // a failed transaction block.
  char transaction_status() const { return transaction_status_; }
  // Backend process id from BackendKeyData (0 until seen); what a CancelRequest names.
  uint32_t backend_pid() const { return backend_pid_; }
  static const char* StateName(State s);

 private:
  enum class OpKind { kQuery, kParse, kBind, kDescribe, kExecute, kClose, kSync, kFunctionCall };

  // A client request waiting for its response, with what the response has shown so far.
  struct PendingOp {
    OpKind kind = OpKind::kQuery;
    int64_t ts_us = 0;
    std::string sql;  // Parse/Bind/Execute; for a Query the whole text; Describe: statement name
    bool described_statement = false;  // Describe 'S' (else a portal)
    std::vector<BoundParam> params;
    std::vector<std::string> statements;  // Query: the split statements
    size_t next_statement = 0;
    bool failed = false;  // Query: an error ended it; the rest was not executed
    bool truncated = false;
    // Response of the statement in progress.
    uint64_t data_rows = 0;
    bool row_description = false;
    uint8_t copy_tag = 0;  // CopyIn/Out/BothResponse tag once COPY started
    uint64_t copy_rows = 0;
    uint64_t response_bytes = 0;
  };

  static PendingOp NewOp(OpKind kind, int64_t ts_us) {
    PendingOp op;
    op.kind = kind;
    op.ts_us = ts_us;
    return op;
  }

  struct Prepared {
    std::string sql;
    std::vector<uint32_t> param_types;
  };
  struct Portal {
    std::string sql;
    std::vector<BoundParam> params;
  };

  struct DirectionState {
    explicit DirectionState(size_t cap) : buffer(cap) {}
    protocols::StreamBuffer buffer;
    uint64_t skip = 0;  // body bytes of a skipped message still to come
    bool out_of_sync = false;
  };

  // Byte handling (session.cc).
  void Process(Direction dir, int64_t ts_us, absl::Span<const uint8_t> data);
  size_t ParseLoop(Direction dir, int64_t ts_us, absl::Span<const uint8_t> view);
  bool Resync(Direction dir, absl::Span<const uint8_t> view, size_t* pos);
  // Marks `dir` out of sync. PRE: clear_buffer is false while a view into the buffer is in use.
  void LoseSync(Direction dir, bool clear_buffer);
  void HandleFrame(Direction dir, int64_t ts_us, const Frame& frame);

  // One handler per state (session.cc for startup and auth, session_query.cc for the rest).
  void OnStartupPacket(int64_t ts_us, const Frame& frame);
  size_t OnSslAnswer(int64_t ts_us, absl::Span<const uint8_t> view);
  void OnAuthentication(Direction dir, int64_t ts_us, const Frame& frame);
  void OnReady(Direction dir, int64_t ts_us, const Frame& frame);
  void OnCopy(Direction dir, int64_t ts_us, const Frame& frame);

  // Query phase (session_query.cc).
  void OnClientRequest(int64_t ts_us, const Frame& frame);
  void OnServerResponse(int64_t ts_us, const Frame& frame);
  bool OnAsyncMessage(const Frame& frame);  // ParameterStatus, notices...: true when handled
  void PushQuery(int64_t ts_us, const Frame& frame);
  void PushParse(int64_t ts_us, const Frame& frame);
  void PushBind(int64_t ts_us, const Frame& frame);
  void PushExecute(int64_t ts_us, const Frame& frame);
  void PushFunctionCall(int64_t ts_us, const Frame& frame);
  void Push(PendingOp op);
  void OnCommandComplete(int64_t ts_us, const Frame& frame);
  void OnError(int64_t ts_us, const Frame& frame);
  void OnReadyForQuery();
  void PopExpected(OpKind kind);
  void OnParameterDescription(const Frame& frame);
  void EmitStatement(PendingOp& op, int64_t ts_us, SqlResponse outcome, const CommandTag* tag,
                     const ErrorFields* error = nullptr);
  void EmitFailure(PendingOp& op, int64_t ts_us, const Frame& error);
  void FlushPending(int64_t ts_us);
  void EmitCancel(int64_t ts_us, const Frame& frame);
  void EmitLogin(int64_t ts_us, bool success, const Frame* error);

  SessionOptions options_;
  protocols::SessionRecorder recorder_;
  State state_ = State::kStartup;
  DirectionState dirs_[2];

  // Startup / authentication.
  bool ssl_requested_ = false;  // else GSSENCRequest
  AuthRequest challenge_ = AuthRequest::kOk;
  bool challenged_ = false;
  std::string sasl_mechanism_;
  bool login_reported_ = false;
  bool replication_ = false;
  uint32_t backend_pid_ = 0;

  // Query phase.
  std::deque<PendingOp> pending_;
  absl::flat_hash_map<std::string, Prepared> prepared_;
  absl::flat_hash_map<std::string, Portal> portals_;
  char transaction_status_ = 'I';
};

// Content detection for flows on ports not configured as PostgreSQL (see startup.h).
bool LooksLikePostgres(Direction dir, absl::Span<const uint8_t> data);

}  // namespace dbaudit::sensor::postgres
