#include "collector/app/collector_app.h"

#include "collector/api/auth.h"
#include "collector/api/http_server.h"
#include "collector/api/router.h"
#include "collector/api/url.h"
#include "collector/ingest/ingest_service.h"
#include "collector/store/event_store.h"
#include "common/status.h"

namespace dbaudit::collector::app {
namespace {

// "HOST:PORT" with the port actually bound.
std::string BoundAddress(const std::string& listen, int port) {
  absl::StatusOr<std::pair<std::string, int>> hp = api::SplitHostPort(listen);
  std::string host = hp.ok() ? hp->first : listen;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

}  // namespace

struct Collector::Parts {
  // Declaration order = construction order; Shutdown() tears down in reverse.
  std::unique_ptr<store::EventStore> store;
  std::unique_ptr<api::ApiRouter> router;
  std::unique_ptr<ingest::IngestServer> ingest;
  std::unique_ptr<api::HttpServer> http;
};

absl::StatusOr<std::unique_ptr<Collector>> Collector::Start(const CollectorConfig& config, std::FILE* log) {
  auto parts = std::make_unique<Parts>();
  store::EventStore::Options store_options;
  store_options.path = config.data_dir;
  store_options.scan_budget = config.scan_budget;
  ASSIGN_OR_RETURN(parts->store, store::EventStore::Open(store_options));
  ASSIGN_OR_RETURN(std::optional<std::string> new_key, api::EnsureApiKey(parts->store.get()));
  if (new_key) {
    std::fprintf(log, "API key: %s\n", new_key->c_str());
    std::fprintf(log, "(shown once; only its SHA-256 is kept in %s)\n", config.data_dir.c_str());
  }
  ASSIGN_OR_RETURN(api::ApiKeyVerifier verifier, api::ApiKeyVerifier::FromStore(parts->store.get()));
  parts->router = std::make_unique<api::ApiRouter>(parts->store.get(), std::move(verifier));
  ASSIGN_OR_RETURN(parts->ingest, ingest::IngestServer::Start(config.grpc_listen, parts->store.get()));
  api::HttpServer::Options http_options;
  http_options.listen = config.http_listen;
  http_options.threads = config.http_threads;
  api::ApiRouter* router = parts->router.get();
  ASSIGN_OR_RETURN(parts->http, api::HttpServer::Start(http_options, [router](const api::HttpRequest& r) {
                     return router->Handle(r);
                   }));
  std::fprintf(log, "grpc listening on %s\n", BoundAddress(config.grpc_listen, parts->ingest->port()).c_str());
  std::fprintf(log, "http listening on %s\n", BoundAddress(config.http_listen, parts->http->port()).c_str());
  std::fflush(log);
  return std::unique_ptr<Collector>(new Collector(std::move(parts)));
}

Collector::Collector(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Collector::~Collector() { Shutdown(); }

int Collector::grpc_port() const { return parts_->ingest ? parts_->ingest->port() : 0; }
int Collector::http_port() const { return parts_->http ? parts_->http->port() : 0; }

void Collector::Shutdown() {
  if (parts_->http) parts_->http->Stop();
  if (parts_->ingest) parts_->ingest->Shutdown();
  parts_->http.reset();
  parts_->ingest.reset();
  parts_->router.reset();
  parts_->store.reset();
}

}  // namespace dbaudit::collector::app
