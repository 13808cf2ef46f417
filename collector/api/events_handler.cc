#include "collector/api/events_handler.h"

#include <charconv>
#include <map>

#include "collector/api/render.h"
#include "collector/store/event_codec.h"
#include "common/json_writer.h"
#include "common/metrics.h"
#include "common/time_util.h"

namespace dbaudit::collector::api {
namespace {

constexpr size_t kMaxPage = 1'000'000;

absl::Status Bad(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::StatusOr<size_t> ParseCount(const std::string& name, const std::string& value, size_t min, size_t max) {
  size_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < min || n > max) {
    return Bad(name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
               ", got '" + value + "'");
  }
  return n;
}

bool IsWord(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// "database.query", "security.*" or "*".
bool ValidTypePattern(std::string_view t) {
  if (t == "*") return true;
  const size_t dot = t.find('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view rest = t.substr(dot + 1);
  return IsWord(t.substr(0, dot)) && (rest == "*" || IsWord(rest));
}

absl::Status ApplyParam(const std::string& name, const std::string& value, EventListRequest* r) {
  std::string* text_field = name == "database_id" ? &r->filter.database_id
                            : name == "user"      ? &r->filter.user
                            : name == "source_ip" ? &r->filter.source_ip
                                                  : nullptr;
  if (text_field != nullptr) {
    if (value.empty()) return Bad(name + " must not be empty");
    *text_field = value;
  } else if (name == "type") {
    if (!ValidTypePattern(value)) return Bad("type must be an event type such as database.query, or category.* or *, got '" + value + "'");
    r->filter.type = value;
  } else if (name == "severity") {
    if (value != "info" && value != "warning" && value != "critical") {
      return Bad("severity must be info, warning or critical, got '" + value + "'");
    }
    r->filter.severity = value;
  } else if (name == "start_date" || name == "end_date") {
    std::optional<int64_t> ts = ParseIso8601Us(value);
    if (!ts) return Bad(name + " must be an ISO 8601 date or date-time such as 2025-01-31T23:59:59Z, got '" + value + "'");
    // A bare date as end_date means the whole day: "end_date=2025-01-31" includes 23:59:59.
    const bool whole_day = name == "end_date" && value.size() == 10;
    (name == "start_date" ? r->filter.start_us : r->filter.end_us) = whole_day ? *ts + 86'400'000'000LL - 1 : *ts;
  } else if (name == "limit") {
    absl::StatusOr<size_t> n = ParseCount(name, value, 1, kMaxEventLimit);
    if (!n.ok()) return n.status();
    r->page.per_page = *n;
  } else if (name == "page") {
    absl::StatusOr<size_t> n = ParseCount(name, value, 1, kMaxPage);
    if (!n.ok()) return n.status();
    r->page.page = *n;
  } else {
    return Bad("unknown query parameter '" + name + "'");
  }
  return absl::OkStatus();
}

Counter* StoreErrors() {
  static Counter* c = MetricsRegistry::Default().GetCounter("dbaudit_api_store_errors_total",
                                                            "API requests that failed in the store (HTTP 500)");
  return c;
}

}  // namespace

absl::StatusOr<EventListRequest> ParseEventListQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  EventListRequest r;
  r.page = {1, kDefaultEventLimit, true};
  std::map<std::string, int> seen;
  for (const auto& [name, value] : query) {
    if (++seen[name] > 1) return Bad("query parameter '" + name + "' given more than once");
    if (absl::Status s = ApplyParam(name, value, &r); !s.ok()) return s;
  }
  if (r.filter.start_us && r.filter.end_us && *r.filter.start_us > *r.filter.end_us) {
    return Bad("start_date must not be after end_date");
  }
  return r;
}

HttpResponse ListEvents(const std::vector<std::pair<std::string, std::string>>& query, store::EventStore& store) {
  absl::StatusOr<EventListRequest> request = ParseEventListQuery(query);
  if (!request.ok()) return EventsError(400, "invalid_parameter", std::string(request.status().message()));
  absl::StatusOr<store::EventPage> page = store.ListEvents(request->filter, request->page);
  if (!page.ok()) {
    StoreErrors()->Add();
    return EventsError(500, "internal_error", std::string(page.status().message()));
  }
  HttpResponse response;
  JsonWriter w(&response.body);
  w.BeginObject().Key("events").BeginArray();
  for (const store::StoredEvent& e : page->events) WriteEvent(e, false, w);
  w.EndArray()
      .Key("pagination")
      .BeginObject()
      .Field("total", page->total)
      .Field("page", static_cast<uint64_t>(request->page.page))
      .Field("per_page", static_cast<uint64_t>(request->page.per_page))
      .EndObject()
      .EndObject();
  // A total cut short by the scan budget is a lower bound; say so without changing the body shape.
  if (!page->total_exact) response.headers.emplace_back("X-Total-Is-Lower-Bound", "true");
  return response;
}

HttpResponse GetEvent(const std::string& event_id, store::EventStore& store) {
  absl::StatusOr<store::StoredEvent> event = store.GetEvent(event_id);
  if (absl::IsNotFound(event.status())) return EventsError(404, "not_found", "no event with id '" + event_id + "'");
  if (!event.ok()) {
    StoreErrors()->Add();
    return EventsError(500, "internal_error", std::string(event.status().message()));
  }
  HttpResponse response;
  JsonWriter w(&response.body);
  WriteEvent(*event, true, w);
  return response;
}

}  // namespace dbaudit::collector::api
