#include "sensor/protocols/mysql/session_counters.h"

namespace dbaudit::sensor::mysql {

SessionCounters& SessionCounters::Get() {
  static SessionCounters* counters = [] {
    MetricsRegistry& m = MetricsRegistry::Default();
    auto* c = new SessionCounters;
    c->sessions = m.GetCounter("dbaudit_mysql_sessions_total", "MySQL sessions parsed.");
    c->mid_stream = m.GetCounter("dbaudit_mysql_mid_stream_total",
                                 "MySQL sessions picked up without their handshake.");
    c->not_mysql = m.GetCounter("dbaudit_mysql_not_mysql_total",
                                "Flows handed to the MySQL parser that are not MySQL.");
    c->encrypted = m.GetCounter("dbaudit_mysql_encrypted_total", "MySQL sessions that went TLS.");
    c->compressed = m.GetCounter("dbaudit_mysql_compressed_total",
                                 "MySQL sessions using the compressed protocol.");
    c->logins_ok = m.GetCounter("dbaudit_mysql_logins_ok_total", "Successful MySQL logins.");
    c->logins_failed = m.GetCounter("dbaudit_mysql_logins_failed_total", "Failed MySQL logins.");
    c->statements = m.GetCounter("dbaudit_mysql_statements_total", "MySQL statement records.");
    c->unknown_outcome = m.GetCounter("dbaudit_mysql_unknown_outcome_total",
                                      "MySQL statements whose response was never seen.");
    c->gaps = m.GetCounter("dbaudit_mysql_gaps_total", "Capture gaps in MySQL sessions.");
    c->desyncs = m.GetCounter("dbaudit_mysql_desync_total",
                              "Times a MySQL session lost track of a stream.");
    c->resyncs = m.GetCounter("dbaudit_mysql_resync_total",
                              "Times a MySQL session found a request again after losing track.");
    c->framing_errors = m.GetCounter("dbaudit_mysql_framing_errors_total",
                                     "Undecodable compressed frames or over-long packets.");
    c->parse_errors = m.GetCounter("dbaudit_mysql_parse_errors_total",
                                   "Malformed MySQL messages.");
    c->unexpected_responses = m.GetCounter("dbaudit_mysql_unexpected_responses_total",
                                           "Server packets that fit no outstanding request.");
    c->discarded_bytes = m.GetCounter("dbaudit_mysql_discarded_bytes_total",
                                      "Bytes skipped while out of sync.");
    c->truncated = m.GetCounter("dbaudit_mysql_truncated_total",
                                "Requests whose text was cut at max_sql_bytes.");
    c->pending_overflow = m.GetCounter("dbaudit_mysql_pending_overflow_total",
                                       "Times too many requests awaited an answer.");
    c->unconfirmed_dropped = m.GetCounter(
        "dbaudit_mysql_unconfirmed_dropped_total",
        "Statements dropped because the flow was never confirmed to be MySQL.");
    c->prepared_evicted = m.GetCounter("dbaudit_mysql_prepared_evicted_total",
                                       "Prepared statements dropped at the per-session cap.");
    c->unknown_statement = m.GetCounter(
        "dbaudit_mysql_unknown_statement_total",
        "Executions of a prepared statement whose COM_STMT_PREPARE was not seen.");
    return c;
  }();
  return *counters;
}

}  // namespace dbaudit::sensor::mysql
