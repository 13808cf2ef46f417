#include "common/metrics.h"

#include <sstream>

namespace dbaudit {

MetricsRegistry& MetricsRegistry::Default() {
  static MetricsRegistry* registry = new MetricsRegistry();
  return *registry;
}

Counter* MetricsRegistry::GetCounter(std::string_view name, std::string_view help) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    it = entries_.emplace(std::string(name), Entry{std::string(help), nullptr, nullptr}).first;
  }
  if (!it->second.counter) it->second.counter = std::make_unique<Counter>();
  return it->second.counter.get();
}

Gauge* MetricsRegistry::GetGauge(std::string_view name, std::string_view help) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    it = entries_.emplace(std::string(name), Entry{std::string(help), nullptr, nullptr}).first;
  }
  if (!it->second.gauge) it->second.gauge = std::make_unique<Gauge>();
  return it->second.gauge.get();
}

void MetricsRegistry::ForEach(const std::function<void(const std::string&, int64_t)>& fn) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, e] : entries_) {
    if (e.counter) fn(name, static_cast<int64_t>(e.counter->Value()));
    if (e.gauge) fn(name, e.gauge->Value());
  }
}

std::string MetricsRegistry::PrometheusText() const {
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, e] : entries_) {
    out << "# HELP " << name << ' ' << e.help << '\n';
    if (e.counter) out << "# TYPE " << name << " counter\n" << name << ' ' << e.counter->Value() << '\n';
    if (e.gauge) out << "# TYPE " << name << " gauge\n" << name << ' ' << e.gauge->Value() << '\n';
  }
  return out.str();
}

}  // namespace dbaudit
