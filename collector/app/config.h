// dbaudit-collector settings: defaults, then the config file (--config), then flags.
//
// Config file: one `key = value` per line; blank lines and lines starting with '#' are
// ignored; keys are the flag names with '_' for '-':
//   data_dir = /var/lib/dbaudit        (--data-dir,    default ./dbaudit-data)
//   grpc_listen = 127.0.0.1:7400       (--grpc-listen, default 127.0.0.1:7400)
//   http_listen = 127.0.0.1:7480       (--http-listen, default 127.0.0.1:7480)
//   http_threads = 2                   (--http-threads, 1-64)
//   scan_budget = 1000000              (--scan-budget: index entries one API query may visit)
// Port 0 picks a free port; the chosen ports are printed on stderr.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dbaudit::collector::app {

struct CollectorConfig {
  std::string data_dir = "./dbaudit-data";
  std::string grpc_listen = "127.0.0.1:7400";
  std::string http_listen = "127.0.0.1:7480";
  int http_threads = 2;
  size_t scan_budget = 1'000'000;
  bool help = false;
};

// Applies one setting by its config-file key ("data_dir", ...). InvalidArgument when unknown or bad.
absl::Status ApplySetting(std::string_view key, std::string_view value, CollectorConfig* config);
// Applies the lines of a config file; errors name the line.
absl::Status ApplyConfigText(std::string_view text, CollectorConfig* config);
// Parses argv (without argv[0]); reads --config FILE before the other flags override it.
absl::StatusOr<CollectorConfig> ParseCollectorArgs(const std::vector<std::string>& args);
const char* CollectorUsage();

}  // namespace dbaudit::collector::app
