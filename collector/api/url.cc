#include "collector/api/url.h"

namespace dbaudit::collector::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return absl::InvalidArgumentError("truncated percent escape");
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return absl::InvalidArgumentError("bad percent escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<ParsedTarget> ParseTarget(std::string_view target) {
  if (target.empty() || target[0] != '/') return absl::InvalidArgumentError("request target must be an absolute path");
  ParsedTarget parsed;
  const size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  size_t start = 1;
  while (start <= raw_path.size()) {
    const size_t slash = raw_path.find('/', start);
    const std::string_view seg = raw_path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    absl::StatusOr<std::string> decoded = PercentDecode(seg, false);
    if (!decoded.ok()) return decoded.status();
    if (!decoded->empty()) parsed.segments.push_back(*decoded);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (const std::string& seg : parsed.segments) parsed.path += "/" + seg;
  if (parsed.path.empty()) parsed.path = "/";
  if (q == std::string_view::npos) return parsed;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    absl::StatusOr<std::string> key = PercentDecode(pair.substr(0, eq), true);
    absl::StatusOr<std::string> value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key.ok()) return key.status();
    if (!value.ok()) return value.status();
    parsed.query.emplace_back(std::move(*key), std::move(*value));
  }
  return parsed;
}

}  // namespace dbaudit::collector::api

namespace dbaudit::collector::api {

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(std::string_view hp) {
  const size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError("expected HOST:PORT, got '" + std::string(hp) + "'");
  }
  std::string_view host = hp.substr(0, colon);
  const std::string_view port = hp.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return absl::InvalidArgumentError("bad IPv6 literal in '" + std::string(hp) + "'");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return absl::InvalidArgumentError("IPv6 addresses need brackets: [" + std::string(host) + "]:PORT");
  }
  int value = 0;
  if (port.empty() || port.size() > 5) return absl::InvalidArgumentError("bad port in '" + std::string(hp) + "'");
  for (char c : port) {
    if (c < '0' || c > '9') return absl::InvalidArgumentError("bad port in '" + std::string(hp) + "'");
    value = value * 10 + (c - '0');
  }
  if (value > 65535) return absl::InvalidArgumentError("port out of range in '" + std::string(hp) + "'");
  return std::make_pair(std::string(host), value);
}

}  // namespace dbaudit::collector::api
