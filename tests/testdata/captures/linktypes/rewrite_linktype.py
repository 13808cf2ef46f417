#!/usr/bin/env python3
"""Rewrites an Ethernet capture taken on Linux `lo` into other link types.

Usage: rewrite_linktype.py lo.pcap OUTDIR

Writes vlan.pcap (802.1Q), qinq.pcap (802.1ad + 802.1Q), null.pcap (BSD loopback, address
family in little-endian host order, macOS AF_INET6 = 30), loop.pcap (OpenBSD loopback, network
order), raw.pcap (LINKTYPE_RAW) and ethernet-ns.pcapng (pcapng, nanosecond timestamps).
Standard library only.
"""
import struct
import sys

LINKTYPE_NULL, LINKTYPE_EN10MB, LINKTYPE_RAW, LINKTYPE_LOOP = 0, 1, 101, 108


def read_pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise SystemExit("expected a little-endian pcap file: %s" % path)
    nanos = magic == 0xA1B23C4D
    linktype = struct.unpack("<I", data[20:24])[0]
    if linktype != LINKTYPE_EN10MB:
        raise SystemExit("expected an Ethernet capture (tcpdump -i lo)")
    off, packets = 24, []
    while off + 16 <= len(data):
        sec, frac, caplen, wirelen = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        ts_ns = sec * 10**9 + (frac if nanos else frac * 1000)
        packets.append((ts_ns, frame, wirelen))
    return packets


def write_pcap(path, linktype, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for ts_ns, frame, wirelen in packets:
            f.write(struct.pack("<IIII", ts_ns // 10**9, (ts_ns % 10**9) // 1000, len(frame),
                                wirelen))
            f.write(frame)


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def write_pcapng(path, linktype, packets):
    """Section header, one interface (if_tsresol = 9: nanoseconds), enhanced packet blocks."""
    def block(btype, body):
        body = pad4(body)
        length = 12 + len(body)
        return struct.pack("<II", btype, length) + body + struct.pack("<I", length)

    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        tsresol = struct.pack("<HH", 9, 1) + pad4(b"\x09") + struct.pack("<HH", 0, 0)
        f.write(block(0x00000001, struct.pack("<HHI", linktype, 0, 65535) + tsresol))
        for ts_ns, frame, wirelen in packets:
            body = struct.pack("<IIIII", 0, ts_ns >> 32, ts_ns & 0xFFFFFFFF, len(frame), wirelen)
            f.write(block(0x00000006, body + pad4(frame)))


def ethertype_and_ip(frame):
    return frame[12:14], frame[14:]


def main():
    src, outdir = sys.argv[1], sys.argv[2]
    packets = read_pcap(src)

    def rewrite(fn):
        out = []
        for ts, frame, wirelen in packets:
            new = fn(frame)
            out.append((ts, new, wirelen + len(new) - len(frame)))
        return out

    vlan = lambda f: f[:12] + b"\x81\x00" + struct.pack(">H", 42) + f[12:]
    qinq = lambda f: (f[:12] + b"\x88\xa8" + struct.pack(">H", 7) + b"\x81\x00" +
                      struct.pack(">H", 42) + f[12:])

    def family(f, order):
        ethertype, ip = ethertype_and_ip(f)
        af = 2 if ethertype == b"\x08\x00" else 30
        return struct.pack(order + "I", af) + ip

    write_pcap(outdir + "/vlan.pcap", LINKTYPE_EN10MB, rewrite(vlan))
    write_pcap(outdir + "/qinq.pcap", LINKTYPE_EN10MB, rewrite(qinq))
    write_pcap(outdir + "/null.pcap", LINKTYPE_NULL, rewrite(lambda f: family(f, "<")))
    write_pcap(outdir + "/loop.pcap", LINKTYPE_LOOP, rewrite(lambda f: family(f, ">")))
    write_pcap(outdir + "/raw.pcap", LINKTYPE_RAW, rewrite(lambda f: ethertype_and_ip(f)[1]))
    write_pcapng(outdir + "/ethernet-ns.pcapng", LINKTYPE_EN10MB, packets)


if __name__ == "__main__":
    main()
