// libpcap packet sources. Live capture and offline files share one class and one read loop
// (Next), so tests and benchmarks on captures drive the same code as production.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct pcap;

namespace dbaudit::sensor::capture {

// One captured frame. `data` points into libpcap's buffer and stays valid until the next Next().
struct Packet {
  int64_t ts_ns = 0;       // capture time, nanoseconds since the epoch
  uint32_t caplen = 0;     // bytes present at `data`
  uint32_t wire_len = 0;   // bytes the frame had on the wire (> caplen when snaplen cut it)
  const uint8_t* data = nullptr;
};

enum class NextStatus {
  kPacket,   // *packet holds the next frame
  kTimeout,  // live only: the read timeout expired with no packet (call again)
  kEnd,      // end of file, BreakLoop(), or a truncated file (Stats().truncated)
  kError,    // read failure; error() says why
};

struct LiveOptions {
  std::string interface;            // "eth1", "lo", "any"
  std::string filter;               // BPF expression; overrides filter_ports
  // With no `filter`, capture PortFilter(filter_ports, <the interface's link type>); with
  // neither, capture everything.
  std::vector<uint16_t> filter_ports;
  int snaplen = 65535;
  int buffer_bytes = 32 << 20;      // kernel ring buffer
  bool promiscuous = true;
  bool immediate = true;            // deliver each packet at once instead of batching
  int timeout_ms = 100;             // Next() returns kTimeout after this long without packets
};

struct CaptureStats {
  uint64_t packets = 0, bytes = 0;  // frames returned by Next() and their captured bytes
  uint64_t kernel_received = 0, kernel_dropped = 0, interface_dropped = 0;  // live: pcap_stats
  bool truncated = false;           // offline: the file ended in the middle of a record
};

// The default capture filter for a set of database server ports: TCP on any of them and, on
// Ethernet (DLT_EN10MB), also under one 802.1Q tag or two (QinQ). For {3306, 5432} on Ethernet:
//   "(P) or (vlan and ((P) or (vlan and (P))))", P = "tcp port 3306 or tcp port 5432"
// (libpcap's `vlan` shifts the offsets of everything after it, hence the nesting). Other link
// types get "P" (libpcap has no `vlan` for Linux cooked v2). Empty ports: "tcp".
std::string PortFilter(const std::vector<uint16_t>& ports, int linktype);

class PacketSource {
 public:
  ~PacketSource();
  PacketSource(const PacketSource&) = delete;
  PacketSource& operator=(const PacketSource&) = delete;

  // Opens a pcap or pcapng file with nanosecond timestamps. An empty filter reads everything.
  static absl::StatusOr<std::unique_ptr<PacketSource>> OpenOffline(const std::string& path,
                                                                   const std::string& bpf_filter);
  // Opens a live interface. Without CAP_NET_RAW the error is PermissionDenied and names the fix.
  static absl::StatusOr<std::unique_ptr<PacketSource>> OpenLive(const LiveOptions& options);

  int linktype() const { return linktype_; }  // DLT_* of the source
  bool live() const { return live_; }

  // Reads the next frame. packet->data stays valid until the next call. kError: see error().
  NextStatus Next(Packet* packet);
  // Async-signal-safe: makes the current or next Next() return kEnd.
  void BreakLoop();
  // Packet counts plus, for live sources, the kernel's counters (pcap_stats). Also refreshes the
  // dbaudit_capture_* gauges.
  CaptureStats Stats() const;
  const std::string& error() const { return error_; }

 private:
  PacketSource(pcap* handle, bool live);

  pcap* handle_;
  bool live_;
  int linktype_ = 0;
  std::atomic<bool> break_requested_{false};
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  bool truncated_ = false;
  std::string error_;

  // pcap_stats() counters are 32 bits and wrap; these turn them into 64-bit totals.
  mutable std::mutex stats_mu_;
  mutable uint32_t last_recv_ = 0, last_drop_ = 0, last_ifdrop_ = 0;
  mutable uint64_t kernel_received_ = 0, kernel_dropped_ = 0, interface_dropped_ = 0;
};

}  // namespace dbaudit::sensor::capture
