// The HTTP/1.1 server under the API: Boost.Beast, asynchronous callbacks, a few threads on one
// io_context. This header keeps Beast out of every other file (it costs ~25 s per translation
// unit); http_server.cc is the only Beast code.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "collector/api/http_types.h"

namespace dbaudit::collector::api {

class HttpServer {
 public:
  // Called on a server thread for every complete request; must be thread-safe and not throw.
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  struct Options {
    std::string listen = "127.0.0.1:7480";  // port 0 picks a free one
    int threads = 2;
    size_t max_body_bytes = 1 << 20;  // larger bodies get 413
    std::chrono::seconds idle_timeout{30};
  };

  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const Options& options, Handler handler);
  ~HttpServer();  // Stop()
  int port() const;
  // Stops accepting, closes connections and joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaudit::collector::api
