#include <algorithm>
#include <iterator>
#include <string>

#include "common/metrics.h"
#include "sensor/sql/analyzer.h"
#include "sensor/sql/lexer.h"

namespace dbaudit::sensor::sql {

namespace {

bool IsAccountStatement(std::string_view t) {
  return t == "CREATE_USER" || t == "ALTER_USER" || t == "CREATE_ROLE" || t == "ALTER_ROLE" ||
         t == "GRANT" || t == "SET" || t == "OTHER";
}

Counter* RedactedCounter() {
  static Counter* c = MetricsRegistry::Default().GetCounter(
      "dbaudit_sql_redacted_total", "Statements whose secrets were redacted");
  return c;
}

// Protocol commands whose sql_statement is SQL text (MySQL and PostgreSQL decoders' names).
bool CarriesSql(std::string_view command) {
  static constexpr std::string_view kCommands[] = {
      "", "query", "prepare", "execute", "stmt_bulk_execute", "simple_query", "parse", "bind",
      "copy"};
  return std::find(std::begin(kCommands), std::end(kCommands), command) != std::end(kCommands);
}

std::string Backquoted(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    out.push_back(c);
    if (c == '`') out.push_back('`');
  }
  out.push_back('`');
  return out;
}

// MySQL commands that are SQL statements in disguise: their argument is a name, analysed as
// the statement the server treats them like (COM_INIT_DB is USE, COM_FIELD_LIST is SHOW COLUMNS).
std::string EquivalentSql(std::string_view command, std::string_view argument) {
  if (command == "init_db") return "USE " + Backquoted(argument);
  if (command == "create_db") return "CREATE DATABASE " + Backquoted(argument);
  if (command == "drop_db") return "DROP DATABASE " + Backquoted(argument);
  if (command == "field_list") return "SHOW COLUMNS FROM " + Backquoted(argument);
  return {};
}

}  // namespace

std::string NormalizeQueryType(std::string_view query_type) {
  std::string out;
  bool pending_sep = false;
  for (char c : query_type) {
    if (c == ' ' || c == '_' || c == '\t' || c == '-') {
      pending_sep = !out.empty();
      continue;
    }
    if (pending_sep) out.push_back('_');
    pending_sep = false;
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
  }
  return out;
}

// A secret is the string literal after BY, PASSWORD [=] [PASSWORD(], or IDENTIFIED WITH x AS.
bool RedactSecrets(Dialect dialect, std::string* sql) {
  LexOptions options;
  options.dialect = dialect;
  std::vector<Token> tokens;
  Tokenize(*sql, options, &tokens);
  std::vector<std::pair<uint32_t, uint32_t>> secrets;
  const std::string_view src(*sql);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind != TokenKind::kString) continue;
    size_t p = i;
    while (p > 0 && (tokens[p - 1].kind == TokenKind::kLParen ||
                     (tokens[p - 1].kind == TokenKind::kOperator && tokens[p - 1].Text(src) == "="))) {
      --p;
    }
    if (p == 0 || tokens[p - 1].kind != TokenKind::kWord) continue;
    const std::string_view w = tokens[p - 1].Text(src);
    const bool identified_as = EqualsKeyword(w, "as") && p >= 4 &&
                               EqualsKeyword(tokens[p - 4].Text(src), "identified");
    if (EqualsKeyword(w, "by") || EqualsKeyword(w, "password") || identified_as) {
      secrets.emplace_back(tokens[i].begin, tokens[i].end);
    }
  }
  for (auto it = secrets.rbegin(); it != secrets.rend(); ++it) {
    sql->replace(it->first, it->second - it->first, "'***'");
  }
  return !secrets.empty();
}

ClassifyingSink::ClassifyingSink(RecordSink* next, size_t max_cache_entries)
    : next_(next), analyzer_(max_cache_entries) {}

void ClassifyingSink::Emit(Record&& record) {
  if (record.kind == RecordKind::kStatement) {
    if (CarriesSql(record.command)) {
      if (!record.sql_statement.empty()) {
        const bool stacked = record.batch_size > 1 && IsStacked(record);
        Classify(record.sql_statement, &record);
        if (stacked) AddStackedSignal(&record);
      }
    } else if (const std::string sql = EquivalentSql(record.command, record.sql_statement);
               !sql.empty()) {
      Classify(sql, &record);
    }
  }
  next_->Emit(std::move(record));
}

bool ClassifyingSink::IsStacked(const Record& record) {
  // Bound: a batch whose later statements never come (capture end) must not pin memory.
  constexpr size_t kMaxOpenBatches = 4096;
  if (record.batch_index == 0) {
    if (batch_heads_.size() >= kMaxOpenBatches) batch_heads_.clear();
    batch_heads_[record.session.session_id] = record.sql_statement;
    return false;
  }
  auto it = batch_heads_.find(record.session.session_id);
  if (it == batch_heads_.end()) return false;
  const Dialect dialect =
      record.session.protocol == Protocol::kPostgresql ? Dialect::kPostgresql : Dialect::kMysql;
  const Analysis joint = analyzer_.Analyze(dialect, it->second + ";\n" + record.sql_statement);
  if (record.batch_index + 1 >= record.batch_size) batch_heads_.erase(it);
  return std::find(joint.injection_signals.begin(), joint.injection_signals.end(),
                   "stacked_query") != joint.injection_signals.end();
}

void ClassifyingSink::AddStackedSignal(Record* record) {
  auto& signals = record->injection_signals;
  if (std::find(signals.begin(), signals.end(), "stacked_query") != signals.end()) return;
  // Same weight as the analyzer gives a stacked query seen in one text (injection.h).
  constexpr int kStackedWeight = 40;
  signals.emplace_back("stacked_query");
  record->injection_score = std::min(100, record->injection_score + kStackedWeight);
}

void ClassifyingSink::Classify(std::string_view sql, Record* record) {
  LexOptions options;
  options.dialect = record->session.protocol == Protocol::kPostgresql ? Dialect::kPostgresql
                                                                       : Dialect::kMysql;
  const Analysis& a = analyzer_.AnalyzeCached(options, sql);
  if (record->query_type.empty()) record->query_type = a.query_type;
  if (record->operated_obj_info.empty()) {
    record->operated_obj_info = a.objects;
    if (options.dialect == Dialect::kMysql && !record->session.database.empty()) {
      for (OperatedObject& o : record->operated_obj_info) {
        const bool named = o.object_type == "TABLE" || o.object_type == "VIEW" ||
                           o.object_type == "COLUMN" || o.object_type == "INDEX" ||
                           o.object_type == "PROCEDURE" || o.object_type == "FUNCTION";
        if (named && o.schema_name.empty()) o.schema_name = record->session.database;
      }
    }
  }
  record->fingerprint = a.fingerprint;
  record->fingerprint_id = a.fingerprint_id;
  record->injection_score = a.injection_score;
  record->injection_signals = a.injection_signals;
  if (IsAccountStatement(a.query_type) && RedactSecrets(options.dialect, &record->sql_statement)) {
    RedactedCounter()->Add();
  }
}

}  // namespace dbaudit::sensor::sql
