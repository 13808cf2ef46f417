// Child processes for the end-to-end tests: spawn with stdout/stderr to files, wait with a
// deadline, signal.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace dbaudit::e2e {

class ChildProcess {
 public:
  // Starts argv[0] with stdout and stderr appended to the given files. pid() is -1 on failure.
  ChildProcess(const std::vector<std::string>& argv, const std::string& stdout_path, const std::string& stderr_path);
  ~ChildProcess();  // SIGKILLs and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The exit code; 128 + signal when killed by one; -1 when the deadline passed (the child is
  // then killed).
  int Wait(std::chrono::milliseconds deadline);
  void Signal(int signal);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// The whole file, or "" when it cannot be read.
std::string ReadWholeFile(const std::string& path);

}  // namespace dbaudit::e2e
