/* Drives a MariaDB server through libmariadb for the capture generator (generate.sh):
 * prepared statements with every parameter type, COM_STMT_SEND_LONG_DATA, a read-only cursor
 * fetched in steps, multi-statements with a failure in the middle, COM_CHANGE_USER (good and bad
 * password) and the compressed protocol.
 *
 * usage: client PORT SCENARIO   (SCENARIO: prepared | multi | change_user | compressed)
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(MYSQL *m, const char *what) {
  fprintf(stderr, "%s: %s\n", what, mysql_error(m));
  exit(1);
}

static MYSQL *connect_to(int port, unsigned long flags, int compress) {
  MYSQL *m = mysql_init(NULL);
  my_bool no_ssl = 0;
  mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &no_ssl);
  if (compress) mysql_options(m, MYSQL_OPT_COMPRESS, NULL);
  mysql_options(m, MYSQL_READ_DEFAULT_GROUP, "nonexistent");
  mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "dbaudit-capture-client");
  if (!mysql_real_connect(m, "127.0.0.1", "audit", "audit-pw", "shop", port, NULL, flags)) {
    die(m, "connect");
  }
  return m;
}

static void query(MYSQL *m, const char *sql) {
  if (mysql_query(m, sql)) {
    fprintf(stderr, "query failed (expected for some): %s\n", mysql_error(m));
    return;
  }
  MYSQL_RES *res = mysql_store_result(m);
  if (res) mysql_free_result(res);
}

static void set_bind(MYSQL_BIND *b, enum enum_field_types type, void *buf, unsigned long len,
                     my_bool unsig) {
  memset(b, 0, sizeof(*b));
  b->buffer_type = type;
  b->buffer = buf;
  b->buffer_length = len;
  b->is_unsigned = unsig;
}

static void prepared(int port) {
  MYSQL *m = connect_to(port, 0, 0);
  query(m, "DROP TABLE IF EXISTS typed");
  query(m, "CREATE TABLE typed (t TINYINT, s SMALLINT, i INT, u INT UNSIGNED, b BIGINT, "
           "f FLOAT, d DOUBLE, dec_v DECIMAL(10,2), dt DATE, tm TIME, dtm DATETIME(6), "
           "ts TIMESTAMP NULL, v VARCHAR(40), bl BLOB, n INT NULL, txt TEXT)");
  MYSQL_STMT *st = mysql_stmt_init(m);
  const char *ins = "INSERT INTO typed VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  if (mysql_stmt_prepare(st, ins, strlen(ins))) die(m, "prepare");
  signed char t = -5;
  short s = 12345;
  int i = -70000;
  unsigned int u = 4000000000u;
  long long b = 9007199254740993LL;
  float f = 1.5f;
  double d = -2.25;
  char dec[] = "1234.56";
  MYSQL_TIME dt = {0}, tm = {0}, dtm = {0}, ts = {0};
  dt.year = 2024; dt.month = 2; dt.day = 29; dt.time_type = MYSQL_TIMESTAMP_DATE;
  tm.hour = 13; tm.minute = 14; tm.second = 15; tm.neg = 1; tm.time_type = MYSQL_TIMESTAMP_TIME;
  dtm.year = 2023; dtm.month = 12; dtm.day = 31; dtm.hour = 23; dtm.minute = 59; dtm.second = 58;
  dtm.second_part = 123456; dtm.time_type = MYSQL_TIMESTAMP_DATETIME;
  ts.year = 2022; ts.month = 1; ts.day = 2; ts.hour = 3; ts.minute = 4; ts.second = 5;
  ts.time_type = MYSQL_TIMESTAMP_DATETIME;
  char v[] = "O'Reilly";
  unsigned char bl[] = {0x00, 0x01, 0xfe, 0xff};
  my_bool is_null = 1;
  MYSQL_BIND p[16];
  set_bind(&p[0], MYSQL_TYPE_TINY, &t, 0, 0);
  set_bind(&p[1], MYSQL_TYPE_SHORT, &s, 0, 0);
  set_bind(&p[2], MYSQL_TYPE_LONG, &i, 0, 0);
  set_bind(&p[3], MYSQL_TYPE_LONG, &u, 0, 1);
  set_bind(&p[4], MYSQL_TYPE_LONGLONG, &b, 0, 0);
  set_bind(&p[5], MYSQL_TYPE_FLOAT, &f, 0, 0);
  set_bind(&p[6], MYSQL_TYPE_DOUBLE, &d, 0, 0);
  set_bind(&p[7], MYSQL_TYPE_NEWDECIMAL, dec, strlen(dec), 0);
  set_bind(&p[8], MYSQL_TYPE_DATE, &dt, sizeof(dt), 0);
  set_bind(&p[9], MYSQL_TYPE_TIME, &tm, sizeof(tm), 0);
  set_bind(&p[10], MYSQL_TYPE_DATETIME, &dtm, sizeof(dtm), 0);
  set_bind(&p[11], MYSQL_TYPE_TIMESTAMP, &ts, sizeof(ts), 0);
  set_bind(&p[12], MYSQL_TYPE_STRING, v, strlen(v), 0);
  set_bind(&p[13], MYSQL_TYPE_BLOB, bl, sizeof(bl), 0);
  set_bind(&p[14], MYSQL_TYPE_NULL, NULL, 0, 0);
  p[14].is_null = &is_null;
  set_bind(&p[15], MYSQL_TYPE_STRING, NULL, 0, 0);  /* sent with send_long_data */
  if (mysql_stmt_bind_param(st, p)) die(m, "bind");
  const char *chunk1 = "long data part one, ";
  const char *chunk2 = "part two";
  if (mysql_stmt_send_long_data(st, 15, chunk1, strlen(chunk1))) die(m, "long data 1");
  if (mysql_stmt_send_long_data(st, 15, chunk2, strlen(chunk2))) die(m, "long data 2");
  if (mysql_stmt_execute(st)) die(m, "execute 1");
  /* Second execution, same types (no rebinding on the wire), new values. */
  t = 7; i = 42; strcpy(v, "second");
  if (mysql_stmt_send_long_data(st, 15, "again", 5)) die(m, "long data 3");
  if (mysql_stmt_execute(st)) die(m, "execute 2");
  mysql_stmt_close(st);

  /* A read-only cursor fetched two rows at a time. */
  query(m, "INSERT INTO typed (i, v) VALUES (1,'a'),(2,'b'),(3,'c'),(4,'d'),(5,'e')");
  st = mysql_stmt_init(m);
  const char *sel = "SELECT i, v FROM typed WHERE i > ? ORDER BY i";
  if (mysql_stmt_prepare(st, sel, strlen(sel))) die(m, "prepare select");
  unsigned long cursor = CURSOR_TYPE_READ_ONLY, prefetch = 2;
  mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &cursor);
  mysql_stmt_attr_set(st, STMT_ATTR_PREFETCH_ROWS, &prefetch);
  int min = 0;
  MYSQL_BIND in;
  set_bind(&in, MYSQL_TYPE_LONG, &min, 0, 0);
  mysql_stmt_bind_param(st, &in);
  if (mysql_stmt_execute(st)) die(m, "execute select");
  int out_i = 0;
  char out_v[64];
  unsigned long out_len = 0;
  MYSQL_BIND out[2];
  set_bind(&out[0], MYSQL_TYPE_LONG, &out_i, 0, 0);
  set_bind(&out[1], MYSQL_TYPE_STRING, out_v, sizeof(out_v), 0);
  out[1].length = &out_len;
  mysql_stmt_bind_result(st, out);
  int rows = 0;
  while (mysql_stmt_fetch(st) == 0) rows++;
  fprintf(stderr, "cursor rows: %d\n", rows);
  mysql_stmt_close(st);

  /* A prepare that fails. */
  st = mysql_stmt_init(m);
  const char *bad = "SELEC i FROM typed";
  if (mysql_stmt_prepare(st, bad, strlen(bad)) == 0) die(m, "bad prepare succeeded");
  mysql_stmt_close(st);
  mysql_close(m);
}

