// Test helpers for the flow stage: a StreamHandler that records what it is told as text, and a
// factory that keeps every handler's transcript after the handler is gone.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sensor/flow/stream_handler.h"

namespace dbaudit::sensor::flow::testing {

// One connection as the protocol layer saw it.
struct Transcript {
  ConnectionInfo info;
  std::string client;  // client->server bytes, gaps as "[gap N]"
  std::string server;  // server->client bytes, gaps as "[gap N]"
  // The same streams with each gap as that many NUL bytes, so stream offsets stay exact.
  std::string client_flat, server_flat;
  uint64_t client_gap_bytes = 0, server_gap_bytes = 0;
  std::vector<std::string> events;  // "data c2s 5", "gap s2c 3", "close fin 10 20"
  bool closed = false;
  CloseInfo close;
};

class RecordingHandler : public StreamHandler {
 public:
  explicit RecordingHandler(Transcript* t) : t_(t) {}
  void OnData(Direction dir, int64_t, absl::Span<const uint8_t> data) override {
    Side(dir)->append(reinterpret_cast<const char*>(data.data()), data.size());
    Flat(dir)->append(reinterpret_cast<const char*>(data.data()), data.size());
    t_->events.push_back(absl::StrCat("data ", Name(dir), " ", data.size()));
  }
  void OnGap(Direction dir, int64_t, uint64_t length) override {
    absl::StrAppend(Side(dir), "[gap ", length, "]");
    // Bounded so a huge (bogus) gap cannot exhaust the test's memory.
    if (length <= (16u << 20)) Flat(dir)->append(length, '\0');
    (dir == Direction::kClientToServer ? t_->client_gap_bytes : t_->server_gap_bytes) += length;
    t_->events.push_back(absl::StrCat("gap ", Name(dir), " ", length));
  }
  void OnClose(int64_t, const CloseInfo& info) override {
    t_->closed = true;
    t_->close = info;
    t_->events.push_back(absl::StrCat("close ", EndReasonName(info.reason), " ",
                                      info.bytes_client_to_server, " ",
                                      info.bytes_server_to_client));
  }

 private:
  std::string* Side(Direction d) {
    return d == Direction::kClientToServer ? &t_->client : &t_->server;
  }
  std::string* Flat(Direction d) {
    return d == Direction::kClientToServer ? &t_->client_flat : &t_->server_flat;
  }
  static const char* Name(Direction d) { return d == Direction::kClientToServer ? "c2s" : "s2c"; }
  Transcript* t_;
};

class RecordingFactory : public StreamHandlerFactory {
 public:
  // When `accept_port` is non-zero only connections to that server port get a handler.
  explicit RecordingFactory(uint16_t accept_port = 0) : accept_port_(accept_port) {}
  std::unique_ptr<StreamHandler> Create(const ConnectionInfo& info) override {
    if (accept_port_ != 0 && info.server_port != accept_port_) return nullptr;
    transcripts.push_back(std::make_unique<Transcript>());
    transcripts.back()->info = info;
    return std::make_unique<RecordingHandler>(transcripts.back().get());
  }
  std::vector<std::unique_ptr<Transcript>> transcripts;

 private:
  uint16_t accept_port_;
};

}  // namespace dbaudit::sensor::flow::testing
