// GRANT/REVOKE, user lists, EXPLAIN and the small statements (SET, SHOW, USE, CALL, COPY,
// transactions, LOCK, MERGE, ...).
#include <algorithm>

#include "sensor/sql/classifier_internal.h"

namespace dbaudit::sensor::sql {

namespace {

std::string Unquote(const TokenSpan& s, size_t i) {
  if (s.Kind(i) == TokenKind::kString) return std::string(StringBody(s.Text(i)));
  return s.Name(i);
}

}  // namespace

// MySQL accounts: 'u'@'h', `u`@`h`, u@h, CURRENT_USER[()]; PostgreSQL roles: name or "name".
// Returns the index after the account; `user` becomes "u@h" or "u".
size_t Scanner::ParseUser(size_t i, std::string* user) const {
  user->clear();
  if (!(s_.IsName(i) || s_.Kind(i) == TokenKind::kString)) return i;
  *user = Unquote(s_, i);
  ++i;
  if (s_.Kind(i) == TokenKind::kLParen && s_.Kind(i + 1) == TokenKind::kRParen) i += 2;
  if (s_.Kind(i) == TokenKind::kVariable) {
    std::string_view host = s_.Text(i).substr(1);
    if (!host.empty() && host[0] != '@') {
      if (host.size() >= 2 && (host[0] == '\'' || host[0] == '"' || host[0] == '`')) {
        host = host.substr(1, host.size() - 2);
      }
      *user += '@';
      *user += host;
      ++i;
    }
  }
  return i;
}

// user [options] [, user [options] ...]: options (IDENTIFIED BY 'secret', WITH PASSWORD ...)
// are skipped, never recorded.
void Scanner::AddUserList(size_t i, size_t e, std::string_view object_type,
                          std::string_view sql_type) {
  while (i < e) {
    std::string user;
    const size_t next = ParseUser(i, &user);
    if (user.empty()) break;
    QualifiedName n;
    n.name = std::move(user);
    n.valid = true;
    AddObject(n, object_type, sql_type);
    i = next;
    while (i < e && s_.Kind(i) != TokenKind::kComma) {
      i = s_.Kind(i) == TokenKind::kLParen ? s_.SkipParens(i) : i + 1;
    }
    ++i;
  }
}

// GRANT privs ON [kind] object TO grantees | GRANT roles TO grantees (REVOKE: FROM).
std::string Scanner::ClassifyGrant(size_t i, size_t e, std::string_view kind) {
  const size_t to = FindWord(i, e, kind == "GRANT" ? "to" : "from");
  const size_t on = FindWord(i, to, "on");
  if (on < to) {
    size_t k = on + 1;
    std::string object_type = "TABLE";
    if (s_.Is(k, "all") && s_.Is(k + 1, "tables") && s_.Is(k + 2, "in") && s_.Is(k + 3, "schema")) {
      object_type = "SCHEMA";
      k += 4;
    } else if (s_.Is(k, "table") || s_.Is(k, "sequence") || s_.Is(k, "database") ||
               s_.Is(k, "schema") || s_.Is(k, "function") || s_.Is(k, "procedure")) {
      object_type = Upper(s_.Text(k));
      ++k;
    }
    while (k < to) {
      QualifiedName n;
      const size_t next = ParseName(k, &n);
      if (!n.valid) break;
      AddObject(n, object_type, kind);
      k = next;
      if (s_.Kind(k) == TokenKind::kLParen) k = s_.SkipParens(k);
      if (s_.Kind(k) != TokenKind::kComma) break;
      ++k;
    }
  } else {
    AddUserList(i, to, "ROLE", kind);
  }
  if (to < e) {
    const size_t end = std::min(FindWord(to + 1, e, "with"), FindWord(to + 1, e, "granted"));
    AddUserList(to + 1, end, "USER", kind);
  }
  return std::string(kind);
}

// EXPLAIN [ANALYZE] [VERBOSE] [(options)] [FORMAT=x] statement | DESCRIBE table [column].
std::string Scanner::ClassifyExplain(size_t i, size_t e) {
  while (i < e) {
    if (s_.Kind(i) == TokenKind::kLParen && !IsQueryStart(i + 1)) {
      i = s_.SkipParens(i);
    } else if (s_.Is(i, "analyze") || s_.Is(i, "verbose") || s_.Is(i, "extended") ||
               s_.Is(i, "partitions")) {
      ++i;
    } else if (s_.Is(i, "format") && s_.IsOp(i + 1, "=")) {
      i += 3;
    } else {
      break;
    }
  }
  if (IsQueryStart(i) || s_.Is(i, "insert") || s_.Is(i, "update") || s_.Is(i, "delete") ||
      s_.Is(i, "replace") || s_.Is(i, "table")) {
    ClassifyRange(i, e);
  } else {
    QualifiedName n;
    ParseName(i, &n);
    if (n.valid) AddObject(n, "TABLE", "EXPLAIN");
  }
  return "EXPLAIN";
}

std::string Scanner::ClassifyTransaction(size_t i, size_t e) {
  (void)e;
  if (s_.Is(i, "begin")) return s_.Is(i + 1, "not") ? "OTHER" : "BEGIN";
  if (s_.Is(i, "start") && s_.Is(i + 1, "transaction")) return "BEGIN";
  if (s_.Is(i, "commit") || s_.Is(i, "end")) return "COMMIT";
  if (s_.Is(i, "rollback") || s_.Is(i, "abort")) return "ROLLBACK";
  if (s_.Is(i, "savepoint") || s_.Is(i, "release")) return "SAVEPOINT";
  return {};
}

std::string Scanner::ClassifyCall(size_t i, size_t e) {
  QualifiedName n;
  const size_t next = ParseName(i + 1, &n);
  if (n.valid) AddObject(n, "PROCEDURE", "CALL");
  ScanExpr(next, e);
  return "CALL";
}

std::string Scanner::ClassifyUse(size_t i, size_t) {
  QualifiedName n;
  if (ParseName(i + 1, &n) > i + 1) AddObject(n, "DATABASE", "USE");
  return "USE";
}

// SET ...; SET PASSWORD [FOR user] = ... changes an account: ALTER_USER.
std::string Scanner::ClassifySet(size_t i, size_t e) {
  ScanExpr(i + 1, e);
  if (!s_.Is(i + 1, "password")) return "SET";
  const size_t for_at = FindWord(i + 1, e, "for");
  if (for_at < e) {
    AddUserList(for_at + 1, std::min(e, FindWord(for_at + 1, e, "=")), "USER", "ALTER_USER");
  }
  return "ALTER_USER";
}

// TRUNCATE [TABLE] a, b ... / LOCK TABLE[S] a READ, b WRITE ...
std::string Scanner::ClassifyTableList(size_t i, size_t e) {
  const std::string type = Upper(s_.Text(i));
  size_t k = i + 1;
  if (s_.Is(k, "table") || s_.Is(k, "tables")) ++k;
  ScanQuery(k, e, Target{type == "LOCK" ? "LOCK" : "TRUNCATE"}, ScanMode::kExpectTable);
  return type;
}

// COPY t [(cols)] FROM/TO ... | COPY (query) TO ...
std::string Scanner::ClassifyCopy(size_t i, size_t e) {
  QualifiedName n;
  if (s_.Kind(i + 1) == TokenKind::kLParen) {
    ClassifyRange(i + 2, std::min(s_.SkipParens(i + 1), e) - 1);
  } else if (ParseName(i + 1, &n) > i + 1) {
    AddObject(n, "TABLE", "COPY");
  }
  return "COPY";
}

// LOAD DATA|XML [LOCAL] INFILE 'f' [REPLACE|IGNORE] INTO TABLE t ...
std::string Scanner::ClassifyLoad(size_t i, size_t e) {
  QualifiedName n;
  const size_t table = FindWord(i + 1, e, "table");
  if (table < e && ParseName(table + 1, &n) > table + 1) AddObject(n, "TABLE", "LOAD");
  return "LOAD";
}

// MERGE INTO target [AS a] USING source ON ... WHEN ...
std::string Scanner::ClassifyMerge(size_t i, size_t e) {
  QualifiedName n;
  size_t k = i + 1;
  if (s_.Is(k, "into")) ++k;
  if (ParseName(k, &n) > k) AddObject(n, "TABLE", "MERGE");
  const size_t using_at = FindWord(k, e, "using");
  if (using_at < e) ScanQuery(using_at + 1, e, Target{"SELECT"}, ScanMode::kExpectTable);
  return "MERGE";
}

// RENAME TABLE a TO b [, ...] | RENAME USER a TO b [, ...]
std::string Scanner::ClassifyRename(size_t i, size_t e) {
  const bool user = s_.Is(i + 1, "user");
  const std::string type = user ? "RENAME_USER" : "RENAME_TABLE";
  if (user) {
    AddUserList(i + 2, e, "USER", type);
  } else {
    ScanQuery(i + 2, e, Target{type}, ScanMode::kExpectTable);
  }
  return type;
}

// PostgreSQL PREPARE name [(types)] AS statement: the objects of the statement; MySQL PREPARE
// s FROM '...' names none.
std::string Scanner::ClassifyPrepare(size_t i, size_t e) {
  const size_t as = FindWord(i + 1, e, "as");
  if (as < e) ClassifyRange(as + 1, e);
  return "PREPARE";
}

// PostgreSQL DECLARE c CURSOR ... FOR query: the query it runs decides the type.
std::string Scanner::ClassifyDeclare(size_t i, size_t e) {
  const size_t for_at = FindWord(i + 1, e, "for");
  if (for_at < e && IsQueryStart(for_at + 1)) return ClassifyRange(for_at + 1, e);
  return "OTHER";
}

std::string Scanner::ClassifyMisc(size_t i, size_t e) {
  if (std::string t = ClassifyTransaction(i, e); !t.empty()) return t;
  using Handler = std::string (Scanner::*)(size_t, size_t);
  static constexpr std::pair<std::string_view, Handler> kHandlers[] = {
      {"call", &Scanner::ClassifyCall},       {"use", &Scanner::ClassifyUse},
      {"set", &Scanner::ClassifySet},         {"truncate", &Scanner::ClassifyTableList},
      {"lock", &Scanner::ClassifyTableList},  {"copy", &Scanner::ClassifyCopy},
      {"load", &Scanner::ClassifyLoad},       {"merge", &Scanner::ClassifyMerge},
      {"rename", &Scanner::ClassifyRename},   {"prepare", &Scanner::ClassifyPrepare},
      {"declare", &Scanner::ClassifyDeclare},
  };
  for (const auto& [word, handler] : kHandlers) {
    if (s_.Is(i, word)) return (this->*handler)(i, e);
  }
  static constexpr std::pair<std::string_view, std::string_view> kSimple[] = {
      {"show", "SHOW"},   {"execute", "EXECUTE"}, {"exec", "EXECUTE"}, {"deallocate", "DEALLOCATE"},
      {"unlock", "UNLOCK"}, {"reset", "SET"}};
  ScanExpr(i + 1, e);
  for (const auto& [word, type] : kSimple) {
    if (s_.Is(i, word)) return std::string(type);
  }
  return "OTHER";
}

}  // namespace dbaudit::sensor::sql
