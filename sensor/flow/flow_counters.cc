#include "sensor/flow/flow_counters.h"

namespace dbaudit::sensor::flow {

const FlowCounters& GetFlowCounters() {
  static const FlowCounters counters = [] {
    auto& r = MetricsRegistry::Default();
    return FlowCounters{
        r.GetCounter("dbaudit_flow_created_total", "TCP flows added to the flow table"),
        r.GetCounter("dbaudit_flow_closed_fin_total", "Flows closed by FIN from both sides"),
        r.GetCounter("dbaudit_flow_closed_rst_total", "Flows closed by RST"),
        r.GetCounter("dbaudit_flow_idle_timeouts_total", "Flows closed after the idle timeout"),
        r.GetCounter("dbaudit_flow_closed_capture_end_total", "Flows open when the capture ended"),
        r.GetCounter("dbaudit_flow_evicted_total",
                     "Flows evicted (oldest idle first) because the flow table was full"),
        r.GetCounter("dbaudit_flow_gaps_total", "Gap notices handed to stream handlers"),
        r.GetCounter("dbaudit_flow_gap_bytes_total", "Stream bytes lost to gaps"),
        r.GetCounter("dbaudit_flow_ack_gaps_total",
                     "Gaps found because the peer acknowledged bytes the capture never saw"),
        r.GetCounter("dbaudit_flow_retransmitted_bytes_total",
                     "Payload bytes seen again (duplicates and overlaps, first copy kept)"),
        r.GetCounter("dbaudit_flow_overlap_differs_total",
                     "Retransmitted segments whose bytes differ from the first copy"),
        r.GetCounter("dbaudit_flow_out_of_order_segments_total",
                     "Segments buffered because earlier bytes were missing"),
        r.GetCounter("dbaudit_flow_buffer_cap_flushes_total",
                     "Holes skipped (as gaps) because a per-flow or total buffer cap was hit"),
        r.GetCounter("dbaudit_flow_bogus_acks_total",
                     "ACKs ignored because they acknowledged implausibly far ahead"),
        r.GetCounter("dbaudit_flow_data_after_fin_bytes_total",
                     "Payload bytes beyond a direction's FIN (dropped)"),
        r.GetCounter("dbaudit_flow_data_before_start_bytes_total",
                     "Payload bytes before the first byte of a picked-up stream (dropped)"),
        r.GetCounter("dbaudit_flow_untracked_segments_total",
                     "Segments without SYN or payload for no known flow (ignored)"),
        r.GetCounter("dbaudit_flow_segments_after_close_total",
                     "Segments of a flow that already closed (ignored)"),
        r.GetCounter("dbaudit_flow_unhandled_payload_bytes_total",
                     "Payload bytes of flows no protocol handler wanted (dropped unbuffered)"),
        r.GetCounter("dbaudit_flow_queue_dropped_packets_total",
                     "Packets dropped because a worker queue was full"),
        r.GetCounter("dbaudit_flow_mid_stream_pickups_total",
                     "Flows picked up without their SYN handshake"),
        r.GetCounter("dbaudit_flow_port_reuse_total",
                     "Open flows replaced by a new connection on the same 4-tuple"),
        r.GetGauge("dbaudit_flow_active", "Flows in the flow tables (open and recently closed)"),
        r.GetGauge("dbaudit_flow_buffered_bytes",
                   "Bytes held for reassembly: out-of-order data and unacknowledged history"),
    };
  }();
  return counters;
}

}  // namespace dbaudit::sensor::flow
