#include "sensor/protocols/dispatcher.h"

#include <algorithm>
#include <string>
#include <utility>

#include "common/metrics.h"

namespace dbaudit::sensor::protocols {
namespace {

enum class Guess { kNone, kMysql, kPostgres };

bool Contains(const std::vector<uint16_t>& ports, uint16_t port) {
  return std::find(ports.begin(), ports.end(), port) != ports.end();
}

struct DetectCounters {
  Counter* mysql = MetricsRegistry::Default().GetCounter(
      "dbaudit_detect_mysql_total", "Connections handed to the MySQL parser.");
  Counter* postgres = MetricsRegistry::Default().GetCounter(
      "dbaudit_detect_postgres_total", "Connections handed to the PostgreSQL parser.");
  Counter* flipped = MetricsRegistry::Default().GetCounter(
      "dbaudit_detect_roles_flipped_total", "Mid-stream connections whose client/server roles the first bytes reversed.");
  Counter* unknown = MetricsRegistry::Default().GetCounter(
      "dbaudit_detect_unknown_total", "Connections whose first bytes matched no database protocol (ignored).");
};

DetectCounters& Counters() {
  static DetectCounters* c = new DetectCounters();
  return *c;
}

// Holds the first bytes of a connection until they show which protocol it speaks, then replays
// them, in arrival order, into the chosen session and forwards everything after.
class DetectingHandler : public StreamHandler {
 public:
  DetectingHandler(const ConnectionInfo& info, const DispatchOptions& options, RecordSink* sink)
      : info_(info), options_(options), sink_(sink) {
    port_guess_ = Contains(options.mysql_ports, info.server_port) ? Guess::kMysql
                  : Contains(options.pg_ports, info.server_port)  ? Guess::kPostgres
                                                                  : Guess::kNone;
  }

  void OnData(Direction dir, int64_t ts_us, absl::Span<const uint8_t> data) override {
    if (session_) return session_->OnData(Oriented(dir), ts_us, data);
    if (given_up_) return;
    Chunk c{dir, ts_us, std::string(reinterpret_cast<const char*>(data.data()), data.size()), 0};
    held_[static_cast<int>(dir)].append(c.bytes);
    chunks_.push_back(std::move(c));
    Decide();
  }

  void OnGap(Direction dir, int64_t ts_us, uint64_t length) override {
    if (session_) return session_->OnGap(Oriented(dir), ts_us, length);
    if (given_up_) return;
    chunks_.push_back(Chunk{dir, ts_us, std::string(), length});
    // A loss before the protocol is known: trust the configured port, else give up.
    if (port_guess_ != Guess::kNone) return Start(port_guess_);
    GiveUp();
  }

  void OnClose(int64_t ts_us, const CloseInfo& close) override {
    if (!session_ && !given_up_) {
      const Guess g = Classify(/*final=*/true);
      if (g != Guess::kNone) Start(g);
    }
    if (!session_) return;
    CloseInfo oriented = close;
    if (flipped_) std::swap(oriented.bytes_client_to_server, oriented.bytes_server_to_client);
    session_->OnClose(ts_us, oriented);
  }

 private:
  struct Chunk {
    Direction dir;
    int64_t ts_us;
    std::string bytes;
    uint64_t gap = 0;
  };

  static absl::Span<const uint8_t> View(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }

  Direction Oriented(Direction dir) const {
    if (!flipped_) return dir;
    return dir == Direction::kClientToServer ? Direction::kServerToClient : Direction::kClientToServer;
  }

  // Roles guessed without a handshake (mid-stream: configured port, else the lower port) can be
  // backwards: a greeting sent by the "client" or a startup message sent by the "server" says so.
  bool RolesReversed() const {
    if (!info_.mid_stream) return false;
    const std::string& from_client = held_[0];
    const std::string& from_server = held_[1];
    const bool any = options_.detect_by_content;
    return (!from_client.empty() && (any || port_guess_ == Guess::kMysql) &&
            mysql::LooksLikeMysql(Direction::kServerToClient, View(from_client))) ||
           (!from_server.empty() && (any || port_guess_ == Guess::kPostgres) &&
            postgres::LooksLikePostgres(Direction::kClientToServer, View(from_server)));
  }

