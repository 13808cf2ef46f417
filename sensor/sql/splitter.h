// Splits a query string that holds several statements (MySQL multi-statements, a PostgreSQL simple
// Query with several commands) into the statements, with the lexing rules of each dialect:
// quotes, backticks, E'' strings, $tag$ dollar quoting, nested and version comments.
#pragma once

#include <string_view>
#include <vector>

namespace dbaudit::sensor::sql {

enum class Dialect { kMysql, kPostgresql };
struct LexOptions;  // lexer.h: standard_conforming_strings, ANSI_QUOTES, NO_BACKSLASH_ESCAPES

// Each returned view points into `sql`, trimmed of surrounding white space and the separating
// ';'. Empty statements (";;") are dropped. A text without ';' outside quotes/comments comes back
// as one statement. Never fails: unterminated quotes run to the end of the text.
// Bodies of stored programs (MySQL CREATE PROCEDURE ... BEGIN ... END, MariaDB BEGIN NOT ATOMIC,
// PostgreSQL BEGIN ATOMIC) stay in one statement.
std::vector<std::string_view> SplitStatements(Dialect dialect, std::string_view sql);
// The same with the session's quoting settings (default LexOptions = server defaults).
std::vector<std::string_view> SplitStatements(const LexOptions& options, std::string_view sql);

}  // namespace dbaudit::sensor::sql
