// Runs a capture file through a PacketEngine whose handlers record transcripts.
#pragma once

#include <memory>
#include <string>

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

// Reads `path` with one inline worker (deterministic) and returns every connection's transcript.
inline PcapRun RunPcap(const std::string& path, EngineOptions options = {}) {
  PcapRun run;
  auto source = capture::PacketSource::OpenOffline(path, "");
  if (!source.ok()) {
    run.error = std::string(source.status().message());
    return run;
  }
  run.opened = true;
  options.workers = 1;
  options.session_id_seed = 7;
  RecordingFactory* factory = nullptr;
  {
    PacketEngine engine(options, (*source)->linktype(), [&factory](int) {
      auto f = std::make_unique<RecordingFactory>();
      factory = f.get();
      return f;
    });
    run.factory.reset();
    capture::Packet p;
    while ((*source)->Next(&p) == capture::NextStatus::kPacket) {
      engine.OnPacket(p);
      ++run.packets;
    }
    engine.Finish();
    // The engine owns the factory; move the transcripts out before it goes away.
    run.factory = std::make_unique<RecordingFactory>();
    run.factory->transcripts = std::move(factory->transcripts);
  }
  return run;
}

}  // namespace dbaudit::sensor::flow::testing
