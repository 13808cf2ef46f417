#include "sensor/capture/packet_source.h"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/metrics.h"
#include "common/status.h"

namespace dbaudit::sensor::capture {
namespace {

constexpr size_t kOfflineReadBuffer = 1 << 20;

struct CaptureCounters {
  Counter* packets;
  Counter* bytes;
  Counter* kernel_received;
  Counter* kernel_dropped;
  Counter* interface_dropped;
  Counter* truncated_files;
  Counter* read_errors;
};

const CaptureCounters& Counters() {
  static const CaptureCounters counters = [] {
    auto& r = MetricsRegistry::Default();
    return CaptureCounters{
        r.GetCounter("dbaudit_capture_packets_total", "Frames read from the packet source"),
        r.GetCounter("dbaudit_capture_bytes_total", "Captured bytes read from the packet source"),
        r.GetCounter("dbaudit_capture_kernel_received_total",
                     "Packets the kernel passed to the capture (pcap_stats ps_recv)"),
        r.GetCounter("dbaudit_capture_kernel_dropped_total",
                     "Packets dropped because the capture buffer was full (pcap_stats ps_drop)"),
        r.GetCounter("dbaudit_capture_interface_dropped_total",
                     "Packets dropped by the interface or driver (pcap_stats ps_ifdrop)"),
        r.GetCounter("dbaudit_capture_truncated_files_total",
                     "Capture files that ended in the middle of a record"),
        r.GetCounter("dbaudit_capture_read_errors_total", "Live capture read errors"),
    };
  }();
  return counters;
}

absl::Status ApplyFilter(pcap* handle, const std::string& filter) {
  if (filter.empty()) return absl::OkStatus();
  bpf_program program;
  if (pcap_compile(handle, &program, filter.c_str(), /*optimize=*/1, PCAP_NETMASK_UNKNOWN) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad capture filter '", filter, "': ", pcap_geterr(handle)));
  }
  int rc = pcap_setfilter(handle, &program);
  pcap_freecode(&program);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot set capture filter '", filter, "': ", pcap_geterr(handle)));
  }
  return absl::OkStatus();
}

// Turns a pcap_activate() failure into a status whose message says what to do about it.
absl::Status ActivateError(pcap* handle, int rc, const std::string& interface) {
  std::string detail = pcap_geterr(handle);
  switch (rc) {
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return absl::PermissionDeniedError(absl::StrCat(
          "no permission to capture on '", interface, "' (", detail,
          "): run as root or grant the binary CAP_NET_RAW, e.g. "
          "setcap cap_net_raw,cap_net_admin=eip /usr/bin/dbaudit-sensor "
          "(see sensor/capture/README.md)"));
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return absl::NotFoundError(
          absl::StrCat("no such capture interface '", interface, "': ", detail));
    case PCAP_ERROR_IFACE_NOT_UP:
      return absl::FailedPreconditionError(
          absl::StrCat("capture interface '", interface, "' is down"));
    default:
      return absl::UnavailableError(absl::StrCat("cannot capture on '", interface,
                                                 "': ", pcap_statustostr(rc), ": ", detail));
  }
}

// Sets every pcap_create() option before activation (pcap_set_* only work on an inactive handle).
absl::Status ConfigureLive(pcap* handle, const LiveOptions& options) {
  if (pcap_set_snaplen(handle, options.snaplen) != 0 ||
      pcap_set_promisc(handle, options.promiscuous ? 1 : 0) != 0 ||
      pcap_set_timeout(handle, options.timeout_ms) != 0 ||
      pcap_set_buffer_size(handle, options.buffer_bytes) != 0 ||
      pcap_set_immediate_mode(handle, options.immediate ? 1 : 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot set capture options: ", pcap_geterr(handle)));
  }
  // Nanosecond stamps where the platform has them; microseconds otherwise (still correct, since
  // the precision we ask for is the one the packet headers use).
  (void)pcap_set_tstamp_precision(handle, PCAP_TSTAMP_PRECISION_NANO);
  return absl::OkStatus();
}

}  // namespace

std::string PortFilter(const std::vector<uint16_t>& ports, int linktype) {
  if (ports.empty()) return "tcp";
  std::string p;
  for (uint16_t port : ports) absl::StrAppend(&p, p.empty() ? "" : " or ", "tcp port ", port);
  if (linktype != DLT_EN10MB) return p;
  return absl::StrCat("(", p, ") or (vlan and ((", p, ") or (vlan and (", p, "))))");
}

PacketSource::PacketSource(pcap* handle, bool live)
    : handle_(handle), live_(live), linktype_(pcap_datalink(handle)) {
  Counters();
}

PacketSource::~PacketSource() {
  if (handle_ != nullptr) pcap_close(handle_);
}

absl::StatusOr<std::unique_ptr<PacketSource>> PacketSource::OpenOffline(
    const std::string& path, const std::string& bpf_filter) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap* handle = nullptr;
  if (path == "-") {  // standard input
    handle = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO,
                                                     errbuf);
  } else {
    // libpcap reads files through stdio; a 1 MiB buffer instead of the default few KiB cuts the
    // read(2) calls, which dominate the cost of reading a large capture.
    FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("cannot read capture '", path, "': ", std::strerror(errno)));
    }
    std::setvbuf(file, nullptr, _IOFBF, kOfflineReadBuffer);
    handle = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (handle == nullptr) std::fclose(file);  // on success pcap_close() closes it
  }
  if (handle == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read capture '", path, "': ", errbuf));
  }
  std::unique_ptr<PacketSource> source(new PacketSource(handle, /*live=*/false));
  RETURN_IF_ERROR(ApplyFilter(handle, bpf_filter));
  return source;
}

