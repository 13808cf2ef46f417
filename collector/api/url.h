// Request-target parsing: path segments and query parameters (RFC 3986 percent-decoding,
// application/x-www-form-urlencoded '+' as space).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace dbaudit::collector::api {

struct ParsedTarget {
  std::string path;  // decoded, e.g. "/v1/events/evt_x"
  std::vector<std::string> segments;  // {"v1", "events", "evt_x"}
  std::vector<std::pair<std::string, std::string>> query;  // in order, decoded
};

// InvalidArgument for a bad percent escape or a target that is not an absolute path.
absl::StatusOr<ParsedTarget> ParseTarget(std::string_view target);
absl::StatusOr<std::string> PercentDecode(std::string_view in, bool plus_is_space);

}  // namespace dbaudit::collector::api

namespace dbaudit::collector::api {

// "127.0.0.1:7480", "[::1]:7480", "localhost:0" -> host and port (0-65535).
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(std::string_view host_port);

}  // namespace dbaudit::collector::api
