// Follows the server's answer to one request packet by packet, without buffering it: knows when
// a result (OK, ERR, end of a result set) is complete, counts rows and bytes, and sees
// multi-results (SERVER_MORE_RESULTS_EXISTS) and LOCAL INFILE requests.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response.html
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sensor/protocols/mysql/command.h"
#include "sensor/protocols/mysql/response.h"
#include "sensor/protocols/mysql/types.h"

namespace dbaudit::sensor::mysql {

// The shape of response a command gets.
enum class ResponseKind : uint8_t {
  kNone,        // no response (COM_QUIT, COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA)
  kOkErr,       // OK or ERR (COM_PING, COM_INIT_DB, ...)
  kResultSet,   // OK, ERR, LOCAL INFILE or a result set; multi-results (COM_QUERY, EXECUTE)
  kPrepare,     // COM_STMT_PREPARE_OK and its parameter/column definitions, or ERR
  kFieldList,   // column definitions up to EOF, or ERR (COM_FIELD_LIST)
  kRows,        // rows up to EOF, or ERR (COM_STMT_FETCH)
  kStatistics,  // one human-readable string packet (COM_STATISTICS)
  kAuth,        // OK / ERR after AuthSwitch and AuthMoreData rounds (COM_CHANGE_USER)
};

// What one complete result says.
struct ResultOutcome {
  bool success = false;
  uint16_t error_code = 0;
  std::string sql_state;
  std::string error_msg;
  std::optional<uint64_t> affected_rows;  // from OK packets
  std::optional<uint64_t> returned_rows;  // rows of result sets
  uint16_t status = 0;
  bool more_results = false;  // another result of the same request follows
  std::optional<PrepareOk> prepare;        // kPrepare success
  std::optional<std::string> schema;       // OK session tracker: new current schema
  std::string auth_plugin;                 // kAuth: plugin named by an AuthSwitchRequest
};

class ResponseTracker {
 public:
  enum class Step : uint8_t {
    kContinue,     // packet belongs to the response; more follow
    kResult,       // `outcome` holds a complete result; more_results says if another follows
    kLocalInfile,  // server asks for a local file: client data packets follow, then OK/ERR
    kUnexpected,   // packet does not fit the response: the caller resynchronises
  };

  // Starts tracking the response to a request. `caps`: negotiated capabilities;
  // `caps_known` false for a mid-stream pickup (EOF style is then told from packet lengths).
  void Start(ResponseKind kind, uint64_t caps, bool caps_known, bool binary_rows);

  // Feeds the next server packet of the response. On kResult, *outcome is filled.
  Step OnPacket(const Packet& p, ResultOutcome* outcome);

  // The client finished sending a LOCAL INFILE file: the final OK/ERR follows.
  void InfileDone();

  ResponseKind kind() const { return kind_; }
  bool awaiting_first_packet() const { return phase_ == Phase::kFirst; }

 private:
  enum class Phase : uint8_t {
    kFirst, kColumnDefs, kColumnEof, kRows, kPrepareParams, kPrepareParamEof,
    kPrepareColumns, kPrepareColumnEof, kFieldDefs, kAuthRounds, kInfile, kDone,
  };
  Step OnFirst(const Packet& p, ResultOutcome* outcome);
  Step OnResultSetPacket(const Packet& p, ResultOutcome* outcome);
  Step OnPreparePacket(const Packet& p, ResultOutcome* outcome);
  Step FinishWithOk(const Packet& p, ResultOutcome* outcome);
  Step FinishWithErr(const Packet& p, ResultOutcome* outcome);
  Step FinishRows(const Packet& p, ResultOutcome* outcome);
  Step StartColumns(uint64_t count, Phase defs);
  bool IsEndOfDefs(const Packet& p) const;
  bool IsEndOfRows(const Packet& p) const;
  bool deprecate_eof() const { return (caps_ & kClientDeprecateEof) != 0; }

  ResponseKind kind_ = ResponseKind::kNone;
  Phase phase_ = Phase::kDone;
  uint64_t caps_ = 0;
  bool caps_known_ = true;
  bool binary_rows_ = false;
  uint64_t columns_left_ = 0;
  uint64_t rows_ = 0;
  PrepareOk prepare_;
  std::string auth_plugin_;
  bool prev_packet_full_ = false;  // the previous packet was 0xFFFFFF bytes: this one continues it
};

}  // namespace dbaudit::sensor::mysql
