#!/bin/sh
# Regenerates the link-type captures in this folder from real TCP traffic on the loopback
# interface (needs root or CAP_NET_RAW, tcpdump and python3; takes about 5 seconds).
#   ethernet.pcap     tcpdump -i lo                 (Linux lo is DLT_EN10MB with zero MACs)
#   linux-sll.pcap    tcpdump -i any -y LINUX_SLL   (Linux cooked v1)
#   linux-sll2.pcap   tcpdump -i any -y LINUX_SLL2  (Linux cooked v2)
#   vlan/qinq/null/loop/raw.pcap, ethernet-ns.pcapng: rewrite_linktype.py from ethernet.pcap
set -eu
here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-47123}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tcpdump -i lo -s 0 -U -w "$tmp/lo.pcap" "tcp port $port" 2>"$tmp/lo.log" &
p1=$!
tcpdump -i any -y LINUX_SLL -s 0 -U -w "$tmp/sll.pcap" "tcp port $port" 2>"$tmp/sll.log" &
p2=$!
tcpdump -i any -y LINUX_SLL2 -s 0 -U -w "$tmp/sll2.pcap" "tcp port $port" 2>"$tmp/sll2.log" &
p3=$!
sleep 2  # let the three captures attach before the first SYN

python3 "$here/traffic.py" "$port"

sleep 1
kill -INT "$p1" "$p2" "$p3"
wait "$p1" "$p2" "$p3" || true

cp "$tmp/lo.pcap" "$here/ethernet.pcap"
cp "$tmp/sll.pcap" "$here/linux-sll.pcap"
cp "$tmp/sll2.pcap" "$here/linux-sll2.pcap"
python3 "$here/rewrite_linktype.py" "$here/ethernet.pcap" "$here"
ls -l "$here"/*.pcap "$here"/*.pcapng
