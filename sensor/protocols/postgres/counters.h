// Named counters of the PostgreSQL decoder (Prometheus names dbaudit_postgres_*_total).
#pragma once

#include "common/metrics.h"

namespace dbaudit::sensor::postgres {

struct PostgresCounters {
  Counter* statements;            // statement records emitted
  Counter* logins;                // login records emitted
  Counter* parse_errors;          // bytes that were not a valid message where one was expected
  Counter* malformed;             // a message whose body did not decode
  Counter* desync;                // a direction lost message sync (gap, parse error, overflow)
  Counter* resync;                // a direction found a message boundary again
  Counter* resync_skipped_bytes;  // bytes dropped while looking for a boundary
  Counter* gaps;                  // capture gaps reported by reassembly
  Counter* gaps_absorbed;         // gaps inside a skipped body: sync kept
  Counter* buffer_overflow;       // a split message grew past max_buffer_bytes
  Counter* truncated;             // a message too large to decode, reported truncated
  Counter* unmatched;             // a response with no request waiting for it (dropped)
  Counter* unexpected;            // a message not legal in the current state (dropped)
  Counter* unknown_outcome;       // statements reported with outcome UNKNOWN
  Counter* unknown_statement;     // Bind/Execute naming a statement/portal never seen
  Counter* not_postgres;          // connections whose first bytes were not PostgreSQL
  Counter* mid_stream;            // connections picked up without their startup
  Counter* login_abandoned;       // the client left before the server's auth verdict
  Counter* pending_overflow;      // requests dropped because max_pending was reached
  Counter* prepared_overflow;     // prepared statements/portals forgotten at max_prepared
};

// The process-wide instance, registered in MetricsRegistry::Default() on first use.
const PostgresCounters& Counters();

}  // namespace dbaudit::sensor::postgres
