// The HTTP request and response the handlers see. The server (http_server.cc, the only Boost.Beast
// code) fills HttpRequest and writes HttpResponse; handlers are plain functions between the two.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace dbaudit::collector::api {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as sent: "/v1/events?limit=5"
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The header's value, or "" when absent. `name` must be lower-case.
  const std::string& Header(const std::string& name) const {
    static const std::string kEmpty;
    auto it = headers.find(name);
    return it == headers.end() ? kEmpty : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

}  // namespace dbaudit::collector::api
