// query_type and operated objects, table-driven per dialect.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sensor/sql/analyzer.h"
#include "sensor/sql/sql_test_utils.h"

namespace dbaudit::sensor::sql {
namespace {

constexpr Dialect kMy = Dialect::kMysql;
constexpr Dialect kPg = Dialect::kPostgresql;

struct TypeCase {
  const char* name;
  Dialect dialect;
  const char* sql;
  const char* want;
};

class QueryTypeTest : public testing::TestWithParam<TypeCase> {};

TEST_P(QueryTypeTest, Classifies) {
  Analyzer analyzer(0);
  EXPECT_EQ(analyzer.Analyze(GetParam().dialect, GetParam().sql).query_type, GetParam().want)
      << GetParam().sql;
}

const TypeCase kTypeCases[] = {
    {"MySelect", kMy, "SELECT 1", "SELECT"},
    {"PgParenthesisedSelect", kPg, "(SELECT a FROM t) UNION (SELECT b FROM u)", "SELECT"},
    {"PgValues", kPg, "VALUES (1), (2)", "SELECT"},
    {"PgTable", kPg, "TABLE accounts", "SELECT"},
    {"MyForUpdate", kMy, "SELECT * FROM t WHERE id = 1 FOR UPDATE", "SELECT_FOR_UPDATE"},
    {"PgForNoKeyUpdate", kPg, "SELECT * FROM t FOR NO KEY UPDATE SKIP LOCKED", "SELECT_FOR_UPDATE"},
    {"PgForShareIsSelect", kPg, "SELECT * FROM t FOR SHARE", "SELECT"},
    {"SubqueryForUpdateDoesNotCount", kPg, "SELECT * FROM (SELECT * FROM t FOR UPDATE) x",
     "SELECT"},
    {"MyInsert", kMy, "INSERT INTO t (a) VALUES (1)", "INSERT"},
    {"MyInsertSet", kMy, "INSERT INTO t SET a = 1", "INSERT"},
    {"MyInsertSelect", kMy, "INSERT INTO t SELECT * FROM u", "INSERT_SELECT"},
    {"PgInsertParenSelect", kPg, "INSERT INTO t (a) (SELECT a FROM u)", "INSERT_SELECT"},
    {"PgInsertWithSelect", kPg, "INSERT INTO t WITH x AS (SELECT 1) SELECT * FROM x",
     "INSERT_SELECT"},
    {"PgCteThenInsertSelect", kPg, "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
     "INSERT_SELECT"},
    {"PgInsertDefaultValues", kPg, "INSERT INTO t DEFAULT VALUES", "INSERT"},
    {"MyReplace", kMy, "REPLACE INTO t VALUES (1)", "REPLACE"},
    {"MyUpdate", kMy, "UPDATE LOW_PRIORITY t SET a = 1", "UPDATE"},
    {"PgDelete", kPg, "DELETE FROM t WHERE a = 1", "DELETE"},
    {"PgCteThenUpdate", kPg, "WITH x AS (SELECT 1) UPDATE t SET a = 1", "UPDATE"},
    {"MyCreateTable", kMy, "create table test(name varchar(1000), age int)", "CREATE_TABLE"},
    {"PgCreateTempTable", kPg, "CREATE TEMP TABLE t (a int)", "CREATE_TABLE"},
    {"PgCreateUnloggedTableAs", kPg, "CREATE UNLOGGED TABLE t AS SELECT 1", "CREATE_TABLE"},
    {"MyCreateTablespace", kMy, "CREATE TABLESPACE ts ADD DATAFILE 'ts.ibd'", "CREATE_TABLESPACE"},
    {"PgDropTablespace", kPg, "DROP TABLESPACE IF EXISTS ts", "DROP_TABLESPACE"},
    {"MyDropTable", kMy, "DROP TABLE IF EXISTS a, b", "DROP_TABLE"},
    {"MyDropTemporaryTable", kMy, "DROP TEMPORARY TABLE t", "DROP_TABLE"},
    {"MyCreateUser", kMy, "CREATE USER 'u'@'%' IDENTIFIED BY 'x'", "CREATE_USER"},
    {"PgCreateRole", kPg, "CREATE ROLE r LOGIN", "CREATE_ROLE"},
    {"MyDropUser", kMy, "DROP USER IF EXISTS 'u'@'%'", "DROP_USER"},
    {"MyAlterUser", kMy, "ALTER USER 'u'@'%' IDENTIFIED BY 'y'", "ALTER_USER"},
    {"MySetPassword", kMy, "SET PASSWORD FOR 'u'@'%' = 'y'", "ALTER_USER"},
    {"MyGrant", kMy, "GRANT SELECT ON db.* TO 'u'@'%'", "GRANT"},
    {"PgRevoke", kPg, "REVOKE ALL ON TABLE t FROM bob", "REVOKE"},
    {"PgAlterTable", kPg, "ALTER TABLE ONLY t ADD COLUMN c int", "ALTER_TABLE"},
    {"MyAlterIgnoreTable", kMy, "ALTER IGNORE TABLE t ADD UNIQUE (a)", "ALTER_TABLE"},
    {"PgTruncate", kPg, "TRUNCATE t RESTART IDENTITY", "TRUNCATE"},
    {"MyCreateUniqueIndex", kMy, "CREATE UNIQUE INDEX i ON t (a)", "CREATE_INDEX"},
    {"PgDropIndexConcurrently", kPg, "DROP INDEX CONCURRENTLY IF EXISTS i", "DROP_INDEX"},
    {"MyCreateSchemaIsDatabase", kMy, "CREATE SCHEMA s", "CREATE_DATABASE"},
    {"PgCreateSchema", kPg, "CREATE SCHEMA IF NOT EXISTS s", "CREATE_SCHEMA"},
    {"MyCreateDatabase", kMy, "CREATE DATABASE IF NOT EXISTS shop", "CREATE_DATABASE"},
    {"PgDropDatabase", kPg, "DROP DATABASE shop", "DROP_DATABASE"},
    {"MyCreateOrReplaceView", kMy,
     "CREATE OR REPLACE ALGORITHM=MERGE DEFINER=`root`@`%` SQL SECURITY INVOKER VIEW v AS "
     "SELECT 1",
     "CREATE_VIEW"},
    {"PgCreateMaterializedView", kPg, "CREATE MATERIALIZED VIEW v AS SELECT 1", "CREATE_VIEW"},
    {"PgDropView", kPg, "DROP VIEW v", "DROP_VIEW"},
    {"PgCreateFunction", kPg, "CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
     "CREATE_FUNCTION"},
    {"MyCreateProcedure", kMy, "CREATE PROCEDURE p() BEGIN SELECT 1; END", "CREATE_PROCEDURE"},
    {"MyCreateTrigger", kMy, "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
     "CREATE_TRIGGER"},
    {"PgCreateExtension", kPg, "CREATE EXTENSION IF NOT EXISTS pgcrypto", "CREATE_EXTENSION"},
    {"UnknownCreateKind", kPg, "CREATE CAST (int AS text) WITH INOUT", "CREATE"},
    {"MyRenameTable", kMy, "RENAME TABLE a TO b", "RENAME_TABLE"},
    {"MyCall", kMy, "CALL p(1)", "CALL"},
    {"MySet", kMy, "SET NAMES utf8mb4", "SET"},
    {"PgReset", kPg, "RESET ALL", "SET"},
    {"MyShow", kMy, "SHOW TABLES", "SHOW"},
    {"MyUse", kMy, "USE shop", "USE"},
    {"MyBegin", kMy, "BEGIN", "BEGIN"},
    {"MyStartTransaction", kMy, "START TRANSACTION READ ONLY", "BEGIN"},
    {"PgEndIsCommit", kPg, "END", "COMMIT"},
    {"PgAbortIsRollback", kPg, "ABORT", "ROLLBACK"},
    {"MyRollbackToSavepoint", kMy, "ROLLBACK TO SAVEPOINT s", "ROLLBACK"},
    {"PgSavepoint", kPg, "SAVEPOINT s", "SAVEPOINT"},
    {"PgRelease", kPg, "RELEASE SAVEPOINT s", "SAVEPOINT"},
    {"PgCopy", kPg, "COPY t FROM STDIN", "COPY"},
    {"MyLoadData", kMy, "LOAD DATA LOCAL INFILE 'f.csv' INTO TABLE t", "LOAD"},
    {"PgMerge", kPg, "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", "MERGE"},
    {"MyExplain", kMy, "EXPLAIN FORMAT=JSON SELECT 1", "EXPLAIN"},
    {"MyDescribe", kMy, "DESCRIBE t", "EXPLAIN"},
    {"PgPrepare", kPg, "PREPARE q (int) AS SELECT $1", "PREPARE"},
    {"MyPrepare", kMy, "PREPARE s FROM 'SELECT 1'", "PREPARE"},
    {"PgExecute", kPg, "EXECUTE q (1)", "EXECUTE"},
    {"MyDeallocate", kMy, "DEALLOCATE PREPARE s", "DEALLOCATE"},
    {"MyLockTables", kMy, "LOCK TABLES t READ", "LOCK"},
    {"MyUnlockTables", kMy, "UNLOCK TABLES", "UNLOCK"},
    {"PgDeclareCursor", kPg, "DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t", "SELECT"},
    {"PgVacuumIsOther", kPg, "VACUUM ANALYZE t", "OTHER"},
    {"EmptyIsOther", kMy, "", "OTHER"},
    {"CommentOnlyIsOther", kPg, "/* nothing */", "OTHER"},
    {"LeadingCommentSkipped", kMy, "/* app */ -- x\n DELETE FROM t", "DELETE"},
    {"VersionCommentIsCode", kMy, "/*!40101 SET NAMES utf8 */", "SET"},
    {"MultiStatementTakesFirst", kMy, "UPDATE t SET a = 1; SELECT 1", "UPDATE"},
};

INSTANTIATE_TEST_SUITE_P(Cases, QueryTypeTest, testing::ValuesIn(kTypeCases),
                         [](const testing::TestParamInfo<TypeCase>& i) { return i.param.name; });

struct ObjectCase {
  const char* name;
  Dialect dialect;
  const char* sql;
  std::vector<std::string> want;  // schema|table|column|object_type|sql_type
};

class ObjectsTest : public testing::TestWithParam<ObjectCase> {};

TEST_P(ObjectsTest, FindsObjects) {
  Analyzer analyzer(0);
  EXPECT_EQ(RenderObjects(analyzer.Analyze(GetParam().dialect, GetParam().sql).objects),
            GetParam().want)
      << GetParam().sql;
}

const ObjectCase kObjectCases[] = {
    {"QualifiedBackticks", kMy, "SELECT * FROM `shop`.`order items` oi", {"shop|order items||TABLE|SELECT"}},
    {"PgFoldsUnquotedKeepsQuoted", kPg, "SELECT * FROM Public.\"Users\"", {"public|Users||TABLE|SELECT"}},
    {"PgCatalogSchemaTable", kPg, "SELECT * FROM db.s.t", {"s|t||TABLE|SELECT"}},
    {"Joins", kMy,
     "SELECT * FROM a JOIN b ON a.id = b.id LEFT OUTER JOIN c USING (id) CROSS JOIN d, e AS x",
     {"|a||TABLE|SELECT", "|b||TABLE|SELECT", "|c||TABLE|SELECT", "|d||TABLE|SELECT",
      "|e||TABLE|SELECT"}},
    {"ParenthesisedJoin", kPg, "SELECT * FROM (a JOIN b ON a.x = b.x) JOIN c ON true",
     {"|a||TABLE|SELECT", "|b||TABLE|SELECT", "|c||TABLE|SELECT"}},
    {"SubqueriesEverywhere", kPg,
     "SELECT (SELECT max(x) FROM s1) FROM t WHERE id IN (SELECT id FROM s2) AND EXISTS "
     "(SELECT 1 FROM s3 WHERE s3.a = t.a)",
     {"|s1||TABLE|SELECT", "|t||TABLE|SELECT", "|s2||TABLE|SELECT", "|s2|id|COLUMN|SELECT",
      "|s3||TABLE|SELECT"}},
    {"FunctionFromIsNotATable", kPg, "SELECT extract(year FROM d), trim(both 'x' FROM s) FROM t",
     {"|t||TABLE|SELECT"}},
    {"TableFunctionIsNotATable", kPg, "SELECT * FROM generate_series(1, 3) g, t",
     {"|t||TABLE|SELECT"}},
    {"CteNamesAreNotTables", kPg,
     "WITH a AS (SELECT * FROM t1), b (x) AS (SELECT x FROM a JOIN t2 ON true) SELECT * FROM b",
     {"|t1||TABLE|SELECT", "|t2||TABLE|SELECT"}},
    {"DataModifyingCte", kPg,
     "WITH d AS (DELETE FROM q WHERE id = 1 RETURNING *) INSERT INTO log SELECT * FROM d",
     {"|q||TABLE|DELETE", "|log||TABLE|INSERT"}},
    {"InsertColumns", kMy, "INSERT INTO t (a, `b`) VALUES (1, 2)",
     {"|t||TABLE|INSERT", "|t|a|COLUMN|INSERT", "|t|b|COLUMN|INSERT"}},
    {"InsertSelect", kPg, "INSERT INTO s.t SELECT * FROM u JOIN v ON u.id = v.id",
     {"s|t||TABLE|INSERT", "|u||TABLE|SELECT", "|v||TABLE|SELECT"}},
    {"InsertValuesSubquery", kMy, "INSERT INTO t VALUES ((SELECT max(id) FROM u))",
     {"|t||TABLE|INSERT", "|u||TABLE|SELECT"}},
    {"UpdateSingle", kPg, "UPDATE t SET a = 1, b = (SELECT 2 FROM u) WHERE c = 3",
     {"|t||TABLE|UPDATE", "|t|a|COLUMN|UPDATE", "|t|b|COLUMN|UPDATE", "|u||TABLE|SELECT"}},
    {"MyMultiTableUpdate", kMy, "UPDATE t1 a JOIN t2 b ON a.id = b.id SET a.x = b.y",
     {"|t1||TABLE|UPDATE", "|t2||TABLE|SELECT", "|t1|x|COLUMN|UPDATE"}},
    {"PgUpdateFrom", kPg, "UPDATE t SET a = u.a FROM u WHERE t.id = u.id",
     {"|t||TABLE|UPDATE", "|t|a|COLUMN|UPDATE", "|u||TABLE|SELECT"}},
    {"DeleteSingle", kMy, "DELETE FROM t WHERE id IN (SELECT id FROM u)",
     {"|t||TABLE|DELETE", "|u||TABLE|SELECT", "|u|id|COLUMN|SELECT"}},
    {"MyMultiDeleteByAlias", kMy, "DELETE a FROM t1 AS a JOIN t2 b ON a.id = b.id",
     {"|t1||TABLE|DELETE", "|t2||TABLE|SELECT"}},
    {"MyMultiDeleteUsing", kMy, "DELETE FROM t1, t2 USING t1 JOIN t2 JOIN t3",
     {"|t1||TABLE|DELETE", "|t2||TABLE|DELETE", "|t3||TABLE|SELECT"}},
    {"PgDeleteUsing", kPg, "DELETE FROM t USING u WHERE t.id = u.id",
     {"|u||TABLE|SELECT", "|t||TABLE|DELETE"}},
    {"CreateTableAsSelect", kMy, "CREATE TABLE n AS SELECT * FROM o",
     {"|n||TABLE|CREATE_TABLE", "|o||TABLE|SELECT"}},
    {"CreateTableLike", kMy, "CREATE TABLE n LIKE o", {"|n||TABLE|CREATE_TABLE", "|o||TABLE|SELECT"}},
    {"CreateIndex", kPg, "CREATE INDEX CONCURRENTLY i ON s.t USING btree (a)",
     {"s|i||INDEX|CREATE_INDEX", "s|t||TABLE|CREATE_INDEX"}},
    {"MyDropIndexOn", kMy, "DROP INDEX i ON t", {"|i||INDEX|DROP_INDEX", "|t||TABLE|DROP_INDEX"}},
    {"CreateView", kPg, "CREATE VIEW v AS SELECT * FROM t",
     {"|v||VIEW|CREATE_VIEW", "|t||TABLE|SELECT"}},
    {"DropTables", kPg, "DROP TABLE IF EXISTS a, s.b CASCADE",
     {"|a||TABLE|DROP_TABLE", "s|b||TABLE|DROP_TABLE"}},
    {"Database", kMy, "CREATE DATABASE shop", {"shop|||DATABASE|CREATE_DATABASE"}},
    {"UseDatabase", kMy, "USE `shop`", {"shop|||DATABASE|USE"}},
    {"Users", kMy, "CREATE USER 'a'@'%' IDENTIFIED BY 'x', b@localhost",
     {"|a@%||USER|CREATE_USER", "|b@localhost||USER|CREATE_USER"}},
    {"GrantOnTable", kMy, "GRANT SELECT, UPDATE (a) ON shop.t TO 'u'@'%' WITH GRANT OPTION",
     {"shop|t||TABLE|GRANT", "|u@%||USER|GRANT"}},
    {"GrantAllTablesInSchema", kPg, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO app",
     {"public|||SCHEMA|GRANT", "|app||USER|GRANT"}},
    {"GrantRole", kPg, "GRANT admin TO alice", {"|admin||ROLE|GRANT", "|alice||USER|GRANT"}},
    {"Truncate", kMy, "TRUNCATE TABLE a", {"|a||TABLE|TRUNCATE"}},
    {"LockTables", kMy, "LOCK TABLES a READ, b AS x WRITE",
     {"|a||TABLE|LOCK", "|b||TABLE|LOCK"}},
    {"Call", kMy, "CALL shop.refresh(1)", {"shop|refresh||PROCEDURE|CALL"}},
    {"CopyQuery", kPg, "COPY (SELECT * FROM t) TO STDOUT", {"|t||TABLE|SELECT"}},
    {"Merge", kPg, "MERGE INTO t USING (SELECT * FROM s) src ON t.id = src.id WHEN MATCHED THEN DELETE",
     {"|t||TABLE|MERGE", "|s||TABLE|SELECT"}},
    {"ExplainKeepsInnerObjects", kPg, "EXPLAIN ANALYZE DELETE FROM t", {"|t||TABLE|DELETE"}},
    {"UnionBranches", kMy, "SELECT a FROM t UNION ALL SELECT b FROM u",
     {"|t||TABLE|SELECT", "|u||TABLE|SELECT", "|t|a|COLUMN|SELECT", "|u|b|COLUMN|SELECT"}},
    {"SelectColumns", kPg,
     "SELECT DISTINCT u.name, o.total AS t, n, count(*), 1, NULL FROM users u JOIN s.orders o ON true",
     {"|users||TABLE|SELECT", "s|orders||TABLE|SELECT", "|users|name|COLUMN|SELECT",
      "s|orders|total|COLUMN|SELECT"}},
    {"SelectColumnsSingleTable", kMy, "SELECT `id`, email e, t.pw FROM t",
     {"|t||TABLE|SELECT", "|t|id|COLUMN|SELECT", "|t|email|COLUMN|SELECT", "|t|pw|COLUMN|SELECT"}},
    {"IndexHintsAndPartition", kMy,
     "SELECT * FROM t PARTITION (p0) AS x FORCE INDEX (PRIMARY) JOIN u USE KEY FOR JOIN (i) ON true",
     {"|t||TABLE|SELECT", "|u||TABLE|SELECT"}},
    {"DualIsNotATable", kMy, "SELECT 1 FROM dual", {}},
    {"MultiStatementUnion", kMy, "INSERT INTO a VALUES (1); DELETE FROM b",
     {"|a||TABLE|INSERT", "|b||TABLE|DELETE"}},
};

INSTANTIATE_TEST_SUITE_P(Cases, ObjectsTest, testing::ValuesIn(kObjectCases),
                         [](const testing::TestParamInfo<ObjectCase>& i) { return i.param.name; });

TEST(QueryTypeFormTest, NormalizeAcceptsBothForms) {
  EXPECT_EQ(NormalizeQueryType("CREATE TABLE"), "CREATE_TABLE");
  EXPECT_EQ(NormalizeQueryType("create_table"), "CREATE_TABLE");
  EXPECT_EQ(NormalizeQueryType("  Select for  update "), "SELECT_FOR_UPDATE");
  EXPECT_EQ(NormalizeQueryType("INSERT_SELECT"), "INSERT_SELECT");
}

}  // namespace
}  // namespace dbaudit::sensor::sql
