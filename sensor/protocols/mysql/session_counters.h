// The MySQL parser's counters (common/metrics.h), looked up once per process.
#pragma once

#include "common/metrics.h"

namespace dbaudit::sensor::mysql {

struct SessionCounters {
  Counter* sessions;
  Counter* mid_stream;
  Counter* not_mysql;
  Counter* encrypted;
  Counter* compressed;
  Counter* logins_ok;
  Counter* logins_failed;
  Counter* statements;
  Counter* unknown_outcome;
  Counter* gaps;
  Counter* desyncs;
  Counter* resyncs;
  Counter* framing_errors;
  Counter* parse_errors;
  Counter* unexpected_responses;
  Counter* discarded_bytes;
  Counter* truncated;
  Counter* pending_overflow;
  Counter* unconfirmed_dropped;
  Counter* prepared_evicted;
  Counter* unknown_statement;

  static SessionCounters& Get();
};

}  // namespace dbaudit::sensor::mysql
