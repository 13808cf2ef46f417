// GET /v1/events and GET /v1/events/{id} (seeds/events-api.txt). Plain functions: parsed
// request in, response out; the store does the I/O.
//
// List parameters: type (exact, "category.*" or "*"), severity (info|warning|critical),
// database_id, user, source_ip, start_date / end_date (ISO 8601, inclusive; a bare date as
// end_date includes that whole day), limit (1-1000,
// default 50), page (>= 1, default 1). An unknown, repeated, empty or malformed parameter is a
// 400 {"error":{"code":"invalid_parameter","message":...}}.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/api/http_types.h"
#include "collector/store/event_store.h"

namespace dbaudit::collector::api {

inline constexpr size_t kDefaultEventLimit = 50;
inline constexpr size_t kMaxEventLimit = 1000;

struct EventListRequest {
  store::EventFilter filter;
  store::PageRequest page;
};

// InvalidArgument with a message naming the parameter.
absl::StatusOr<EventListRequest> ParseEventListQuery(const std::vector<std::pair<std::string, std::string>>& query);

HttpResponse ListEvents(const std::vector<std::pair<std::string, std::string>>& query, store::EventStore& store);
HttpResponse GetEvent(const std::string& event_id, store::EventStore& store);

}  // namespace dbaudit::collector::api
