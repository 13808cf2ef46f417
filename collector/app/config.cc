#include "collector/app/config.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "collector/api/url.h"

namespace dbaudit::collector::app {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

absl::StatusOr<size_t> ParseSize(std::string_view key, std::string_view value, size_t min, size_t max) {
  size_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < min || n > max) {
    return absl::InvalidArgumentError(std::string(key) + ": expected a number from " + std::to_string(min) +
                                      " to " + std::to_string(max) + ", got '" + std::string(value) + "'");
  }
  return n;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::Status ApplySetting(std::string_view key, std::string_view value, CollectorConfig* c) {
  if (key == "data_dir") {
    if (value.empty()) return absl::InvalidArgumentError("data_dir must not be empty");
    c->data_dir = std::string(value);
  } else if (key == "grpc_listen" || key == "http_listen") {
    absl::StatusOr<std::pair<std::string, int>> hp = api::SplitHostPort(value);
    if (!hp.ok()) return absl::InvalidArgumentError(std::string(key) + ": " + std::string(hp.status().message()));
    (key == "grpc_listen" ? c->grpc_listen : c->http_listen) = std::string(value);
  } else if (key == "http_threads") {
    absl::StatusOr<size_t> n = ParseSize(key, value, 1, 64);
    if (!n.ok()) return n.status();
    c->http_threads = static_cast<int>(*n);
  } else if (key == "scan_budget") {
    absl::StatusOr<size_t> n = ParseSize(key, value, 1000, size_t{1} << 40);
    if (!n.ok()) return n.status();
    c->scan_budget = *n;
  } else {
    return absl::InvalidArgumentError("unknown setting '" + std::string(key) + "'");
  }
  return absl::OkStatus();
}

absl::Status ApplyConfigText(std::string_view text, CollectorConfig* config) {
  int line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return absl::InvalidArgumentError("line " + std::to_string(line_no) + ": expected key = value");
    }
    absl::Status s = ApplySetting(Trim(line.substr(0, eq)), Trim(line.substr(eq + 1)), config);
    if (!s.ok()) return absl::InvalidArgumentError("line " + std::to_string(line_no) + ": " + std::string(s.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<CollectorConfig> ParseCollectorArgs(const std::vector<std::string>& args) {
  // Split "--flag=value" and "--flag value" into pairs first, so --config can go first.
  std::vector<std::pair<std::string, std::string>> flags;
  CollectorConfig config;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      config.help = true;
      return config;
    }
    if (a.rfind("--", 0) != 0) return absl::InvalidArgumentError("unexpected argument '" + a + "'");
    const size_t eq = a.find('=');
    if (eq != std::string::npos) {
      flags.emplace_back(a.substr(2, eq - 2), a.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      flags.emplace_back(a.substr(2), args[++i]);
    } else {
      return absl::InvalidArgumentError(a + " needs a value");
    }
  }
  for (const auto& [name, value] : flags) {
    if (name != "config") continue;
    absl::StatusOr<std::string> text = ReadFile(value);
    if (!text.ok()) return text.status();
    absl::Status s = ApplyConfigText(*text, &config);
    if (!s.ok()) return absl::InvalidArgumentError(value + ": " + std::string(s.message()));
  }
  for (auto [name, value] : flags) {
    if (name == "config") continue;
    const std::string flag = "--" + name;
    for (char& c : name) c = c == '-' ? '_' : c;
    absl::Status s = ApplySetting(name, value, &config);
    if (!s.ok()) {
      if (s.message().find("unknown setting") != absl::string_view::npos) {
        return absl::InvalidArgumentError("unknown flag " + flag);
      }
      return absl::InvalidArgumentError(flag + ": " + std::string(s.message()));
    }
  }
  return config;
}

const char* CollectorUsage() {
  return R"(Usage: dbaudit-collector [flags]

Receives records from dbaudit-sensor over gRPC, keeps them in an embedded RocksDB and serves the
Events API and the audit/sqls API over HTTP.

  --data-dir DIR          RocksDB data directory (default ./dbaudit-data; created if missing)
  --grpc-listen HOST:PORT ingest address for sensors (default 127.0.0.1:7400)
  --http-listen HOST:PORT HTTP API address (default 127.0.0.1:7480)
  --http-threads N        HTTP server threads (default 2)
  --scan-budget N         index entries one API query may visit (default 1000000)
  --config FILE           key = value settings (data_dir, grpc_listen, http_listen, http_threads,
                          scan_budget); flags override the file
  --help                  this text

Port 0 picks a free port. On start it prints "grpc listening on HOST:PORT" and
"http listening on HOST:PORT" on stderr; on the first start with an empty data directory it
creates an API key and prints it once as "API key: <key>" (only its SHA-256 is kept).
Use it as "Authorization: Bearer <key>" (or "X-Auth-Token: <key>" for audit/sqls).
SIGINT or SIGTERM stop it cleanly. Exit codes: 0 clean stop, 1 runtime failure, 2 usage.
)";
}

}  // namespace dbaudit::collector::app
