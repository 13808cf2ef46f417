#include "sensor/app/options.h"

#include <unistd.h>

#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace dbaudit::sensor {
namespace {

using Setter = absl::Status (*)(SensorOptions&, const std::string&);

absl::Status Bad(const std::string& key, const std::string& value, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("--", key, "=", value, ": ", why));
}

absl::StatusOr<int64_t> ParseInt(const std::string& key, const std::string& v, int64_t lo, int64_t hi) {
  int64_t n;
  if (!absl::SimpleAtoi(v, &n) || n < lo || n > hi) {
    return Bad(key, v, absl::StrCat("expected a whole number from ", lo, " to ", hi));
  }
  return n;
}

absl::StatusOr<bool> ParseBool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return Bad(key, v, "expected true or false");
}

#define DBAUDIT_ASSIGN_INT(field, key, lo, hi)                   \
  [](SensorOptions& o, const std::string& v) -> absl::Status {   \
    auto n = ParseInt(key, v, lo, hi);                           \
    if (!n.ok()) return n.status();                              \
    o.field = static_cast<decltype(o.field)>(*n);                \
    return absl::OkStatus();                                     \
  }
#define DBAUDIT_ASSIGN_BOOL(field, key)                          \
  [](SensorOptions& o, const std::string& v) -> absl::Status {   \
    auto b = ParseBool(key, v);                                  \
    if (!b.ok()) return b.status();                              \
    o.field = *b;                                                \
    return absl::OkStatus();                                     \
  }
#define DBAUDIT_ASSIGN_STRING(field) \
  [](SensorOptions& o, const std::string& v) -> absl::Status { o.field = v; return absl::OkStatus(); }

// Flags that take a value. Boolean flags also accept the bare form (--no-promisc etc. below).
const std::map<std::string, Setter>& ValueFlags() {
  static const auto* flags = new std::map<std::string, Setter>{
      {"read", DBAUDIT_ASSIGN_STRING(pipeline.read_path)},
      {"interface", DBAUDIT_ASSIGN_STRING(pipeline.live.interface)},
      {"filter", DBAUDIT_ASSIGN_STRING(pipeline.bpf_filter)},
      {"snaplen", DBAUDIT_ASSIGN_INT(pipeline.live.snaplen, "snaplen", 64, 262144)},
      {"buffer-size",
       [](SensorOptions& o, const std::string& v) -> absl::Status {
         auto n = ParseByteSize(v);
         if (!n.ok() || *n < (1 << 16) || *n > (uint64_t{1} << 31)) {
           return Bad("buffer-size", v, "expected a size from 64k to 2G");
         }
         o.pipeline.live.buffer_bytes = static_cast<int>(*n);
         return absl::OkStatus();
       }},
      {"promisc", DBAUDIT_ASSIGN_BOOL(pipeline.live.promiscuous, "promisc")},
      {"immediate", DBAUDIT_ASSIGN_BOOL(pipeline.live.immediate, "immediate")},
      {"detect", DBAUDIT_ASSIGN_BOOL(pipeline.detect_by_content, "detect")},
      {"sql-analysis", DBAUDIT_ASSIGN_BOOL(pipeline.analyze_sql, "sql-analysis")},
      {"workers", DBAUDIT_ASSIGN_INT(pipeline.workers, "workers", 1, 64)},
      {"mysql-ports",
       [](SensorOptions& o, const std::string& v) -> absl::Status {
         auto p = ParsePortList(v);
         if (!p.ok()) return Bad("mysql-ports", v, std::string(p.status().message()));
         o.pipeline.mysql_ports = *p;
         return absl::OkStatus();
       }},
      {"pg-ports",
       [](SensorOptions& o, const std::string& v) -> absl::Status {
         auto p = ParsePortList(v);
         if (!p.ok()) return Bad("pg-ports", v, std::string(p.status().message()));
         o.pipeline.pg_ports = *p;
         return absl::OkStatus();
       }},
      {"emit",
       [](SensorOptions& o, const std::string& v) -> absl::Status {
         if (v != "jsonl") return Bad("emit", v, "the only output format is jsonl");
         o.emit = EmitMode::kJsonl;
         return absl::OkStatus();
       }},
      {"output", DBAUDIT_ASSIGN_STRING(output_path)},
      {"collector", DBAUDIT_ASSIGN_STRING(collector)},
      {"sensor-id", DBAUDIT_ASSIGN_STRING(sensor_id)},
      {"metrics", DBAUDIT_ASSIGN_BOOL(print_metrics, "metrics")},
  };
  return *flags;
}

absl::Status Apply(SensorOptions& o, const std::string& key, const std::string& value) {
  auto it = ValueFlags().find(key);
  if (it == ValueFlags().end()) return absl::InvalidArgumentError(absl::StrCat("unknown option --", key));
  return it->second(o, value);
}

