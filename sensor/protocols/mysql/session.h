// One MySQL / MariaDB connection as a state machine: fed ordered bytes of both directions and gap
// notices, it emits connect, login, statement, encrypted, gap and disconnect records.
//
// Which commands become statement records (command = Zeek's name, types.cc CommandName):
//   every command the client sends gets one record, except COM_STMT_SEND_LONG_DATA, whose data
//   shows up as the parameter value of the execute that uses it. sql_statement is the SQL for
//   query / prepare / execute / stmt_fetch, the argument for init_db (database), field_list
//   (table), change_user (user), create_db / drop_db, and empty for argument-less commands
//   (ping, quit, statistics, stmt_close, stmt_reset, reset_connection, ...).
//   quit and stmt_close get no answer from the server: their outcome is UNKNOWN by design.
//   A multi-statement COM_QUERY yields one record per statement, each with its own result;
//   statements after a failing one were never run and are reported FAILED with error_msg
//   "not executed: an earlier statement of the batch failed".
// The connect record is emitted once, dated at the connection start, when the bytes are first
// recognised as MySQL (greeting or a plausible request); traffic that never is yields nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "common/metrics.h"
#include "sensor/flow/stream_handler.h"
#include "sensor/protocols/common/session_recorder.h"
#include "sensor/protocols/mysql/frame_parser.h"
#include "sensor/protocols/mysql/response_tracker.h"
#include "sensor/protocols/mysql/session_counters.h"
#include "sensor/record/record_sink.h"

namespace dbaudit::sensor::mysql {

struct SessionOptions {
  size_t max_buffer_bytes = 16 << 20;      // bytes held per direction for one packet
  size_t max_sql_bytes = 1 << 20;          // longer SQL text is cut (counted)
  size_t max_server_packet_bytes = 64 << 10;  // longer server packets are skipped, not buffered
  size_t max_prepared_statements = 4096;   // per session; older entries are dropped (counted)
  size_t max_pending_requests = 256;       // pipelined requests awaiting an answer
  size_t max_long_data_bytes = 64 << 10;   // per parameter sent with COM_STMT_SEND_LONG_DATA
};

// Content detection for flows on ports not configured as MySQL: true when `data` (the first bytes
// the server sent) is a plausible protocol-10 greeting, or (dir == kClientToServer) a plausible
// request.
bool LooksLikeMysql(Direction dir, absl::Span<const uint8_t> data);

class Session : public StreamHandler {
 public:
  enum class State : uint8_t {
    kAwaitGreeting,           // server speaks first
    kAwaitHandshakeResponse,  // greeting seen; HandshakeResponse41 or SSLRequest next
    kAuth,                    // credentials sent; AuthSwitch / AuthMoreData rounds until OK/ERR
    kCommand,                 // command phase: requests and their responses
    kEncrypted,               // TLS after SSLRequest: nothing more is parsed
    kOutOfSync,               // lost track of the client stream: looking for the next request
    kNotMysql,                // the server's first bytes are not MySQL: ignore the flow
    kLost,                    // a compressed client stream lost its framing: nothing more parsed
  };

  // PRE: `sink` outlives the session.
  Session(const ConnectionInfo& conn, RecordSink* sink, const SessionOptions& options = {});
  ~Session() override;

  void OnData(Direction dir, int64_t ts_us, absl::Span<const uint8_t> data) override;
  void OnGap(Direction dir, int64_t ts_us, uint64_t length) override;
  void OnClose(int64_t ts_us, const CloseInfo& info) override;

  State state() const { return state_; }

 private:
  struct PreparedStatement {
    std::string sql;
    uint16_t num_params = 0;
    std::vector<ParamType> types;          // remembered from the first execute that bound them
    std::vector<bool> long_data;           // parameter got COM_STMT_SEND_LONG_DATA
    std::vector<std::string> long_values;  // its accumulated bytes (cut at max_long_data_bytes)
  };
  using StatementTable = absl::flat_hash_map<uint32_t, PreparedStatement>;
  // One request awaiting (or not needing) its response.
  struct Request {
    uint8_t command = 0;
    int64_t ts_us = 0;
    std::vector<std::string> statements;  // one entry, or the parts of a multi-statement query
    size_t current = 0;                   // statement the next result belongs to
    std::vector<BoundParam> params;
    ResponseKind response = ResponseKind::kOkErr;
    bool binary_rows = false;
    uint32_t statement_id = 0;
    std::string argument;  // init_db database, change_user user / database
    std::string change_database;
    std::string change_plugin;
    bool started = false;   // its response is being tracked
    bool confirmed = false;  // a packet of its response has been recognised
    // Running totals of the statement the next result belongs to.
    uint64_t response_bytes = 0;
    std::optional<uint64_t> affected_rows;
    std::optional<uint64_t> returned_rows;
    bool in_infile = false;
  };

  // Direction entry points.
  void OnClientData(int64_t ts_us, absl::Span<const uint8_t> data);
  void OnServerData(int64_t ts_us, absl::Span<const uint8_t> data);
  void OnClientPacket(const Packet& p);
  void OnServerPacket(const Packet& p);

  // One handler per state.
  void HandleGreeting(const Packet& p);
  void HandleHandshakeResponse(const Packet& p);
  void HandleAuthServer(const Packet& p);
  void HandleCommandClient(const Packet& p);
  void HandleCommandServer(const Packet& p);
  void ScanForRequest(absl::Span<const uint8_t> data);

  // Commands (session_commands.cc).
  bool BuildRequest(const Packet& p, Request* req);
  bool BuildQuery(const Packet& p, Request* req);
  void BuildOtherCommand(const Packet& p, Request* req);
  void BuildStatementCommand(const Packet& p, Request* req);
  bool BuildExecute(const Packet& p, Request* req);
  void OnSendLongData(const Packet& p);
  void OnStatementClosed(uint32_t statement_id);
  StatementTable::iterator RememberStatement(uint32_t id, std::string sql, uint16_t num_params);
  void ApplyResult(Request& req, const ResultOutcome& outcome);
  void OnChangeUserResult(const Request& req, const ResultOutcome& outcome);
  void EmitStatement(Request& req, const std::string& sql, SqlResponse response,
                     const ResultOutcome* outcome);
  void EmitNotExecuted(Request& req);
  void FinishLogin(const ResultOutcome& outcome);
  void StartNextResponse();

  // Loss handling.
  void FlushPending();
  void LoseClientSync();
  void LoseServerSync();
  void SkipLostAnswer();
  void Confirm();

  protocols::SessionRecorder recorder_;
  SessionOptions options_;
  SessionCounters* counters_;
  int64_t start_ts_us_;
  int64_t now_us_ = 0;  // timestamp of the bytes being parsed
  State state_;
  bool confirmed_ = false;        // the flow is MySQL (connect emitted)
  bool caps_known_ = false;       // handshake seen: capabilities are negotiated ones
  bool server_discard_ = false;   // server framing lost: drop its bytes until the next request
  bool login_reported_ = false;
  bool resync_unproven_ = false;  // resynchronised; the first request is not complete yet
  uint64_t server_caps_ = 0;
  uint64_t caps_ = 0;
  std::string auth_method_;
  PacketStream client_stream_;
  PacketStream server_stream_;
  std::string scan_tail_;  // out of sync: last bytes that may start a request
  std::deque<Request> pending_;
  ResponseTracker tracker_;
  StatementTable statements_;
  bool client_prev_full_ = false;  // last client packet was 0xFFFFFF bytes
};

}  // namespace dbaudit::sensor::mysql
