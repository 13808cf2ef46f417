#include "sensor/protocols/common/session_recorder.h"

namespace dbaudit::sensor::protocols {

SessionRecorder::SessionRecorder(const ConnectionInfo& conn, Protocol protocol, RecordSink* sink)
    : sink_(sink) {
  info_.session_id = conn.session_id;
  info_.protocol = protocol;
  info_.client_ip = conn.client_ip;
  info_.client_port = conn.client_port;
  info_.server_ip = conn.server_ip;
  info_.server_port = conn.server_port;
}

Record SessionRecorder::Make(RecordKind kind, int64_t ts_us) const {
  Record r;
  r.kind = kind;
  r.timestamp_us = ts_us;
  r.session = info_;
  return r;
}

void SessionRecorder::EmitConnect(int64_t ts_us) { Emit(Make(RecordKind::kConnect, ts_us)); }

void SessionRecorder::EmitEncrypted(int64_t ts_us) { Emit(Make(RecordKind::kEncrypted, ts_us)); }

void SessionRecorder::EmitGap(Direction dir, int64_t ts_us, uint64_t length) {
  Record r = Make(RecordKind::kGap, ts_us);
  r.direction = dir;
  r.gap_bytes = length;
  Emit(std::move(r));
}

void SessionRecorder::EmitDisconnect(int64_t ts_us, const CloseInfo& close) {
  Record r = Make(RecordKind::kDisconnect, ts_us);
  r.end_reason = close.reason;
  r.bytes_client_to_server = close.bytes_client_to_server;
  r.bytes_server_to_client = close.bytes_server_to_client;
  Emit(std::move(r));
}

}  // namespace dbaudit::sensor::protocols