absl::StatusOr<std::unique_ptr<PacketSource>> PacketSource::OpenLive(const LiveOptions& options) {
  if (options.interface.empty()) {
    return absl::InvalidArgumentError("live capture needs an interface name");
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap* handle = pcap_create(options.interface.c_str(), errbuf);
  if (handle == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot open interface '", options.interface, "': ", errbuf));
  }
  auto close_on_error = [handle](absl::Status status) {
    pcap_close(handle);
    return status;
  };
  absl::Status configured = ConfigureLive(handle, options);
  if (!configured.ok()) return close_on_error(configured);
  int rc = pcap_activate(handle);
  if (rc < 0) return close_on_error(ActivateError(handle, rc, options.interface));
  // rc > 0 is a warning (e.g. promiscuous mode not supported); the capture works.
  std::unique_ptr<PacketSource> source(new PacketSource(handle, /*live=*/true));
  std::string filter = options.filter;
  if (filter.empty() && !options.filter_ports.empty()) {
    filter = PortFilter(options.filter_ports, source->linktype());
  }
  RETURN_IF_ERROR(ApplyFilter(handle, filter));
  return source;
}

NextStatus PacketSource::Next(Packet* packet) {
  if (break_requested_.load(std::memory_order_relaxed)) return NextStatus::kEnd;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_, &header, &data);
  if (rc == 1) {
    packet->caplen = header->caplen;
    packet->wire_len = header->len;
    packet->data = data;
    // The handle was opened with nanosecond precision, so tv_usec holds nanoseconds.
    packet->ts_ns = static_cast<int64_t>(header->ts.tv_sec) * 1000000000 + header->ts.tv_usec;
    ++packets_;
    bytes_ += header->caplen;
    const CaptureCounters& c = Counters();
    c.packets->Add();
    c.bytes->Add(header->caplen);
    return NextStatus::kPacket;
  }
  if (rc == 0) return NextStatus::kTimeout;
  if (rc == PCAP_ERROR_BREAK) return NextStatus::kEnd;
  error_ = pcap_geterr(handle_);
  if (!live_) {
    // A file cut off mid-record (a capture still being written, a copy that stopped short): keep
    // everything read so far and end cleanly; the caller reports error() as a warning.
    truncated_ = true;
    Counters().truncated_files->Add();
    return NextStatus::kEnd;
  }
  Counters().read_errors->Add();
  return NextStatus::kError;
}

void PacketSource::BreakLoop() {
  break_requested_.store(true, std::memory_order_relaxed);
  pcap_breakloop(handle_);
}

CaptureStats PacketSource::Stats() const {
  CaptureStats stats;
  stats.packets = packets_;
  stats.bytes = bytes_;
  stats.truncated = truncated_;
  if (!live_) return stats;
  pcap_stat ps{};
  std::lock_guard<std::mutex> lock(stats_mu_);
  if (pcap_stats(handle_, &ps) == 0) {
    uint32_t d_recv = static_cast<uint32_t>(ps.ps_recv) - last_recv_;
    uint32_t d_drop = static_cast<uint32_t>(ps.ps_drop) - last_drop_;
    uint32_t d_ifdrop = static_cast<uint32_t>(ps.ps_ifdrop) - last_ifdrop_;
    last_recv_ = ps.ps_recv;
    last_drop_ = ps.ps_drop;
    last_ifdrop_ = ps.ps_ifdrop;
    kernel_received_ += d_recv;
    kernel_dropped_ += d_drop;
    interface_dropped_ += d_ifdrop;
    const CaptureCounters& c = Counters();
    c.kernel_received->Add(d_recv);
    c.kernel_dropped->Add(d_drop);
    c.interface_dropped->Add(d_ifdrop);
  }
  stats.kernel_received = kernel_received_;
  stats.kernel_dropped = kernel_dropped_;
  stats.interface_dropped = interface_dropped_;
  return stats;
}

}  // namespace dbaudit::sensor::capture
