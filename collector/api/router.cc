#include "collector/api/router.h"

#include "collector/api/events_handler.h"
#include "collector/api/render.h"
#include "collector/api/sqls_handler.h"
#include "collector/api/url.h"
#include "common/metrics.h"
#include "common/time_util.h"

namespace dbaudit::collector::api {
namespace {

struct RouterCounters {
  Counter* requests = MetricsRegistry::Default().GetCounter("dbaudit_api_requests_total", "HTTP API requests");
  Counter* unauthorized = MetricsRegistry::Default().GetCounter(
      "dbaudit_api_unauthorized_total", "HTTP API requests refused for a missing or wrong API key");
  Counter* bad_requests = MetricsRegistry::Default().GetCounter(
      "dbaudit_api_bad_requests_total", "HTTP API requests answered 400, 404 or 405");
};

RouterCounters& Counters() {
  static RouterCounters c;
  return c;
}

HttpResponse MethodNotAllowed(const char* allow) {
  HttpResponse r = EventsError(405, "method_not_allowed", std::string("use ") + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

bool IsAuditSqlsPath(const std::vector<std::string>& s) {
  return s.size() == 5 && s[0] == "v1" && s[3] == "audit" && s[4] == "sqls";
}

}  // namespace

ApiRouter::ApiRouter(store::EventStore* store, ApiKeyVerifier verifier, std::function<int64_t()> now_us)
    : store_(store), verifier_(std::move(verifier)), now_us_(now_us ? std::move(now_us) : NowUs) {}

HttpResponse ApiRouter::Handle(const HttpRequest& request) const {
  Counters().requests->Add();
  absl::StatusOr<ParsedTarget> target = ParseTarget(request.target);
  if (!target.ok()) {
    Counters().bad_requests->Add();
    return EventsError(400, "invalid_request", std::string(target.status().message()));
  }
  const std::vector<std::string>& seg = target->segments;
  if (target->path == "/healthz") return HttpResponse{200, "application/json", "{\"status\":\"ok\"}", {}};

  if (IsAuditSqlsPath(seg)) {
    if (request.method != "POST") return MethodNotAllowed("POST");
    std::string token = request.Header("x-auth-token");
    if (token.empty()) token = BearerToken(request.Header("authorization"));
    if (token.empty()) {
      Counters().unauthorized->Add();
      return DbssError(401, "DBSS.1401", "X-Auth-Token (or Authorization: Bearer) with an API key is required");
    }
    if (!verifier_.Verify(token)) {
      Counters().unauthorized->Add();
      return DbssError(403, "DBSS.1403", "authentication failed: the token is not a valid API key");
    }
    HttpResponse r = ListSqls(seg[1], seg[2], request.body, *store_, now_us_());
    if (r.status == 400) Counters().bad_requests->Add();
    return r;
  }

  const bool events = seg.size() >= 2 && seg.size() <= 3 && seg[0] == "v1" && seg[1] == "events";
  const bool metrics = target->path == "/metrics";
  if (!events && !metrics) {
    Counters().bad_requests->Add();
    return EventsError(404, "not_found", "no such endpoint: " + target->path);
  }
  if (request.method != "GET") return MethodNotAllowed("GET");
  if (!verifier_.Verify(BearerToken(request.Header("authorization")))) {
    Counters().unauthorized->Add();
    HttpResponse r = EventsError(401, "unauthorized", "a valid API key is required: Authorization: Bearer <key>");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (metrics) return HttpResponse{200, "text/plain; version=0.0.4", MetricsRegistry::Default().PrometheusText(), {}};
  HttpResponse r = seg.size() == 2 ? ListEvents(target->query, *store_) : GetEvent(seg[2], *store_);
  if (r.status == 400 || r.status == 404) Counters().bad_requests->Add();
  return r;
}

}  // namespace dbaudit::collector::api
