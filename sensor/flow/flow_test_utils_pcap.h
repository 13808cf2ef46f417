// Runs a capture file through a PacketEngine whose handlers record transcripts.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "sensor/capture/packet_source.h"
#include "sensor/flow/flow_test_utils.h"
#include "sensor/flow/packet_engine.h"

namespace dbaudit::sensor::flow::testing {

struct PcapRun {
  bool opened = false;
  std::string error;
  uint64_t packets = 0;
  std::unique_ptr<RecordingFactory> factory;  // owns the transcripts (workers == 1)
};

// Reads `path` and returns every connection's transcript. By default with one inline worker
// (deterministic order); with options.workers > 1 the transcripts of all workers are merged and
// sorted by start time and endpoints.
inline PcapRun RunPcap(const std::string& path, EngineOptions options = {}) {
  PcapRun run;
  auto source = capture::PacketSource::OpenOffline(path, "");
  if (!source.ok()) {
    run.error = std::string(source.status().message());
    return run;
  }
  run.opened = true;
  options.session_id_seed = 7;
  std::vector<RecordingFactory*> factories;
  PacketEngine engine(options, (*source)->linktype(), [&factories](int) {
    auto f = std::make_unique<RecordingFactory>();
    factories.push_back(f.get());
    return f;
  });
  capture::Packet p;
  while ((*source)->Next(&p) == capture::NextStatus::kPacket) {
    engine.OnPacket(p);
    ++run.packets;
  }
  engine.Finish();
  // The engine owns the factories; move the transcripts out before it goes away.
  run.factory = std::make_unique<RecordingFactory>();
  auto& all = run.factory->transcripts;
  for (RecordingFactory* f : factories) {
    for (auto& t : f->transcripts) all.push_back(std::move(t));
  }
  if (factories.size() > 1) {
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return std::tie(a->info.start_ts_us, a->info.client_ip, a->info.client_port) <
             std::tie(b->info.start_ts_us, b->info.client_ip, b->info.client_port);
    });
  }
  return run;
}

}  // namespace dbaudit::sensor::flow::testing
