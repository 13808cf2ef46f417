#include "sensor/sql/splitter.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sensor/sql/lexer.h"

namespace dbaudit::sensor::sql {
namespace {

struct SplitCase {
  const char* name;
  Dialect dialect;
  std::string sql;
  std::vector<std::string> want;
};

std::vector<std::string> Split(Dialect d, std::string_view sql) {
  std::vector<std::string> out;
  for (std::string_view s : SplitStatements(d, sql)) out.emplace_back(s);
  return out;
}

class SplitTest : public testing::TestWithParam<SplitCase> {};

TEST_P(SplitTest, SplitsLikeTheServer) {
  const SplitCase& c = GetParam();
  EXPECT_EQ(Split(c.dialect, c.sql), c.want) << c.sql;
}

constexpr Dialect kMy = Dialect::kMysql;
constexpr Dialect kPg = Dialect::kPostgresql;

const SplitCase kSplitCases[] = {
    {"OneStatementNoSemicolon", kMy, "SELECT 1", {"SELECT 1"}},
    {"TwoStatements", kMy, "SELECT 1; SELECT 2;", {"SELECT 1", "SELECT 2"}},
    {"EmptyStatementsDropped", kPg, " ;; SELECT 1 ;\n;", {"SELECT 1"}},
    {"EmptyText", kPg, "", {}},
    {"OnlyComment", kMy, "/* nothing */ ; -- here", {}},
    {"SemicolonInSingleQuotes", kMy, "SELECT ';'; SELECT 2", {"SELECT ';'", "SELECT 2"}},
    {"MysqlBackslashEscapedQuote", kMy, R"(SELECT 'it\'s;'; SELECT 2)",
     {R"(SELECT 'it\'s;')", "SELECT 2"}},
    {"DoubledQuote", kPg, "SELECT 'it''s;'; SELECT 2", {"SELECT 'it''s;'", "SELECT 2"}},
    // standard_conforming_strings=on: the backslash is a plain character, 'a\' ends the string.
    {"PgBackslashIsPlain", kPg, R"(SELECT 'a\'; SELECT 'b;')", {R"(SELECT 'a\')", "SELECT 'b;'"}},
    {"PgEscapeString", kPg, R"(SELECT E'a\';'; SELECT 2)", {R"(SELECT E'a\';')", "SELECT 2"}},
    {"MysqlDoubleQuotedString", kMy, R"(SELECT "a\";"; SELECT 2)", {R"(SELECT "a\";")", "SELECT 2"}},
    {"PgDoubleQuotedIdent", kPg, R"(SELECT "a;""b" FROM t; SELECT 2)",
     {R"(SELECT "a;""b" FROM t)", "SELECT 2"}},
    {"Backticks", kMy, "SELECT `a;``b` FROM t; SELECT 2", {"SELECT `a;``b` FROM t", "SELECT 2"}},
    {"PgBacktickIsNotAQuote", kPg, "SELECT 1 ` ; SELECT 2", {"SELECT 1 `", "SELECT 2"}},
    {"DollarQuoteEmptyTag", kPg, "SELECT $$a;b$$; SELECT 2", {"SELECT $$a;b$$", "SELECT 2"}},
    {"DollarQuoteTagged", kPg,
     "CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;"
     "SELECT f()",
     {"CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql",
      "SELECT f()"}},
    {"DollarQuoteInnerOtherTag", kPg, "SELECT $a$ $b$ ; $b$ $a$; SELECT 2",
     {"SELECT $a$ $b$ ; $b$ $a$", "SELECT 2"}},
    {"DollarParamIsNotAQuote", kPg, "SELECT $1; SELECT $2", {"SELECT $1", "SELECT $2"}},
    {"DollarInIdentifier", kPg, "SELECT a$b$ FROM t; SELECT 2", {"SELECT a$b$ FROM t", "SELECT 2"}},
    {"PgNestedComment", kPg, "SELECT 1 /* a /* b; */ c; */; SELECT 2",
     {"SELECT 1 /* a /* b; */ c; */", "SELECT 2"}},
    // MySQL block comments do not nest: the first */ ends it.
    {"MysqlCommentNotNested", kMy, "SELECT 1 /* a /* b */; SELECT 2",
     {"SELECT 1 /* a /* b */", "SELECT 2"}},
    {"MysqlVersionCommentIsCode", kMy, "/*!40101 SET NAMES utf8 */; SELECT 2",
     {"/*!40101 SET NAMES utf8 */", "SELECT 2"}},
    {"MysqlVersionCommentHoldsSemicolon", kMy, "SELECT 1 /*!50000 ; SELECT 2 */",
     {"SELECT 1 /*!50000", "SELECT 2 */"}},
    {"MysqlHashComment", kMy, "SELECT 1 # x; y\n; SELECT 2", {"SELECT 1 # x; y", "SELECT 2"}},
    {"PgHashIsOperator", kPg, "SELECT 1 # 2; SELECT 3", {"SELECT 1 # 2", "SELECT 3"}},
    {"DashDashComment", kPg, "SELECT 1 --x; y\n; SELECT 2", {"SELECT 1 --x; y", "SELECT 2"}},
    // MySQL needs white space after "--"; "1--1;" is arithmetic.
    {"MysqlDashDashNeedsSpace", kMy, "SELECT 1--1; SELECT 2", {"SELECT 1--1", "SELECT 2"}},
    {"MysqlDashDashSpace", kMy, "SELECT 1 -- 1; SELECT 2\n;SELECT 3",
     {"SELECT 1 -- 1; SELECT 2", "SELECT 3"}},
    {"UnterminatedQuoteRunsToEnd", kMy, "SELECT 'abc; SELECT 2", {"SELECT 'abc; SELECT 2"}},
    {"UnterminatedCommentRunsToEnd", kPg, "SELECT 1 /* ; SELECT 2", {"SELECT 1 /* ; SELECT 2"}},
    {"MysqlProcedureBody", kMy,
     "CREATE PROCEDURE p() BEGIN DECLARE x INT; IF x > 0 THEN SET x = 1; END IF; "
     "WHILE x < 3 DO SET x = x + 1; END WHILE; SELECT IF(x, 1, 2); END; CALL p()",
     {"CREATE PROCEDURE p() BEGIN DECLARE x INT; IF x > 0 THEN SET x = 1; END IF; "
      "WHILE x < 3 DO SET x = x + 1; END WHILE; SELECT IF(x, 1, 2); END",
      "CALL p()"}},
    {"MysqlTriggerWithDefiner", kMy,
     "CREATE DEFINER=`root`@`%` TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN "
     "DROP TABLE IF EXISTS y; SET NEW.a = REPEAT('a', 2); END; SELECT 1",
     {"CREATE DEFINER=`root`@`%` TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN "
      "DROP TABLE IF EXISTS y; SET NEW.a = REPEAT('a', 2); END",
      "SELECT 1"}},
    {"MysqlTriggerWithoutBody", kMy,
     "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1; SELECT 1",
     {"CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1", "SELECT 1"}},
    {"MariadbBeginNotAtomic", kMy, "BEGIN NOT ATOMIC SELECT 1; SELECT 2; END; SELECT 3",
     {"BEGIN NOT ATOMIC SELECT 1; SELECT 2; END", "SELECT 3"}},
    {"MysqlBeginTransactionSplits", kMy, "BEGIN; UPDATE t SET a=1; COMMIT",
     {"BEGIN", "UPDATE t SET a=1", "COMMIT"}},
    {"PgBeginAtomic", kPg,
     "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 "
     "THEN 1 ELSE 2 END; SELECT 3; END; SELECT f(1)",
     {"CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 "
      "THEN 1 ELSE 2 END; SELECT 3; END",
      "SELECT f(1)"}},
    {"PgBeginTransactionSplits", kPg, "BEGIN; SELECT 1; END", {"BEGIN", "SELECT 1", "END"}},
};

INSTANTIATE_TEST_SUITE_P(Cases, SplitTest, testing::ValuesIn(kSplitCases),
                         [](const testing::TestParamInfo<SplitCase>& i) { return i.param.name; });

TEST(SplitOptionsTest, PgStandardConformingStringsOff) {
  LexOptions o;
  o.dialect = Dialect::kPostgresql;
  o.standard_conforming_strings = false;
  const auto got = SplitStatements(o, R"(SELECT 'a\';'; SELECT 2)");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], R"(SELECT 'a\';')");
}

