/* libpq client driving the extended protocol for dbaudit's PostgreSQL captures (generate.py).
 * Each step prints one line so the generator's output shows what ran. */
#include <libpq-fe.h>
#include <libpq/libpq-fs.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void Show(const char* step, PGresult* r) {
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  printf("%s: %s %s\n", step, PQresStatus(PQresultStatus(r)), state ? state : "");
  PQclear(r);
}

static void Drain(PGconn* c, const char* step) {
  PGresult* r;
  while ((r = PQgetResult(c)) != NULL) Show(step, r);
}

static void BinaryParams(PGconn* c) {
  /* int4 300, int8 -2, text 'hello' in binary format with explicit types. */
  uint32_t i4 = htonl(300);
  uint32_t i8[2] = {htonl(0xFFFFFFFFu), htonl(0xFFFFFFFEu)};
  const char* values[3] = {(const char*)&i4, (const char*)i8, "hello"};
  int lengths[3] = {4, 8, 5};
  int formats[3] = {1, 1, 1};
  Oid types[3] = {23, 20, 25};
  Show("binary params", PQexecParams(c, "SELECT $1::int4 + $2::int8 AS s, $3::text AS t", 3, types,
                                     values, lengths, formats, 0));
  const char* text_values[2] = {"10", "ten"};
  Show("text params", PQexecParams(c, "INSERT INTO items(id, name) VALUES ($1, $2)", 2, NULL,
                                   text_values, NULL, NULL, 0));
}

static void Prepared(PGconn* c) {
  Show("prepare", PQprepare(c, "ins", "INSERT INTO items(id, name) VALUES ($1, $2)", 2, NULL));
  const char* a[2] = {"11", "eleven"};
  const char* b[2] = {"12", "twelve"};
  Show("exec prepared", PQexecPrepared(c, "ins", 2, a, NULL, NULL, 0));
  Show("exec prepared", PQexecPrepared(c, "ins", 2, b, NULL, NULL, 0));
  Show("parse error", PQprepare(c, "bad", "SELEC id FROM items", 0, NULL));
  const char* nan[1] = {"notanumber"};
  Show("bind error", PQexecParams(c, "SELECT $1::int4", 1, NULL, nan, NULL, NULL, 0));
}

static void Pipeline(PGconn* c) {
  if (!PQenterPipelineMode(c)) return;
  const char* p1[1] = {"20"};
  const char* dup[1] = {"11"}; /* duplicate key: fails, the next one is skipped */
  const char* p3[1] = {"21"};
  const char* sql = "INSERT INTO items(id, name) VALUES ($1, 'pipelined')";
  PQsendQueryParams(c, sql, 1, NULL, p1, NULL, NULL, 0);
  PQsendQueryParams(c, sql, 1, NULL, dup, NULL, NULL, 0);
  PQsendQueryParams(c, sql, 1, NULL, p3, NULL, NULL, 0);
  PQpipelineSync(c);
  PQsendQueryParams(c, "SELECT count(*) FROM items WHERE id >= $1", 1, NULL, p1, NULL, NULL, 0);
  PQpipelineSync(c);
  /* Results of each query end with a NULL; each PQpipelineSync gives a PIPELINE_SYNC result. */
  int syncs = 0;
  for (int i = 0; i < 50 && syncs < 2; ++i) {
    PGresult* r = PQgetResult(c);
    if (r == NULL) continue;
    if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) ++syncs;
    Show("pipeline", r);
  }
  PQexitPipelineMode(c);
}

static void Copy(PGconn* c) {
  Show("copy in", PQexec(c, "COPY items(id, name) FROM STDIN"));
  PQputCopyData(c, "30\tthirty\n", 10);
  PQputCopyData(c, "31\tthirty-one\n", 14);
  PQputCopyData(c, "32\tthirty-two\n", 14);
  PQputCopyEnd(c, NULL);
  Drain(c, "copy in");
  Show("copy out", PQexec(c, "COPY (SELECT id, name FROM items ORDER BY id) TO STDOUT"));
  char* buf;
  int n, rows = 0;
  while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
    ++rows;
    PQfreemem(buf);
  }
  printf("copy out rows: %d\n", rows);
  Drain(c, "copy out");
}

static void FastPath(PGconn* c) {
  Show("begin", PQexec(c, "BEGIN"));
  Oid lo = lo_creat(c, INV_READ | INV_WRITE);
  printf("lo_creat: %u\n", lo);
  printf("lo_unlink: %d\n", lo_unlink(c, lo));
  Show("commit", PQexec(c, "COMMIT"));
}

static void Cancel(PGconn* c) {
  PQsendQuery(c, "SELECT pg_sleep(5)");
  usleep(300000);
  PGcancel* cancel = PQgetCancel(c);
  char err[256];
  printf("cancel sent: %d\n", PQcancel(cancel, err, sizeof(err)));
  PQfreeCancel(cancel);
  Drain(c, "cancelled");
}

int main(int argc, char** argv) {
  PGconn* c = PQconnectdb(argc > 1 ? argv[1] : "");
  if (PQstatus(c) != CONNECTION_OK) {
    fprintf(stderr, "connect: %s", PQerrorMessage(c));
    return 1;
  }
  BinaryParams(c);
  Prepared(c);
  Pipeline(c);
  Copy(c);
  FastPath(c);
  Cancel(c);
  PQfinish(c);
  return 0;
}