static void multi(int port) {
  MYSQL *m = connect_to(port, CLIENT_MULTI_STATEMENTS, 0);
  query(m, "DROP TABLE IF EXISTS multi");
  query(m, "CREATE TABLE multi (id INT PRIMARY KEY, name VARCHAR(20))");
  const char *batch =
      "INSERT INTO multi VALUES (1,'one'),(2,'two'); SELECT * FROM multi; "
      "INSERT INTO multi VALUES (1,'dup'); UPDATE multi SET name='never' WHERE id=2";
  if (mysql_query(m, batch)) die(m, "batch start");
  do {
    MYSQL_RES *res = mysql_store_result(m);
    if (res) mysql_free_result(res);
  } while (mysql_next_result(m) == 0);
  fprintf(stderr, "batch ended with: %s\n", mysql_error(m));
  query(m, "SELECT COUNT(*) FROM multi; SELECT name FROM multi WHERE id = 2");
  while (mysql_next_result(m) == 0) {
    MYSQL_RES *res = mysql_store_result(m);
    if (res) mysql_free_result(res);
  }
  mysql_close(m);
}

static void change_user(int port) {
  MYSQL *m = connect_to(port, 0, 0);
  query(m, "SELECT CURRENT_USER()");
  if (mysql_change_user(m, "reader", "reader-pw", "shop")) die(m, "change_user");
  query(m, "SELECT CURRENT_USER()");
  if (mysql_change_user(m, "reader", "wrong-pw", "shop") == 0) die(m, "bad change_user succeeded");
  mysql_close(m);
}

static void compressed(int port) {
  MYSQL *m = connect_to(port, 0, 1);
  query(m, "SELECT REPEAT('compressible text ', 40) AS padded, 1 AS one");
  query(m, "SELECT seq, CONCAT('row ', seq) FROM seq_1_to_50");
  query(m, "SELECT * FROM no_such_table");
  mysql_close(m);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s PORT prepared|multi|change_user|compressed\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  if (strcmp(argv[2], "prepared") == 0) prepared(port);
  else if (strcmp(argv[2], "multi") == 0) multi(port);
  else if (strcmp(argv[2], "change_user") == 0) change_user(port);
  else if (strcmp(argv[2], "compressed") == 0) compressed(port);
  else return 2;
  return 0;
}