  // kNone while undecided. With `final`, decides on whatever is held.
  Guess Classify(bool final) const {
    const std::string& c2s = held_[0];
    const std::string& s2c = held_[1];
    const bool pg_port = port_guess_ == Guess::kPostgres;
    const bool my_port = port_guess_ == Guess::kMysql;
    // Without content detection only the port's own protocol may match.
    const bool any = options_.detect_by_content;
    if ((any || pg_port) && !c2s.empty() && postgres::LooksLikePostgres(Direction::kClientToServer, View(c2s))) {
      return Guess::kPostgres;
    }
    if ((any || my_port) && !s2c.empty() && mysql::LooksLikeMysql(Direction::kServerToClient, View(s2c))) {
      return Guess::kMysql;
    }
    if (info_.mid_stream) {
      // No handshake to see: the first bytes are any request or response. Trust the port when
      // the bytes are plausible for it.
      if (my_port && !c2s.empty() && mysql::LooksLikeMysql(Direction::kClientToServer, View(c2s))) return Guess::kMysql;
      if (pg_port && !c2s.empty() && postgres::LooksLikePostgres(Direction::kClientToServer, View(c2s))) return Guess::kPostgres;
      if (pg_port && (final || c2s.size() >= 5 || s2c.size() >= 5)) return Guess::kPostgres;
      if (my_port && (final || c2s.size() >= 5 || s2c.size() >= 5)) return Guess::kMysql;
    }
    return Guess::kNone;
  }

  bool Hopeless() const {
    const size_t c2s = held_[0].size();
    const size_t s2c = held_[1].size();
    if (c2s > options_.max_detect_bytes || s2c > options_.max_detect_bytes) return true;
    // A handshake is one message: once both sides have spoken (or one has sent a whole
    // greeting-sized chunk) without a match, this is not a database we know.
    return (c2s >= 8 && s2c >= 8) || c2s >= 512 || s2c >= 512;
  }

  void Decide() {
    if (RolesReversed()) return StartFlipped();
    const Guess g = Classify(/*final=*/false);
    if (g != Guess::kNone) return Start(g);
    if (Hopeless()) GiveUp();
  }

  void GiveUp() {
    given_up_ = true;
    chunks_.clear();
    held_[0].clear();
    held_[1].clear();
    Counters().unknown->Add();
  }

  // Swaps the roles, then starts the protocol whose opening message the swapped bytes show.
  void StartFlipped() {
    flipped_ = true;
    std::swap(info_.client_ip, info_.server_ip);
    std::swap(info_.client_port, info_.server_port);
    std::swap(held_[0], held_[1]);
    // The opening message is here, so the protocol sees the session from its start.
    info_.mid_stream = false;
    Counters().flipped->Add();
    const bool greeting = !held_[1].empty() && mysql::LooksLikeMysql(Direction::kServerToClient, View(held_[1]));
    Start(greeting ? Guess::kMysql : Guess::kPostgres);
  }

  void Start(Guess g) {
    if (g == Guess::kMysql) {
      session_ = std::make_unique<mysql::Session>(info_, sink_, options_.mysql);
      Counters().mysql->Add();
    } else {
      session_ = std::make_unique<postgres::Session>(info_, sink_, options_.postgres);
      Counters().postgres->Add();
    }
    std::vector<Chunk> replay = std::move(chunks_);
    held_[0].clear();
    held_[1].clear();
    for (const Chunk& c : replay) {
      if (c.gap > 0) {
        session_->OnGap(Oriented(c.dir), c.ts_us, c.gap);
      } else {
        session_->OnData(Oriented(c.dir), c.ts_us, View(c.bytes));
      }
    }
  }

  ConnectionInfo info_;
  const DispatchOptions& options_;
  RecordSink* sink_;
  Guess port_guess_ = Guess::kNone;
  std::vector<Chunk> chunks_;
  std::string held_[2];
  bool given_up_ = false;
  bool flipped_ = false;  // the flow table's client is the server: every direction is swapped
  std::unique_ptr<StreamHandler> session_;
};

}  // namespace

ProtocolDispatcher::ProtocolDispatcher(const DispatchOptions& options, RecordSink* sink)
    : options_(options), sink_(sink) {}

std::unique_ptr<StreamHandler> ProtocolDispatcher::Create(const ConnectionInfo& info) {
  const bool configured = Contains(options_.mysql_ports, info.server_port) ||
                          Contains(options_.pg_ports, info.server_port);
  if (!configured && !options_.detect_by_content) return nullptr;
  return std::make_unique<DetectingHandler>(info, options_, sink_);
}

}  // namespace dbaudit::sensor::protocols
