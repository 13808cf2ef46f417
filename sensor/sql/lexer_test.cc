#include "sensor/sql/lexer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace dbaudit::sensor::sql {
namespace {

// Renders tokens as "kind:text" so a table row reads like the lexer's output.
std::string Render(Dialect d, std::string_view sql, LexOptions o = {}) {
  o.dialect = d;
  std::vector<Token> tokens;
  Tokenize(sql, o, &tokens);
  static const char* kNames[] = {"end", "w",  "qi", "s", "n", "p", "v",
                                 "op",  "(",  ")",  ",", ".", ";", "c"};
  std::string out;
  for (const Token& t : tokens) {
    if (!out.empty()) out += ' ';
    out += kNames[static_cast<int>(t.kind)];
    out += ':';
    out += t.Text(sql);
    if (t.flags & kUnterminated) out += "!";
  }
  return out;
}

struct LexCase {
  const char* name;
  Dialect dialect;
  std::string sql;
  std::string want;
};

class LexTest : public testing::TestWithParam<LexCase> {};

TEST_P(LexTest, Tokens) {
  EXPECT_EQ(Render(GetParam().dialect, GetParam().sql), GetParam().want);
}

constexpr Dialect kMy = Dialect::kMysql;
constexpr Dialect kPg = Dialect::kPostgresql;

const LexCase kLexCases[] = {
    {"Words", kMy, "SELECT a FROM t", "w:SELECT w:a w:FROM w:t"},
    {"QualifiedBackticks", kMy, "`db`.`t x`", "qi:`db` .:. qi:`t x`"},
    {"MysqlDoubleQuoteIsString", kMy, R"("a\"b")", R"(s:"a\"b")"},
    {"PgDoubleQuoteIsIdent", kPg, R"("a""b".c)", R"(qi:"a""b" .:. w:c)"},
    {"HexAndBitLiterals", kMy, "0x1F X'AB' b'01' 0b11", "n:0x1F s:X'AB' s:b'01' n:0b11"},
    {"Numbers", kPg, "1 1.5 .5 1e10 2.5E-3", "n:1 n:1.5 n:.5 n:1e10 n:2.5E-3"},
    {"Introducer", kMy, "_utf8mb4'x' N'y'", "s:_utf8mb4'x' s:N'y'"},
    {"PgEscapeString", kPg, R"(E'\'' 'a\')", R"(s:E'\'' s:'a\')"},
    {"PgUnicodeString", kPg, R"(U&'d\0061t' U&"x")", R"(s:U&'d\0061t' qi:U&"x")"},
    {"DollarQuote", kPg, "$fn$ x $ y $fn$ $$z$$", "s:$fn$ x $ y $fn$ s:$$z$$"},
    {"PgParams", kPg, "$1 + $12", "p:$1 op:+ p:$12"},
    {"MysqlParams", kMy, "a = ? AND b = ?", "w:a op:= p:? w:AND w:b op:= p:?"},
    {"PgJsonbQuestionIsOperator", kPg, "a ? 'k'", "w:a op:? s:'k'"},
    {"Variables", kMy, "@x @@global.v @'q'", "v:@x v:@@global.v v:@'q'"},
    {"MultiCharOps", kMy, "a<=>b<>c!=d||e", "w:a op:<=> w:b op:<> w:c op:!= w:d op:|| w:e"},
    {"PgCast", kPg, "a::int", "w:a op::: w:int"},
    {"SignedLiteralSplits", kMy, "a=-1", "w:a op:= op:- n:1"},
    {"MysqlVersionComment", kMy, "/*!50000 UNION*/ SELECT", "c:/*!50000 w:UNION c:*/ w:SELECT"},
    {"MariadbVersionComment", kMy, "/*M!100100 x */", "c:/*M!100100 w:x c:*/"},
    {"PgNestedComment", kPg, "/* a /* b */ c */ x", "c:/* a /* b */ c */ w:x"},
    {"MysqlHash", kMy, "a # b\nc", "w:a c:# b w:c"},
    {"UnterminatedString", kMy, "'abc", "s:'abc!"},
    {"UnterminatedComment", kPg, "/* /* */", "c:/* /* */!"},
    {"UnterminatedDollar", kPg, "$q$ abc", "s:$q$ abc!"},
    {"TrailingBackslash", kMy, "'ab\\", "s:'ab\\!"},
    {"Punctuation", kPg, "f(a, b);", "w:f (:( w:a ,:, w:b ):) ;:;"},
    {"DollarInMysqlIdent", kMy, "$a a$b", "w:$a w:a$b"},
};

INSTANTIATE_TEST_SUITE_P(Cases, LexTest, testing::ValuesIn(kLexCases),
                         [](const testing::TestParamInfo<LexCase>& i) { return i.param.name; });

TEST(LexOptionsTest, PgStandardConformingStringsOffEscapesBackslash) {
  LexOptions o;
  o.standard_conforming_strings = false;
  EXPECT_EQ(Render(kPg, R"('a\'b' c)", o), R"(s:'a\'b' w:c)");
}

TEST(LexOptionsTest, MysqlAnsiQuotes) {
  LexOptions o;
  o.ansi_quotes = true;
  EXPECT_EQ(Render(kMy, R"("a\" b)", o), R"(qi:"a\" w:b)");
}

TEST(LexKeywordTest, EqualsKeywordIgnoresAsciiCase) {
  EXPECT_TRUE(EqualsKeyword("SeLeCt", "select"));
  EXPECT_FALSE(EqualsKeyword("selec", "select"));
  EXPECT_FALSE(EqualsKeyword("selects", "select"));
}

}  // namespace
}  // namespace dbaudit::sensor::sql