absl::Status LoadConfig(SensorOptions& o, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    std::pair<std::string, std::string> kv = absl::StrSplit(l, absl::MaxSplits('=', 1));
    const std::string key(absl::StripAsciiWhitespace(kv.first));
    const std::string value(absl::StripAsciiWhitespace(kv.second));
    if (l.find('=') == absl::string_view::npos || key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": expected key = value"));
    }
    if (absl::Status s = Apply(o, key, value); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

// Bare flags: --help, --version, --metrics and the --no-X forms of the boolean options.
bool ApplyBareFlag(SensorOptions& o, const std::string& name) {
  bool* target = nullptr;
  bool value = false;
  if (name == "help" || name == "h") {
    target = &o.help, value = true;
  } else if (name == "version") {
    target = &o.version, value = true;
  } else if (name == "metrics") {
    target = &o.print_metrics, value = true;
  } else if (name == "no-promisc") {
    target = &o.pipeline.live.promiscuous;
  } else if (name == "no-immediate") {
    target = &o.pipeline.live.immediate;
  } else if (name == "no-detect") {
    target = &o.pipeline.detect_by_content;
  } else if (name == "no-sql-analysis") {
    target = &o.pipeline.analyze_sql;
  }
  if (target == nullptr) return false;
  *target = value;
  return true;
}

absl::Status Validate(SensorOptions& o) {
  if (o.help || o.version) return absl::OkStatus();
  const bool offline = !o.pipeline.read_path.empty();
  const bool live = !o.pipeline.live.interface.empty();
  if (offline == live) return absl::InvalidArgumentError("give exactly one of --read FILE or --interface IF");
  if (o.emit == EmitMode::kNone && o.collector.empty()) {
    return absl::InvalidArgumentError("nothing to do: give --emit jsonl and/or --collector HOST:PORT");
  }
  if (!o.collector.empty() && o.collector.rfind(':') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("--collector=", o.collector, ": expected HOST:PORT"));
  }
  if (!o.output_path.empty() && o.emit != EmitMode::kJsonl) {
    return absl::InvalidArgumentError("--output needs --emit jsonl");
  }
  if (o.sensor_id.empty()) {
    char host[256] = {0};
    o.sensor_id = gethostname(host, sizeof(host) - 1) == 0 && host[0] ? host : "sensor";
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<uint16_t>> ParsePortList(const std::string& text) {
  std::vector<uint16_t> ports;
  if (text.empty()) return ports;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    int n;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(item), &n) || n < 1 || n > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("'", item, "' is not a port (1-65535)"));
    }
    ports.push_back(static_cast<uint16_t>(n));
  }
  return ports;
}

absl::StatusOr<uint64_t> ParseByteSize(const std::string& text) {
  if (text.empty()) return absl::InvalidArgumentError("empty size");
  uint64_t mult = 1;
  std::string digits = text;
  switch (text.back()) {
    case 'k': case 'K': mult = uint64_t{1} << 10; digits.pop_back(); break;
    case 'm': case 'M': mult = uint64_t{1} << 20; digits.pop_back(); break;
    case 'g': case 'G': mult = uint64_t{1} << 30; digits.pop_back(); break;
    default: break;
  }
  uint64_t n;
  if (!absl::SimpleAtoi(digits, &n) || n > (uint64_t{1} << 40) / mult) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a size"));
  }
  return n * mult;
}

absl::StatusOr<SensorOptions> ParseSensorOptions(const std::vector<std::string>& args) {
  SensorOptions o;
  o.pipeline.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // tcpdump's default: a 65535-byte snaplen cuts loopback frames (64 KiB MTU + link header) and
  // turns every full-size segment into a gap.
  o.pipeline.live.snaplen = kDefaultSnaplen;
  // The config file is read first so that the command line overrides it.
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) o.config_path = args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) o.config_path = args[i].substr(9);
  }
  if (!o.config_path.empty()) {
    if (absl::Status s = LoadConfig(o, o.config_path); !s.ok()) return s;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-') return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", a, "'"));
    std::string name = a.substr(a[1] == '-' ? 2 : 1);
    std::string value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "config") {
      if (!inline_value) ++i;
      continue;
    }
    if (!inline_value && ApplyBareFlag(o, name)) continue;
    if (ValueFlags().count(name) == 0) return absl::InvalidArgumentError(absl::StrCat("unknown option ", a));
    if (!inline_value) {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      value = args[++i];
    }
    if (absl::Status s = Apply(o, name, value); !s.ok()) return s;
  }
  if (absl::Status s = Validate(o); !s.ok()) return s;
  return o;
}

const char* SensorUsage() {
  return R"(dbaudit-sensor: passive MySQL/MariaDB and PostgreSQL activity monitor.

Usage:
  dbaudit-sensor --read FILE      [options]   audit a pcap/pcapng capture
  dbaudit-sensor --interface IF   [options]   audit live traffic (needs CAP_NET_RAW)

Output (at least one):
  --emit jsonl               print one JSON record per line (stdout, or --output FILE)
  --output FILE              write the JSON Lines to FILE
  --collector HOST:PORT      ship records to dbaudit-collector over gRPC; exits 0 only
                             when every record was acknowledged
  --sensor-id ID             this sensor's name in every record (default: host name)

Protocols:
  --mysql-ports LIST         MySQL/MariaDB server ports (default 3306)
  --pg-ports LIST            PostgreSQL server ports (default 5432)
  --no-detect                parse only the configured ports (default: also detect
                             database traffic on other ports by its first bytes)
  --no-sql-analysis          skip query_type/objects/fingerprint/injection analysis

Capture:
  --filter BPF               capture filter (live default: the configured ports)
  --snaplen N                bytes kept per packet (live, default 262144)
  --buffer-size SIZE         kernel capture buffer, e.g. 64M (live, default 32M)
  --no-promisc               do not put the interface in promiscuous mode
  --no-immediate             let the kernel batch packets (lower CPU, higher latency)
  --workers N                reassembly/parsing threads (default: number of cores)

Other:
  --config FILE              key = value lines with the flag names above
  --metrics                  print every counter (Prometheus text) on stderr at exit
  --help, --version

Exit status: 0 done; 1 runtime failure (capture error, records not acknowledged);
2 bad command line or config.
)";
}

}  // namespace dbaudit::sensor
