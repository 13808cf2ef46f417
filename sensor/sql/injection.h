// Injection signals: statement-level heuristics over tokens (never regexes over raw text, never
// libinjection on whole statements). Each signal has a weight; the score is their sum, capped
// at 100. Every input is either a token shape (kept in the fingerprint) or a fast-pass feature
// bit (fingerprint.h), so a cached analysis is valid for every statement with the same
// fingerprint and feature bits.
//
//   signal               weight  fires on
//   tautology            50/35   OR/XOR/|| <const> <cmp> <const>, OR <const>, x = x after OR;
//                                35 when the constant comparison follows AND (boolean blind) or
//                                opens the WHERE of a UNION branch or subquery; WHERE 1=1 /
//                                WHERE 1=0 opening the statement itself does not fire
//   union_based          50      UNION SELECT whose list is only constants/NULLs, or holds
//                                version()/user()/database()/@@version/group_concat/hex, or
//                                whose branch reads the catalogue
//   stacked_query        40      several statements where the first ends on a literal in a
//                                WHERE-carrying statement, or a later one is DDL/DCL/COPY/other,
//                                or a later one has signals of its own
//   comment_truncation   30/45   line comment ending a one-line text (45 when it hides quotes or
//                                code), or an unterminated /*
//   time_delay           60      SLEEP(), BENCHMARK(), pg_sleep*(), WAITFOR DELAY,
//                                dbms_lock.sleep(), dbms_pipe.receive_message()
//   catalog_probe        25      credential tables (mysql.user, pg_shadow, pg_authid) anywhere;
//                                information_schema / pg_catalog / mysql.* in a subquery, UNION
//                                branch or stacked statement (an admin tool's own catalogue
//                                query does not fire)
//   encoded_payload      30      hex literal of >= 3 printable bytes, CHAR(n,n,n..), two or more
//                                CHAR()/CHR() calls
//   error_based          50      extractvalue(), updatexml(), name_const(), exp(~..), gtid_subset(),
//                                query_to_xml(),
//                                floor(rand(0)*2) .. GROUP BY, geometry constructors or CAST over a
//                                subquery / version(), utl_inaddr / ctxsys
//   comment_obfuscation  30      comments glued inside keywords (UN/**/ION, SELECT/**/x) or a
//                                MySQL version comment holding UNION/SELECT/OR/AND/SLEEP...
//   file_access          50      load_file(), INTO OUTFILE/DUMPFILE, pg_read_file(), pg_ls_dir(),
//                                lo_import/lo_export(), COPY ... PROGRAM, xp_cmdshell
//   blind_extraction     35      character probes over a subquery: ASCII/ORD/SUBSTRING/MID/
//                                LENGTH(...(SELECT ...)), (SELECT SUBSTRING(col, n, 1) ...)
//   unparsed             20      unterminated quote, unbalanced parentheses, or (PostgreSQL, when
//                                libpg_query is built in) a statement the server grammar rejects
#pragma once

#include <string>
#include <vector>

#include "sensor/sql/classifier.h"
#include "sensor/sql/token_span.h"

namespace dbaudit::sensor::sql {

struct StatementView {
  TokenSpan tokens;
  const Classification* classification;
};

struct InjectionResult {
  int score = 0;
  std::vector<std::string> signals;  // in the order of the table above
  void Add(std::string_view signal, int weight);
};

// PRE: statements is non-empty; `features` are the fast-pass bits of the whole text.
void DetectInjection(const std::vector<StatementView>& statements, uint32_t features,
                     InjectionResult* out);

}  // namespace dbaudit::sensor::sql
