// The only Boost.Beast translation unit (callback style: Asio coroutines do not build with
// clang 14; TOOLCHAIN.md). Shaped after Vinnie Falco's CppCon2018 server: one listener, one
// session object per connection, one read or write in flight per session.
#include <utility>  // before Boost (TOOLCHAIN.md: Boost 1.74 + gcc 12 + C++20)

#include "collector/api/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "collector/api/url.h"
#include "common/metrics.h"

namespace dbaudit::collector::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

Counter* ReadErrors() {
  static Counter* c = MetricsRegistry::Default().GetCounter(
      "dbaudit_http_read_errors_total", "HTTP connections closed on a malformed, oversized or timed-out request");
  return c;
}

HttpRequest ToHttpRequest(http::request<http::string_body>&& req) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(req.body());
  return out;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, const HttpServer::Handler& handler, const HttpServer::Options& options)
      : stream_(std::move(socket)), handler_(handler), options_(options) {}

  void Run() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::DoRead, shared_from_this())); }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    stream_.expires_after(options_.idle_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream) return DoClose();
    if (ec == http::error::body_limit) {
      ReadErrors()->Add();
      return Send(HttpResponse{413, "application/json",
                               "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"request body too large\"}}", {}},
                  11, false);
    }
    if (ec) {
      if (ec != net::error::operation_aborted && ec != beast::error::timeout) ReadErrors()->Add();
      return;
    }
    http::request<http::string_body> req = parser_->release();
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    HttpResponse response;
    try {
      response = handler_(ToHttpRequest(std::move(req)));
    } catch (const std::exception& e) {  // handlers do not throw; an allocation failure might
      response = HttpResponse{500, "application/json",
                              "{\"error\":{\"code\":\"internal_error\",\"message\":\"internal error\"}}", {}};
    }
    Send(std::move(response), version, keep_alive);
  }

  void Send(HttpResponse&& out, unsigned version, bool keep_alive) {
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(out.status));
    response_.set(http::field::server, "dbaudit-collector");
    response_.set(http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) response_.set(name, value);
    response_.body() = std::move(out.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this(), keep_alive));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, size_t) {
    if (ec) return;
    if (!keep_alive) return DoClose();
    DoRead();
  }

  void DoClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  const HttpServer::Handler& handler_;
  const HttpServer::Options& options_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::acceptor&& acceptor, const HttpServer::Handler& handler,
           const HttpServer::Options& options)
      : ioc_(ioc), acceptor_(std::move(acceptor)), handler_(handler), options_(options) {}

  void DoAccept() {
    acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void Close() {
    beast::error_code ec;
    acceptor_.close(ec);
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (!ec) std::make_shared<Session>(std::move(socket), handler_, options_)->Run();
    DoAccept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  const HttpServer::Handler& handler_;
  const HttpServer::Options& options_;
};

}  // namespace

struct HttpServer::Impl {
  // Declared before the io_context: pending sessions (destroyed with it) refer to these.
  Options options;
  Handler handler;
  net::io_context ioc;
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;
  int port = 0;
  bool stopped = false;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const Options& options, Handler handler) {
  absl::StatusOr<std::pair<std::string, int>> hp = SplitHostPort(options.listen);
  if (!hp.ok()) return hp.status();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  beast::error_code ec;
  tcp::resolver resolver(impl->ioc);
  auto endpoints = resolver.resolve(hp->first, std::to_string(hp->second), tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) return absl::InvalidArgumentError("cannot resolve " + options.listen + ": " + ec.message());
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  tcp::acceptor acceptor(impl->ioc);
  if (acceptor.open(endpoint.protocol(), ec); !ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError("cannot listen for HTTP on " + options.listen + ": " + ec.message());
  impl->port = acceptor.local_endpoint().port();
  impl->listener = std::make_shared<Listener>(impl->ioc, std::move(acceptor), impl->handler, impl->options);
  impl->listener->DoAccept();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  // Close the acceptor on the io threads (it is not thread-safe) and wait for that, so the port
  // is free when Stop returns; then abandon open connections.
  std::promise<void> closed;
  net::post(impl_->ioc, [listener = impl_->listener, &closed] {
    listener->Close();
    closed.set_value();
  });
  closed.get_future().wait();
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->listener.reset();
}

}  // namespace dbaudit::collector::api