TEST(SplitOptionsTest, MysqlAnsiQuotesMakesDoubleQuoteAnIdentifier) {
  LexOptions o;
  o.ansi_quotes = true;
  // Under ANSI_QUOTES a backslash inside "..." is a plain character.
  const auto got = SplitStatements(o, R"(SELECT "a\"; SELECT 2)");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1], "SELECT 2");
}

TEST(SplitOptionsTest, MysqlNoBackslashEscapes) {
  LexOptions o;
  o.no_backslash_escapes = true;
  const auto got = SplitStatements(o, R"(SELECT 'a\'; SELECT 2)");
  ASSERT_EQ(got.size(), 2u);
}

TEST(SplitRandomTest, RandomBytesNeverCrashAndStayInside) {
  uint64_t state = 88172645463325252ull;
  std::string buf;
  const char alphabet[] = "';\"`$/*-#\\!\nEeabc 01()M?@";
  for (int iter = 0; iter < 20000; ++iter) {
    buf.clear();
    const int len = iter % 64;
    for (int i = 0; i < len; ++i) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      buf.push_back(iter % 2 ? alphabet[state % (sizeof(alphabet) - 1)]
                             : static_cast<char>(state & 0xff));
    }
    for (Dialect d : {Dialect::kMysql, Dialect::kPostgresql}) {
      for (std::string_view s : SplitStatements(d, buf)) {
        ASSERT_FALSE(s.empty());
        ASSERT_GE(s.data(), buf.data());
        ASSERT_LE(s.data() + s.size(), buf.data() + buf.size());
      }
    }
  }
}

}  // namespace
}  // namespace dbaudit::sensor::sql
