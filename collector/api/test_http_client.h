// A minimal blocking HTTP/1.1 client for tests (plain POSIX sockets, one request per
// connection, "Connection: close"), so tests talk to the real server over loopback without a
// second HTTP library.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <map>
#include <string>

namespace dbaudit::collector::testing {

struct HttpResult {
  int status = 0;  // 0: no response
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Sends `raw` as is to 127.0.0.1:port and returns everything read until the server closes.
inline std::string RawHttpExchange(int port, const std::string& raw) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    size_t sent = 0;
    while (sent < raw.size()) {
      const ssize_t n = send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    char buf[65536];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return response;
}

inline HttpResult ParseHttpResponse(const std::string& raw) {
  HttpResult result;
  const size_t end = raw.find("\r\n\r\n");
  if (raw.compare(0, 9, "HTTP/1.1 ") != 0 || end == std::string::npos) return result;
  result.status = std::stoi(raw.substr(9, 3));
  size_t line = raw.find("\r\n") + 2;
  while (line < end) {
    const size_t next = raw.find("\r\n", line);
    const std::string header = raw.substr(line, next - line);
    const size_t colon = header.find(':');
    if (colon != std::string::npos) {
      std::string name = header.substr(0, colon);
      for (char& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
      result.headers[name] = header.substr(header.find_first_not_of(' ', colon + 1));
    }
    line = next + 2;
  }
  result.body = raw.substr(end + 4);
  return result;
}

inline HttpResult HttpCall(int port, const std::string& method, const std::string& target,
                           const std::map<std::string, std::string>& headers = {}, const std::string& body = "") {
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) raw += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST") {
    raw += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  raw += "\r\n" + body;
  return ParseHttpResponse(RawHttpExchange(port, raw));
}

}  // namespace dbaudit::collector::testing
