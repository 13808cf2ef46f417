#include "sensor/protocols/postgres/counters.h"

namespace dbaudit::sensor::postgres {
namespace {

Counter* Make(const char* name, const char* help) {
  return MetricsRegistry::Default().GetCounter(name, help);
}

PostgresCounters* Build() {
  auto* c = new PostgresCounters;
  c->statements = Make("dbaudit_postgres_statements_total", "PostgreSQL statement records emitted.");
  c->logins = Make("dbaudit_postgres_logins_total", "PostgreSQL login records emitted.");
  c->parse_errors = Make("dbaudit_postgres_parse_errors_total",
                         "Bytes that were not a valid PostgreSQL message where one was expected.");
  c->malformed = Make("dbaudit_postgres_malformed_messages_total",
                      "PostgreSQL messages whose body did not decode.");
  c->desync = Make("dbaudit_postgres_desync_total", "PostgreSQL streams that lost message sync.");
  c->resync = Make("dbaudit_postgres_resync_total", "PostgreSQL streams that found a message boundary again.");
  c->resync_skipped_bytes = Make("dbaudit_postgres_resync_skipped_bytes_total",
                                 "Bytes dropped while looking for a PostgreSQL message boundary.");
  c->gaps = Make("dbaudit_postgres_gaps_total", "Capture gaps in PostgreSQL streams.");
  c->gaps_absorbed = Make("dbaudit_postgres_gaps_absorbed_total",
                          "Gaps inside a skipped DataRow/CopyData body (sync kept).");
  c->buffer_overflow = Make("dbaudit_postgres_buffer_overflow_total",
                            "PostgreSQL messages that grew past the per-direction buffer cap.");
  c->truncated = Make("dbaudit_postgres_truncated_messages_total",
                      "PostgreSQL messages too large to decode, reported truncated.");
  c->unmatched = Make("dbaudit_postgres_unmatched_responses_total",
                      "PostgreSQL responses with no request waiting for them (dropped).");
  c->unexpected = Make("dbaudit_postgres_unexpected_messages_total",
                       "PostgreSQL messages not legal in the session's state (dropped).");
  c->unknown_outcome = Make("dbaudit_postgres_unknown_outcome_total",
                            "PostgreSQL statements whose response was never seen.");
  c->unknown_statement = Make("dbaudit_postgres_unknown_statement_total",
                              "Bind/Execute naming a prepared statement or portal never seen.");
  c->not_postgres = Make("dbaudit_postgres_not_postgres_total",
                         "Connections handed to the PostgreSQL parser that did not speak it.");
  c->mid_stream = Make("dbaudit_postgres_mid_stream_total", "PostgreSQL connections picked up mid-stream.");
  c->login_abandoned = Make("dbaudit_postgres_login_abandoned_total",
                            "PostgreSQL clients that left before the server's auth verdict.");
  c->pending_overflow = Make("dbaudit_postgres_pending_overflow_total",
                             "PostgreSQL requests dropped at the max_pending cap.");
  c->prepared_overflow = Make("dbaudit_postgres_prepared_overflow_total",
                              "PostgreSQL prepared statements/portals forgotten at the max_prepared cap.");
  return c;
}

}  // namespace

const PostgresCounters& Counters() {
  static const PostgresCounters* counters = Build();
  return *counters;
}

}  // namespace dbaudit::sensor::postgres
