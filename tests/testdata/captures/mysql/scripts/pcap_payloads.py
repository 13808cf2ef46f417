# TCP payloads of a classic pcap (Ethernet, Linux SLL/SLL2 or raw IPv4), per direction of a server port.
# Standard library only. Used by make_test_data.py; `python3 pcap_payloads.py X.pcap PORT` lists them.
import struct, sys
def payloads(path, port):
    d = open(path,'rb').read()
    magic = struct.unpack('<I', d[:4])[0]
    linktype = struct.unpack('<I', d[20:24])[0]
    off = 24; out = []
    while off + 16 <= len(d):
        ts, tu, incl, orig = struct.unpack('<IIII', d[off:off+16]); off += 16
        pkt = d[off:off+incl]; off += incl
        if linktype == 1: ip = pkt[14:]
        elif linktype == 113: ip = pkt[16:]
        elif linktype == 276: ip = pkt[20:]
        else: ip = pkt
        if ip[0] >> 4 != 4: continue
        ihl = (ip[0] & 15) * 4
        if ip[9] != 6: continue
        tcp = ip[ihl:]
        sp, dp = struct.unpack('>HH', tcp[:4])
        doff = (tcp[12] >> 4) * 4
        pl = tcp[doff:]
        if not pl: continue
        out.append(('C' if dp == port else 'S', sp if dp == port else dp, pl))
    return out
if __name__ == '__main__':
    path, port = sys.argv[1], int(sys.argv[2])
    for i, (d, cport, pl) in enumerate(payloads(path, port)):
        print(i, d, cport, len(pl), pl[:120].hex())
