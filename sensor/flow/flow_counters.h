// The flow stage's named counters (dbaudit_flow_*), looked up once per process.
#pragma once

#include "common/metrics.h"

namespace dbaudit::sensor::flow {

struct FlowCounters {
  Counter* flows_created;
  Counter* closed_fin;
  Counter* closed_rst;
  Counter* closed_idle;
  Counter* closed_capture_end;
  Counter* evicted;
  Counter* gaps;
  Counter* gap_bytes;
  Counter* ack_gaps;
  Counter* retransmitted_bytes;
  Counter* overlap_differs;
  Counter* out_of_order_segments;
  Counter* buffer_cap_flushes;
  Counter* bogus_acks;
  Counter* data_after_fin_bytes;
  Counter* data_before_start_bytes;
  Counter* untracked_segments;
  Counter* segments_after_close;
  Counter* unhandled_payload_bytes;
  Counter* queue_dropped_packets;
  Counter* mid_stream_pickups;
  Counter* port_reuse;
  Gauge* active_flows;
  Gauge* buffered_bytes;
};

const FlowCounters& GetFlowCounters();

}  // namespace dbaudit::sensor::flow
