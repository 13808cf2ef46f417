// Shared by every protocol session: keeps the session's SessionInfo (who and where), builds
// records pre-filled with it, and emits the connect / disconnect / gap / encrypted records so that
// each protocol only writes its own login and statement logic.
#pragma once

#include "sensor/flow/stream_handler.h"
#include "sensor/record/record.h"
#include "sensor/record/record_sink.h"

namespace dbaudit::sensor::protocols {

class SessionRecorder {
 public:
  // PRE: `sink` outlives the recorder.
  SessionRecorder(const ConnectionInfo& conn, Protocol protocol, RecordSink* sink);

  SessionInfo& info() { return info_; }
  const SessionInfo& info() const { return info_; }

  // A record of `kind` carrying the session's current fields.
  Record Make(RecordKind kind, int64_t ts_us) const;
  void Emit(Record&& r) { sink_->Emit(std::move(r)); }

  void EmitConnect(int64_t ts_us);
  void EmitEncrypted(int64_t ts_us);
  void EmitGap(Direction dir, int64_t ts_us, uint64_t length);
  void EmitDisconnect(int64_t ts_us, const CloseInfo& close);

 private:
  SessionInfo info_;
  RecordSink* sink_;
};

}  // namespace dbaudit::sensor::protocols
