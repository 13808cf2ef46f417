// Decides which protocol parser gets a TCP connection. The server port gives a first guess
// (--mysql-ports / --pg-ports); the first bytes confirm it, so that non-database traffic on a
// database port (an HTTP client on 5432, MySQL on the PostgreSQL port) yields no records, and a
// database on an unconfigured port is still found by its greeting or startup message.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sensor/flow/stream_handler.h"
#include "sensor/protocols/mysql/session.h"
#include "sensor/protocols/postgres/session.h"
#include "sensor/record/record_sink.h"

namespace dbaudit::sensor::protocols {

struct DispatchOptions {
  std::vector<uint16_t> mysql_ports{3306};
  std::vector<uint16_t> pg_ports{5432};
  // Detect protocols by content on any port (otherwise only configured ports are parsed).
  bool detect_by_content = true;
  // Bytes held per direction while the protocol is not yet known.
  size_t max_detect_bytes = 4096;
  mysql::SessionOptions mysql;
  postgres::SessionOptions postgres;
};

// One per worker; Create() is called on that worker's thread.
class ProtocolDispatcher : public StreamHandlerFactory {
 public:
  // PRE: `sink` outlives every handler this factory creates.
  ProtocolDispatcher(const DispatchOptions& options, RecordSink* sink);
  std::unique_ptr<StreamHandler> Create(const ConnectionInfo& info) override;

 private:
  DispatchOptions options_;
  RecordSink* sink_;
};

}  // namespace dbaudit::sensor::protocols
