// Maps a request to its handler after authentication. Routes:
//   GET  /healthz                                   no auth; {"status":"ok"}
//   GET  /metrics                                   Bearer; Prometheus text format
//   GET  /v1/events                                 Bearer (events_handler.h)
//   GET  /v1/events/{event_id}                      Bearer
//   POST /v1/{project_id}/{instance_id}/audit/sqls  X-Auth-Token or Bearer (sqls_handler.h)
// A missing key is 401 and a wrong one 401 (Events API) or 403 (audit/sqls, as its document
// says), each in its API's error body; an unknown path is 404 and a wrong method 405.
#pragma once

#include <cstdint>
#include <functional>

#include "collector/api/auth.h"
#include "collector/api/http_types.h"
#include "collector/store/event_store.h"

namespace dbaudit::collector::api {

class ApiRouter {
 public:
  // PRE: `store` outlives the router. `now_us` is the clock behind audit/sqls time_range.
  ApiRouter(store::EventStore* store, ApiKeyVerifier verifier, std::function<int64_t()> now_us = nullptr);
  // Thread-safe.
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  store::EventStore* store_;
  ApiKeyVerifier verifier_;
  std::function<int64_t()> now_us_;
};

}  // namespace dbaudit::collector::api
