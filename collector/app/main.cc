// dbaudit-collector: gRPC ingest + RocksDB store + HTTP API in one process.
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <cstdio>
#include <string>
#include <vector>

#include "collector/app/collector_app.h"
#include "collector/app/config.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Self-pipe: the handler (which may run on any thread, including ones libraries started before
// main) only writes the signal number; main blocks reading it.
int g_signal_pipe[2] = {-1, -1};

extern "C" void OnStopSignal(int signal) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(signal);
  [[maybe_unused]] const ssize_t n = write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

bool InstallStopHandlers() {
  if (pipe(g_signal_pipe) != 0) return false;
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  return sigaction(SIGINT, &action, nullptr) == 0 && sigaction(SIGTERM, &action, nullptr) == 0;
}

int WaitForStopSignal() {
  unsigned char byte = 0;
  while (read(g_signal_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  return byte;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dbaudit::collector::app;
  absl::StatusOr<CollectorConfig> config = ParseCollectorArgs(std::vector<std::string>(argv + 1, argv + argc));
  if (!config.ok()) {
    std::fprintf(stderr, "dbaudit-collector: %s\nTry 'dbaudit-collector --help'.\n",
                 std::string(config.status().message()).c_str());
    return kExitUsage;
  }
  if (config->help) {
    std::fputs(CollectorUsage(), stdout);
    return kExitOk;
  }
  if (!InstallStopHandlers()) {
    std::fprintf(stderr, "dbaudit-collector: cannot install signal handlers\n");
    return kExitFailure;
  }
  absl::StatusOr<std::unique_ptr<Collector>> collector = Collector::Start(*config, stderr);
  if (!collector.ok()) {
    std::fprintf(stderr, "dbaudit-collector: %s\n", std::string(collector.status().message()).c_str());
    return kExitFailure;
  }
  const int signal = WaitForStopSignal();
  std::fprintf(stderr, "dbaudit-collector: %s, shutting down\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  (*collector)->Shutdown();
  std::fprintf(stderr, "dbaudit-collector: stopped\n");
  return kExitOk;
}
