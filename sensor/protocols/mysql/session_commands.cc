// Session: turning command packets into requests, and results into statement records.
#include <algorithm>
#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sensor/protocols/common/binary_reader.h"
#include "sensor/protocols/mysql/command.h"
#include "sensor/protocols/mysql/session.h"
#include "sensor/sql/splitter.h"

namespace dbaudit::sensor::mysql {
namespace {

std::string_view AsText(absl::Span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The argument of a text command: everything after the command byte, without a trailing NUL.
std::string TextArgument(const Packet& p) {
  std::string_view text = AsText(p.payload.subspan(1));
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(0, nul);
  return std::string(text);
}

ResponseKind ResponseFor(uint8_t command) {
  switch (command) {
    case kComQuit:
    case kComStmtClose:
    case kComStmtSendLongData:
    case kComBinlogDump:
    case kComBinlogDumpGtid:
    case kComTableDump:
    case kComRegisterSlave: return ResponseKind::kNone;
    case kComQuery:
    case kComStmtExecute:
    case kComProcessInfo:
    case kComStmtBulkExecute: return ResponseKind::kResultSet;
    case kComStmtPrepare: return ResponseKind::kPrepare;
    case kComFieldList: return ResponseKind::kFieldList;
    case kComStmtFetch: return ResponseKind::kRows;
    case kComStatistics: return ResponseKind::kStatistics;
    case kComChangeUser: return ResponseKind::kAuth;
    default: return ResponseKind::kOkErr;
  }
}

}  // namespace

// Returns false when the packet yields no record of its own (COM_STMT_SEND_LONG_DATA).
bool Session::BuildRequest(const Packet& p, Request* req) {
  const uint8_t command = p.payload[0];
  req->command = command;
  req->response = ResponseFor(command);
  req->statements.assign(1, std::string());
  switch (command) {
    case kComQuery: return BuildQuery(p, req);
    case kComStmtExecute: return BuildExecute(p, req);
    case kComStmtSendLongData: OnSendLongData(p); return false;
    case kComStmtFetch:
    case kComStmtReset:
    case kComStmtClose:
    case kComStmtBulkExecute: BuildStatementCommand(p, req); return true;
    case kComStmtPrepare:
      req->statements[0] =
          std::string(AsText(p.payload.subspan(1)).substr(0, options_.max_sql_bytes));
      return true;
    case kComInitDb:
    case kComCreateDb:
    case kComDropDb:
    case kComFieldList:
      req->argument = TextArgument(p);
      req->statements[0] = req->argument;
      return true;
    case kComBinlogDump:
    case kComBinlogDumpGtid:
    case kComTableDump:
    case kComRegisterSlave:
      // Replication streams are not followed: skip the server's side until the next request.
      server_discard_ = true;
      return true;
    default: BuildOtherCommand(p, req); return true;
  }
}

// COM_CHANGE_USER, COM_PROCESS_KILL (int<4> thread id), COM_SET_OPTION (int<2> option: 0 turns
// multi-statements on, 1 off) and the argument-less commands.
void Session::BuildOtherCommand(const Packet& p, Request* req) {
  protocols::BinaryReader r(p.payload.subspan(1));
  if (req->command == kComChangeUser) {
    ChangeUser cu;
    if (!ParseChangeUser(p.payload, caps_, &cu)) counters_->parse_errors->Add();
    req->argument = std::string(cu.user);
    req->change_database = std::string(cu.database);
    req->change_plugin = std::string(cu.auth_plugin);
    req->statements[0] = req->argument;
  } else if (req->command == kComProcessKill) {
    uint32_t id = 0;
    if (r.ReadLE32(&id)) req->statements[0] = absl::StrCat(id);
  } else if (req->command == kComSetOption) {
    uint16_t option = 0;
    if (r.ReadLE16(&option)) {
      caps_ = option == 0 ? (caps_ | kClientMultiStatements) : (caps_ & ~kClientMultiStatements);
    }
  }
}

// Commands that name a prepared statement: fetch reports its SQL, close forgets it, reset drops
// its long data, MariaDB's bulk execute runs it.
void Session::BuildStatementCommand(const Packet& p, Request* req) {
  uint32_t id = 0;
  if (!ReadStatementId(p.payload, &id)) counters_->parse_errors->Add();
  req->statement_id = id;
  req->binary_rows = true;
  auto it = statements_.find(id);
  const bool known = it != statements_.end();
  if (!known) {
    if (req->command != kComStmtClose) counters_->unknown_statement->Add();
    return;
  }
  if (req->command == kComStmtFetch || req->command == kComStmtBulkExecute) {
    req->statements[0] = it->second.sql;
  } else if (req->command == kComStmtReset) {
    std::fill(it->second.long_data.begin(), it->second.long_data.end(), false);
    for (std::string& v : it->second.long_values) v.clear();
  } else if (req->command == kComStmtClose) {
    OnStatementClosed(id);
  }
}

bool Session::BuildQuery(const Packet& p, Request* req) {
  uint64_t caps = caps_;
  // Mid-stream: query attributes are recognised by their leading parameter count 0, set count 1.
  if (!caps_known_ && p.payload.size() >= 3 && p.payload[1] == 0 && p.payload[2] == 1) {
    caps |= kClientQueryAttributes;
  }
  std::string_view sql;
  if (!ParseQuery(p.payload, caps, &sql, nullptr)) {
    counters_->parse_errors->Add();
    sql = AsText(p.payload.subspan(1));
  }
  if (p.truncated || sql.size() > options_.max_sql_bytes) {
    counters_->truncated->Add();
    sql = sql.substr(0, options_.max_sql_bytes);
  }
  if ((caps_ & kClientMultiStatements) && sql.find(';') != std::string_view::npos) {
    const std::vector<std::string_view> parts = sql::SplitStatements(sql::Dialect::kMysql, sql);
    if (parts.size() > 1) {
      req->statements.assign(parts.begin(), parts.end());
      return true;
    }
  }
  req->statements[0] = std::string(sql);
  return true;
}

bool Session::BuildExecute(const Packet& p, Request* req) {
  req->binary_rows = true;
  uint32_t id = 0;
  if (!ReadStatementId(p.payload, &id)) {
    counters_->parse_errors->Add();
    return true;
  }
  req->statement_id = id;
  auto it = statements_.find(id);
  if (it == statements_.end()) {
    // Prepared before the capture started: the SQL is unknown, but a packet that binds its
    // types tells the parameter count, and the statement is remembered for later executions.
    counters_->unknown_statement->Add();
    uint16_t guessed = 0;
    if (!GuessParamCount(p.payload, caps_, 256, &guessed)) return true;
    it = RememberStatement(id, std::string(), guessed);
  }
  PreparedStatement& ps = it->second;
  req->statements[0] = ps.sql;
  ExecuteHeader header;
  if (!ParseExecute(p.payload, caps_, ps.num_params, ps.long_data, &ps.types, &header,
                    &req->params)) {
    counters_->parse_errors->Add();
    req->params.clear();
  }
  for (size_t i = 0; i < req->params.size() && i < ps.long_data.size(); ++i) {
    if (!ps.long_data[i]) continue;
    req->params[i].value = RenderBytes(ps.long_values[i]);
  }
  // Long data is used by one execution; the next one sends its own.
  std::fill(ps.long_data.begin(), ps.long_data.end(), false);
  for (std::string& v : ps.long_values) v.clear();
  return true;
}

void Session::OnSendLongData(const Packet& p) {
  uint32_t id;
  uint16_t param;
  std::string_view data;
  if (!ParseSendLongData(p.payload, &id, &param, &data)) {
    counters_->parse_errors->Add();
    return;
  }
  auto it = statements_.find(id);
  if (it == statements_.end() || param >= it->second.num_params) return;
  PreparedStatement& ps = it->second;
  ps.long_data[param] = true;
  std::string& value = ps.long_values[param];
  // Keep one byte beyond the rendering limit so RenderBytes still notes the cut.
  const size_t room = options_.max_long_data_bytes > value.size()
                          ? options_.max_long_data_bytes - value.size() : 0;
  value.append(data.substr(0, room));
}

Session::StatementTable::iterator Session::RememberStatement(uint32_t id, std::string sql,
                                                             uint16_t num_params) {
  if (statements_.size() >= options_.max_prepared_statements && !statements_.contains(id)) {
    counters_->prepared_evicted->Add();
    statements_.erase(statements_.begin());
  }
  PreparedStatement ps;
  ps.sql = std::move(sql);
  ps.num_params = num_params;
  ps.long_data.assign(num_params, false);
  ps.long_values.assign(num_params, std::string());
  auto [it, inserted] = statements_.insert_or_assign(id, std::move(ps));
  (void)inserted;
  return it;
}

void Session::OnStatementClosed(uint32_t statement_id) { statements_.erase(statement_id); }

void Session::ApplyResult(Request& req, const ResultOutcome& outcome) {
  if (outcome.returned_rows) req.returned_rows = req.returned_rows.value_or(0) + *outcome.returned_rows;
  if (outcome.affected_rows) req.affected_rows = req.affected_rows.value_or(0) + *outcome.affected_rows;
  // COM_INIT_DB is reported in the database it selects, as the server logs it. Any other
  // statement ran in the database that was current when it was sent: a change it causes (USE,
  // DROP DATABASE of the current one) applies to the statements after it.
  if (outcome.success && req.command == kComInitDb) recorder_.info().database = req.argument;
  std::optional<std::string> new_database = outcome.schema;
  auto apply_database = [&] {
    if (new_database) recorder_.info().database = *std::move(new_database);
  };
  if (outcome.prepare) {
    RememberStatement(outcome.prepare->statement_id, req.statements[0],
                      outcome.prepare->num_params);
  }
  if (req.command == kComChangeUser) OnChangeUserResult(req, outcome);
  if (outcome.success && req.command == kComResetConnection) statements_.clear();
  const bool last = req.current + 1 >= req.statements.size();
  if (outcome.more_results && last) return apply_database();  // e.g. CALL: results add up on the last statement
  EmitStatement(req, req.statements[req.current],
                outcome.success ? SqlResponse::kSuccess : SqlResponse::kFailed, &outcome);
  apply_database();
  ++req.current;
  req.response_bytes = 0;
  req.affected_rows.reset();
  req.returned_rows.reset();
  if (!outcome.more_results) EmitNotExecuted(req);
}

// COM_CHANGE_USER re-authenticates: a login record, and on success the session's new identity.
void Session::OnChangeUserResult(const Request& req, const ResultOutcome& outcome) {
  SessionInfo& info = recorder_.info();
  if (!outcome.auth_plugin.empty()) auth_method_ = outcome.auth_plugin;
  else if (!req.change_plugin.empty()) auth_method_ = req.change_plugin;
  if (outcome.success) {
    info.db_user = req.argument;
    info.database = req.change_database;
    statements_.clear();  // the server drops the session's prepared statements
  }
  Record login = recorder_.Make(RecordKind::kLogin, now_us_);
  login.session.db_user = req.argument;
  login.success = outcome.success;
  if (!outcome.success) {
    login.error_code = absl::StrCat(outcome.error_code);
    login.sql_state = outcome.sql_state;
    login.error_msg = outcome.error_msg;
  }
  login.auth_method = auth_method_;
  (outcome.success ? counters_->logins_ok : counters_->logins_failed)->Add();
  recorder_.Emit(std::move(login));
}

void Session::EmitNotExecuted(Request& req) {
  ResultOutcome skipped;
  skipped.error_msg = "not executed: an earlier statement of the batch failed";
  for (; req.current < req.statements.size(); ++req.current) {
    EmitStatement(req, req.statements[req.current], SqlResponse::kFailed, &skipped);
  }
}

void Session::EmitStatement(Request& req, const std::string& sql, SqlResponse response,
                            const ResultOutcome* outcome) {
  if (!confirmed_) {
    counters_->unconfirmed_dropped->Add();
    return;
  }
  Record r = recorder_.Make(RecordKind::kStatement, now_us_);
  r.command = CommandName(req.command);
  r.sql_statement = sql;
  const std::vector<std::string>& batch = req.statements;
  if (batch.size() > 1 && &sql >= batch.data() && &sql < batch.data() + batch.size()) {
    r.batch_index = static_cast<uint32_t>(&sql - batch.data());
    r.batch_size = static_cast<uint32_t>(batch.size());
  }
  r.params = req.params;
  r.sql_response = response;
  r.success = response == SqlResponse::kSuccess;
  r.response_bytes = req.response_bytes;
  if (outcome != nullptr) {
    if (!outcome->success) {
      if (outcome->error_code != 0) r.error_code = absl::StrCat(outcome->error_code);
      r.sql_state = outcome->sql_state;
      r.error_msg = outcome->error_msg;
    }
    r.affected_rows = req.affected_rows;
    r.returned_rows = req.returned_rows;
    if (req.started) r.latency_us = std::max<int64_t>(0, now_us_ - req.ts_us);
  }
  counters_->statements->Add();
  if (response == SqlResponse::kUnknown) counters_->unknown_outcome->Add();
  recorder_.Emit(std::move(r));
}

}  // namespace dbaudit::sensor::mysql
