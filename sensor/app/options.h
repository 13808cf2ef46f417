// dbaudit-sensor's command line and config file. Every flag has a config-file key of the same
// name without the leading dashes ("mysql-ports = 3306,3307"); the command line wins.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sensor/app/pipeline.h"

namespace dbaudit::sensor {

enum class EmitMode { kNone, kJsonl };

inline constexpr int kDefaultSnaplen = 262144;

struct SensorOptions {
  PipelineOptions pipeline;
  EmitMode emit = EmitMode::kNone;
  std::string output_path;   // --output: JSON Lines file instead of stdout
  std::string collector;     // HOST:PORT
  std::string sensor_id;     // default: the host name
  std::string config_path;
  bool print_metrics = false;  // --metrics: Prometheus text of every counter on stderr at exit
  bool help = false;
  bool version = false;
};

// Parses argv (argv[0] skipped), reading --config FILE first when given. InvalidArgument with a
// message naming the flag on any error.
absl::StatusOr<SensorOptions> ParseSensorOptions(const std::vector<std::string>& args);

// Parses "3306,3307" into ports; InvalidArgument on an empty item, a non-number or 0/65536+.
absl::StatusOr<std::vector<uint16_t>> ParsePortList(const std::string& text);

// Parses sizes like "65536", "64k", "32M", "1G".
absl::StatusOr<uint64_t> ParseByteSize(const std::string& text);

const char* SensorUsage();

}  // namespace dbaudit::sensor
