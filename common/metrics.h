// Named counters and gauges. Every drop, gap, desync and parse error in dbaudit has one.
// Stages look their counters up once at construction and keep the pointer; Add() is one relaxed
// atomic increment. The registry renders the Prometheus text exposition format.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace dbaudit {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class MetricsRegistry {
 public:
  // The process-wide registry.
  static MetricsRegistry& Default();

  // Returns the counter called `name`, creating it on first use. The pointer stays valid for the
  // registry's lifetime. `name` follows Prometheus rules (snake_case, `_total` for counters).
  Counter* GetCounter(std::string_view name, std::string_view help);
  Gauge* GetGauge(std::string_view name, std::string_view help);

  // Calls fn(name, value) for every counter and gauge, sorted by name.
  void ForEach(const std::function<void(const std::string&, int64_t)>& fn) const;

  // Prometheus text format, version 0.0.4.
  std::string PrometheusText() const;

 private:
  struct Entry {
    std::string help;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace dbaudit
