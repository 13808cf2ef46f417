// The dbaudit-collector process: store, API key, gRPC ingest and HTTP API wired together.
#pragma once

#include <cstdio>
#include <memory>

#include "absl/status/statusor.h"
#include "collector/app/config.h"

namespace dbaudit::collector::app {

class Collector {
 public:
  // Opens the store, creates the first API key if there is none (printed once on `log` as
  // "API key: <key>"), starts both servers and prints "grpc listening on HOST:PORT" and
  // "http listening on HOST:PORT" on `log`.
  static absl::StatusOr<std::unique_ptr<Collector>> Start(const CollectorConfig& config, std::FILE* log);
  ~Collector();  // Shutdown()

  int grpc_port() const;
  int http_port() const;
  // Stops HTTP, then ingest (open streams end; unacked batches are resent by the sensors), then
  // closes the store. Idempotent.
  void Shutdown();

 private:
  struct Parts;
  explicit Collector(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace dbaudit::collector::app
