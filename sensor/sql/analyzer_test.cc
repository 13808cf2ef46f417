// Fingerprints, the cache, ClassifyingSink, secret redaction and the no-crash loop.
#include "sensor/sql/analyzer.h"

#include <string>
#include <vector>

#include "common/metrics.h"
#include "gtest/gtest.h"
#include "sensor/sql/fingerprint.h"
#include "sensor/sql/pg_parse.h"
#include "sensor/sql/sql_test_utils.h"

namespace dbaudit::sensor::sql {
namespace {

constexpr Dialect kMy = Dialect::kMysql;
constexpr Dialect kPg = Dialect::kPostgresql;

struct FingerprintCase {
  const char* name;
  Dialect dialect;
  const char* sql;
  const char* want;
};

class FingerprintTest : public testing::TestWithParam<FingerprintCase> {};

TEST_P(FingerprintTest, Normalises) {
  Analyzer analyzer(0);
  EXPECT_EQ(analyzer.Analyze(GetParam().dialect, GetParam().sql).fingerprint, GetParam().want);
}

const FingerprintCase kFingerprintCases[] = {
    {"Literals", kMy, "SELECT c FROM sbtest1 WHERE id=5021 AND s = 'x' AND f = 1.5e3",
     "select c from sbtest1 where id = ? and s = ? and f = ?"},
    {"SignedNumber", kPg, "UPDATE a SET b = b + -4213 WHERE c = -1", "update a set b = b + ? where c = ?"},
    {"BinaryMinusKept", kPg, "SELECT a - 1 FROM t", "select a - ? from t"},
    {"InListCollapsed", kMy, "SELECT * FROM t WHERE id IN (1, 2, -3, 'x', NULL)",
     "select * from t where id in (...)"},
    {"InSubqueryKept", kMy, "SELECT * FROM t WHERE id IN (SELECT id FROM u)",
     "select * from t where id in (select id from u)"},
    {"ValuesRowsCollapsed", kMy, "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')",
     "insert into t(a, b) values (?, ?)"},
    {"CommentsDropped", kPg, "/* app */ SELECT 1 -- trailing\n FROM t /* x /* nested */ */",
     "select ? from t"},
    {"VersionCommentCodeKept", kMy, "SELECT /*!40001 SQL_NO_CACHE */ * FROM t",
     "select sql_no_cache * from t"},
    {"QuotedNamesUnquotedAndLowered", kMy, "SELECT `Col` FROM `Db`.`T`", "select col from db.t"},
    {"DollarAndEscapeStrings", kPg, "SELECT $a$x$a$, E'\\n', U&'d', B'01', X'1F'",
     "select ?, ?, ?, ?, ?"},
    {"ParamsBecomeQuestionMarks", kPg, "SELECT * FROM t WHERE a = $1 AND b = $2",
     "select * from t where a = ? and b = ?"},
    {"BooleansAreLiterals", kPg, "SELECT * FROM t WHERE a = TRUE OR b = false",
     "select * from t where a = ? or b = ?"},
    {"NotEqualsUnified", kMy, "SELECT 1 FROM t WHERE a != 1", "select ? from t where a <> ?"},
    {"CastGlued", kPg, "SELECT '1' :: int", "select ?::int"},
    {"MultiStatement", kMy, "SELECT 1; SELECT 2;", "select ?; select ?"},
    {"TrailingSemicolonDropped", kPg, "COMMIT;", "commit"},
};

INSTANTIATE_TEST_SUITE_P(Cases, FingerprintTest, testing::ValuesIn(kFingerprintCases),
                         [](const testing::TestParamInfo<FingerprintCase>& i) { return i.param.name; });

// Statements of one shape written the way each dialect and driver spells them.
TEST(FingerprintIdTest, SameShapeAcrossDialectQuirks) {
  Analyzer analyzer;
  const uint64_t id = analyzer.Analyze(kMy, "SELECT `name` FROM `users` WHERE `id` = 7").fingerprint_id;
  EXPECT_EQ(analyzer.Analyze(kPg, "SELECT \"name\" FROM \"users\" WHERE \"id\" = $1").fingerprint_id, id);
  EXPECT_EQ(analyzer.Analyze(kMy, "select name\n\tfrom users where id=?;").fingerprint_id, id);
  EXPECT_EQ(analyzer.Analyze(kPg, "SELECT name FROM users /* c */ WHERE id = -42").fingerprint_id, id);
  EXPECT_EQ(analyzer.Analyze(kMy, "SELECT name FROM users WHERE id = \"7\"").fingerprint_id, id);
  EXPECT_NE(analyzer.Analyze(kMy, "SELECT name FROM users WHERE uid = 7").fingerprint_id, id);
  EXPECT_EQ(analyzer.Analyze(kMy, "SELECT a FROM t LIMIT 10, 20").fingerprint,
            analyzer.Analyze(kPg, "SELECT a FROM t LIMIT 20 OFFSET 10").fingerprint);
}

TEST(FingerprintIdTest, IsPlainFnv1aOfTheText) {
  // Reference values of FNV-1a 64 (offset 0xcbf29ce484222325, prime 0x100000001b3).
  EXPECT_EQ(FingerprintId(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(FingerprintId("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(FingerprintId("abc"), 0xe71fa2190541574bull);
  Analyzer analyzer;
  const Analysis a = analyzer.Analyze(kPg, "SELECT 1");
  EXPECT_EQ(a.fingerprint_id, FingerprintId(a.fingerprint));
}

TEST(AnalyzerCacheTest, RepeatedShapeIsServedFromCache) {
  Counter* hits = MetricsRegistry::Default().GetCounter("dbaudit_sql_cache_hits_total", "");
  Analyzer analyzer(16);
  const uint64_t before = hits->Value();
  const Analysis first = analyzer.Analyze(kMy, "SELECT c FROM sbtest1 WHERE id=1");
  const Analysis second = analyzer.Analyze(kMy, "SELECT c FROM sbtest1 WHERE id=2");
  EXPECT_EQ(hits->Value() - before, 1u);
  EXPECT_EQ(second.fingerprint_id, first.fingerprint_id);
  EXPECT_EQ(RenderObjects(second.objects), RenderObjects(first.objects));
}

TEST(AnalyzerCacheTest, CacheKeepsWhatTheFingerprintDrops) {
  Analyzer analyzer(16);
  // Same fingerprint, different spelling of the names: objects must follow the text.
  analyzer.Analyze(kPg, "SELECT * FROM public.users WHERE id = 1");
  EXPECT_EQ(RenderObjects(analyzer.Analyze(kPg, "SELECT * FROM \"Public\".\"Users\" WHERE id = 1").objects),
            std::vector<std::string>{"Public|Users||TABLE|SELECT"});
  // Same fingerprint, but a comment cuts the statement short / a hex literal spells text.
  EXPECT_EQ(analyzer.Analyze(kMy, "SELECT * FROM u WHERE n = 'a'").injection_score, 0);
  EXPECT_GT(analyzer.Analyze(kMy, "SELECT * FROM u WHERE n = 'a'-- ' AND p = 'x'").injection_score, 0);
  EXPECT_EQ(analyzer.Analyze(kMy, "SELECT * FROM u WHERE n = 0x01").injection_score, 0);
  EXPECT_GT(analyzer.Analyze(kMy, "SELECT * FROM u WHERE n = 0x61646d696e").injection_score, 0);
}

TEST(CommentTruncationTest, OnlyACommentThatCutsCodeOffCounts) {
  Analyzer analyzer;
  EXPECT_EQ(analyzer.Analyze(kPg, "SELECT now(); -- heartbeat").injection_score, 0);
  EXPECT_EQ(analyzer.Analyze(kMy, "SELECT a -- the a column\nFROM t").injection_score, 0);
  EXPECT_EQ(analyzer.Analyze(kMy, "SELECT a FROM t /* trailing, closed */").injection_score, 0);
  EXPECT_EQ(analyzer.Analyze(kMy, "SELECT a FROM t WHERE n = 'x'-- ").injection_signals,
            std::vector<std::string>{"comment_truncation"});
  EXPECT_EQ(analyzer.Analyze(kMy, "SELECT a FROM t WHERE n = 'x'# ' AND p = 'y'").injection_score, 45);
  EXPECT_EQ(analyzer.Analyze(kMy, "SELECT a FROM t WHERE n = 'x' /* ").injection_signals,
            std::vector<std::string>{"comment_truncation"});
}

TEST(AnalyzerCacheTest, BoundedCacheStaysCorrect) {
  Counter* evictions = MetricsRegistry::Default().GetCounter("dbaudit_sql_cache_evictions_total", "");
  const uint64_t before = evictions->Value();
  Analyzer analyzer(8);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 50; ++i) {
      const std::string table = "t" + std::to_string(i);
      const Analysis a = analyzer.Analyze(kMy, "DELETE FROM " + table + " WHERE id = 1");
      ASSERT_EQ(RenderObjects(a.objects), std::vector<std::string>{"|" + table + "||TABLE|DELETE"});
    }
  }
  EXPECT_GT(evictions->Value() - before, 0u);
}

TEST(RedactTest, AccountSecretsAreReplaced) {
  std::string sql = "CREATE USER 'bob'@'%' IDENTIFIED BY 'S3cr3t!', 'al'@'h' IDENTIFIED WITH "
                    "mysql_native_password AS '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'";
  EXPECT_TRUE(RedactSecrets(kMy, &sql));
  EXPECT_EQ(sql, "CREATE USER 'bob'@'%' IDENTIFIED BY '***', 'al'@'h' IDENTIFIED WITH "
                 "mysql_native_password AS '***'");
  std::string pg = "ALTER ROLE app WITH ENCRYPTED PASSWORD 'pw''s'";
  EXPECT_TRUE(RedactSecrets(kPg, &pg));
  EXPECT_EQ(pg, "ALTER ROLE app WITH ENCRYPTED PASSWORD '***'");
  std::string set = "SET PASSWORD FOR 'u'@'%' = PASSWORD('old style')";
  EXPECT_TRUE(RedactSecrets(kMy, &set));
  EXPECT_EQ(set.find("old style"), std::string::npos);
  std::string plain = "SELECT 'by' FROM t";
  EXPECT_FALSE(RedactSecrets(kMy, &plain));
}

TEST(ClassifyingSinkTest, FillsStatementRecordsAndPassesEverythingOn) {
  CollectingSink out;
  ClassifyingSink sink(&out);
  Record login;
  login.kind = RecordKind::kLogin;
  sink.Emit(Record(login));
  Record stmt;
  stmt.kind = RecordKind::kStatement;
  stmt.session.protocol = Protocol::kMysql;
  stmt.session.database = "shop";
  stmt.sql_statement = "SELECT * FROM users u JOIN crm.notes n ON n.uid = u.id WHERE u.id = 1 OR 1=1";
  sink.Emit(Record(stmt));
  Record pg = stmt;
  pg.session.protocol = Protocol::kPostgresql;
  pg.sql_statement = "SELECT $q$ ; $q$";
  pg.query_type = "EXECUTE";  // set by the protocol stage: kept
  sink.Emit(std::move(pg));
  Record user = stmt;
  user.sql_statement = "CREATE USER 'x'@'%' IDENTIFIED BY 'hunter2'";
  sink.Emit(std::move(user));
  sink.Flush();

  ASSERT_EQ(out.records.size(), 4u);
  EXPECT_EQ(out.flushes, 1);
  EXPECT_TRUE(out.records[0].query_type.empty());
  const Record& r = out.records[1];
  EXPECT_EQ(r.query_type, "SELECT");
  EXPECT_EQ(RenderObjects(r.operated_obj_info),
            (std::vector<std::string>{"shop|users||TABLE|SELECT", "crm|notes||TABLE|SELECT"}));
  EXPECT_EQ(r.fingerprint, "select * from users u join crm.notes n on n.uid = u.id where u.id = ? or ? = ?");
  EXPECT_EQ(r.fingerprint_id, FingerprintId(r.fingerprint));
  EXPECT_EQ(r.injection_signals, std::vector<std::string>{"tautology"});
  EXPECT_EQ(r.injection_score, 50);
  EXPECT_EQ(out.records[2].query_type, "EXECUTE");
  EXPECT_EQ(out.records[2].fingerprint, "select ?");
  EXPECT_EQ(out.records[3].query_type, "CREATE_USER");
  EXPECT_EQ(out.records[3].sql_statement.find("hunter2"), std::string::npos);
}

// The decoders report a multi-statement message one statement at a time; the sink still sees
// the stacking (batch_index/batch_size) and judges each later statement with the first.
TEST(ClassifyingSinkTest, StackedStatementsOfOneMessageAreFlagged) {
  CollectingSink out;
  ClassifyingSink sink(&out);
  auto part = [](const char* session, const char* sql, uint32_t index, uint32_t size) {
    Record r;
    r.kind = RecordKind::kStatement;
    r.session.protocol = Protocol::kMysql;
    r.session.session_id = session;
    r.command = "query";
    r.sql_statement = sql;
    r.batch_index = index;
    r.batch_size = size;
    return r;
  };
  sink.Emit(part("s-1", "SELECT * FROM users WHERE name = 'x'", 0, 2));
  sink.Emit(part("s-2", "SELECT 1", 0, 1));  // another session in between
  sink.Emit(part("s-1", "DROP TABLE users", 1, 2));
  // The same two statements sent as two messages are not stacked.
  sink.Emit(part("s-3", "SELECT * FROM users WHERE name = 'x'", 0, 1));
  sink.Emit(part("s-3", "DROP TABLE users", 0, 1));
  ASSERT_EQ(out.records.size(), 5u);
  EXPECT_TRUE(out.records[0].injection_signals.empty());
  const Record& stacked = out.records[2];
  EXPECT_NE(std::find(stacked.injection_signals.begin(), stacked.injection_signals.end(), "stacked_query"),
            stacked.injection_signals.end());
  EXPECT_GE(stacked.injection_score, 40);
  EXPECT_EQ(stacked.query_type, "DROP_TABLE");
  EXPECT_TRUE(out.records[4].injection_signals.empty());
}

TEST(ClassifyingSinkTest, NonSqlCommands) {
  CollectingSink out;
  ClassifyingSink sink(&out);
  Record r;
  r.kind = RecordKind::kStatement;
  r.session.protocol = Protocol::kMysql;
  r.command = "init_db";
  r.sql_statement = "shop";
  sink.Emit(Record(r));
  r.command = "field_list";
  r.sql_statement = "orders";
  sink.Emit(Record(r));
  r.command = "ping";
  r.sql_statement = "";
  sink.Emit(Record(r));
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_EQ(out.records[0].query_type, "USE");
  EXPECT_EQ(RenderObjects(out.records[0].operated_obj_info),
            std::vector<std::string>{"shop|||DATABASE|USE"});
  EXPECT_EQ(out.records[0].sql_statement, "shop");  // the record keeps what was on the wire
  EXPECT_EQ(out.records[1].query_type, "SHOW");
  EXPECT_TRUE(out.records[2].query_type.empty());
  EXPECT_TRUE(out.records[2].fingerprint.empty());
}

TEST(AnalyzerRandomTest, RandomBytesNeverCrash) {
  Analyzer analyzer(64);
  uint64_t state = 0x9e3779b97f4a7c15ull;
  static const char* kPieces[] = {"SELECT", " ", "'", "\"", "`", "(", ")", ";", "--", "/*", "*/",
                                  "$$", "$a$", "E'", "\\", "#", "/*!", "UNION", "WITH", "x AS",
                                  "FROM", "JOIN", "ON", "INSERT", "INTO", "UPDATE", "SET", "=",
                                  "DELETE", ",", ".", "1", "OR", "CREATE", "TABLE", "GRANT", "\n"};
  std::string buf;
  for (int iter = 0; iter < 20000; ++iter) {
    buf.clear();
    const int len = static_cast<int>(NextRandom(&state) % 48);
    for (int i = 0; i < len; ++i) {
      const uint64_t r = NextRandom(&state);
      if (iter % 2 == 0) {
        buf.push_back(static_cast<char>(r & 0xff));
      } else {
        buf += kPieces[r % (sizeof(kPieces) / sizeof(kPieces[0]))];
        buf += ' ';
      }
    }
    const Analysis a = analyzer.Analyze(iter % 3 ? kMy : kPg, buf);
    ASSERT_FALSE(a.query_type.empty());
    ASSERT_GE(a.injection_score, 0);
    ASSERT_LE(a.injection_score, 100);
  }
}

TEST(PgGrammarTest, RejectedTextIsUnparsedValidOtherIsNot) {
  if (!PgParserAvailable()) GTEST_SKIP() << "built without libpg_query";
  Analyzer analyzer;
  const Analysis junk = analyzer.Analyze(kPg, "asdf qwer zxcv");
  EXPECT_EQ(junk.query_type, "OTHER");
  EXPECT_EQ(junk.injection_signals, std::vector<std::string>{"unparsed"});
  const Analysis vacuum = analyzer.Analyze(kPg, "VACUUM (ANALYZE) t");
  EXPECT_EQ(vacuum.query_type, "OTHER");
  EXPECT_EQ(vacuum.injection_score, 0);
  // MySQL has no grammar check: an unknown statement is OTHER without a signal.
  EXPECT_EQ(analyzer.Analyze(kMy, "asdf qwer zxcv").injection_score, 0);
}

TEST(AnalyzerLimitsTest, HugeStatementIsAnalysedOnAPrefix) {
  std::string sql = "INSERT INTO t VALUES ";
  while (sql.size() < kMaxAnalyzedBytes + 100) sql += "(1, 'abc'),";
  sql += "(2, 'x')";
  Analyzer analyzer;
  const Analysis a = analyzer.Analyze(kMy, sql);
  EXPECT_EQ(a.query_type, "INSERT");
  EXPECT_EQ(a.fingerprint, "insert into t values (?, ?)");
  EXPECT_EQ(a.injection_score, 0);  // the cut-off quote is not an injection sign
}

// Runs that once cost quadratic time or unbounded recursion (a run of '(' recursed once per
// parenthesis). Not timed: finishing at all under the sanitizer preset is the check.
TEST(AnalyzerLimitsTest, HostileRunsStayBounded) {
  for (const char* piece : {"(", "CAST(", "ASCII(", "SELECT a, ", "((SELECT ", "VALUES (",
                            "IN (", "UNION SELECT 1 ", "x.* ", "FROM t JOIN u ON "}) {
    std::string sql = "SELECT ";
    while (sql.size() < (256u << 10)) sql += piece;
    for (Dialect d : {kMy, kPg}) {
      Analyzer analyzer(0);
      const Analysis a = analyzer.Analyze(d, sql);
      EXPECT_EQ(a.query_type, "SELECT") << piece;
      EXPECT_FALSE(a.fingerprint.empty());
    }
  }
}

TEST(AnalyzerLimitsTest, DeepNestingIsBounded) {
  std::string sql = "SELECT * FROM t WHERE a IN ";
  for (int i = 0; i < 5000; ++i) sql += "(SELECT a FROM t WHERE a IN ";
  sql += "(1)";
  for (int i = 0; i < 5000; ++i) sql += ")";
  Analyzer analyzer;
  EXPECT_EQ(analyzer.Analyze(kPg, sql).query_type, "SELECT");
}

}  // namespace
}  // namespace dbaudit::sensor::sql
