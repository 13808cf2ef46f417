#!/usr/bin/env python3
"""Writes libFuzzer seeds for postgres_session_fuzzer and postgres_frame_fuzzer from pcaps.

  python3 make_fuzz_seeds.py OUT_DIR [PCAP ...]   (default: every */input.pcap next to this file)

Session seeds: one file per TCP connection, byte 0 = 0 (not mid-stream), then chunks joined by
"\\x00FUZZ\\x00", each chunk = direction byte (0 client, 1 server) + payload, in capture order.
Frame seeds: byte 0 = direction bit (| 2 for a client stream starting with its startup packet),
then one direction's payload concatenated.
Standard library only; retransmitted segments (same seq and length) are dropped.
"""
import glob
import os
import struct
import sys

DELIM = b"\x00FUZZ\x00"


def packets(path):
    data = open(path, "rb").read()
    endian = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        ip = {1: pkt[14:], 113: pkt[16:], 0: pkt[4:], 276: pkt[20:]}.get(linktype, pkt)
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            yield (ip[12:16], sport), (ip[16:20], dport), seq, payload


def main():
    out = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    pcaps = sys.argv[2:] or sorted(glob.glob(os.path.join(here, "*", "input.pcap")))
    os.makedirs(out, exist_ok=True)
    n = 0
    for path in pcaps:
        conns = {}
        seen = set()
        for src, dst, seq, payload in packets(path):
            key = (src, seq, len(payload))
            if key in seen:
                continue
            seen.add(key)
            # The side that sent first is the client.
            conn = tuple(sorted([src, dst]))
            first = conns.setdefault(conn, {"client": src, "chunks": []})
            first["chunks"].append((0 if src == first["client"] else 1, payload))
        for conn in conns.values():
            name = f"{os.path.basename(os.path.dirname(path))}_{n}"
            n += 1
            with open(os.path.join(out, "session_" + name), "wb") as f:
                f.write(b"\x00" + DELIM.join(bytes([d]) + p for d, p in conn["chunks"]))
            for d in (0, 1):
                stream = b"".join(p for dd, p in conn["chunks"] if dd == d)
                with open(os.path.join(out, f"frame_{d}_" + name), "wb") as f:
                    f.write(bytes([d | (2 if d == 0 else 0) | (255 << 2 & 0xFC)]) + stream)
    print(f"{n} connections from {len(pcaps)} captures written to {out}")


if __name__ == "__main__":
    main()
