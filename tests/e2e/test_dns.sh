#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# DNS rules and toFQDNs on real DNS traffic: dnsmasq in a kube-dns pod
# answers fixed records; a client pod asks with dig, over UDP and TCP,
# IPv4 and IPv6; web servers outside the cluster (not in the inventory:
# world addresses) stand for the names.
#
#   DNS rules     allowed names (matchPattern "*.example.com", matchName
#                 www.example.org, any case) answered; others REFUSED at
#                 once, over UDP and TCP; malformed queries never reach
#                 the server
#   toFQDNs       web:443 blocked until the client resolved api.example.com,
#                 open right after (first connection), closed again once
#                 the answer's TTL passed; a name with many addresses opens
#                 every one of them; a matchPattern selector; IPv6 (AAAA)
#   answers       a malformed answer (from a server that ignores the
#                 query) never reaches the client
set -euo pipefail
# shellcheck source=tests/e2e/cilium_lib.sh
source "$(dirname "$0")/cilium_lib.sh"

command -v dnsmasq >/dev/null || nt_skip "no dnsmasq (tests/lib/install-deps.sh)"
command -v dig >/dev/null || nt_skip "no dig (dnsutils)"

TTL=3
nt_setup dns
nt_add_pod kube-system/dns --labels k8s-app=kube-dns
nt_add_pod kube-system/rogue --labels k8s-app=rogue-dns
nt_add_pod app/client --labels app=client
nt_add_pod app/other --labels app=other
nt_add_pod ext/web --external --v4 198.19.0.10 --v6 fd00:198:19::10
nt_add_pod ext/web2 --external --v4 198.19.0.11 --v6 fd00:198:19::11
for i in $(seq 20 29); do
	nt_add_pod "ext/many$i" --external --v4 "198.19.0.$i" --v6 -
done
nt_serve ext/web -t 443,80
nt_serve ext/web2 -t 443
for i in $(seq 20 29); do
	nt_serve "ext/many$i" -t 443
done

DNS4=$(nt_ip kube-system/dns 4)
DNS6=$(nt_ip kube-system/dns 6)
ROGUE4=$(nt_ip kube-system/rogue 4)

# Fixed records; every answer carries TTL $TTL.
{
	echo "198.19.0.10 api.example.com www.example.org"
	echo "fd00:198:19::10 api.example.com"
	echo "198.19.0.11 svc.example.com"
	echo "203.0.113.7 denied.example.net"
	for i in $(seq 20 29); do echo "198.19.0.$i many.example.com"; done
} >"$NT_TMP/hosts"
nt_exec kube-system/dns dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts="$NT_TMP/hosts" \
	--local-ttl=$TTL --bind-interfaces --listen-address="$DNS4" --listen-address="$DNS6" \
	--no-negcache --log-facility=- >"$NT_TMP/dnsmasq.log" 2>&1 </dev/null &
NT_PIDS+=("$!")

# A DNS server that answers every query with the same malformed answer (a compression loop).
cat >"$NT_TMP/rogue.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
while True:
    q, peer = s.recvfrom(2048)
    if len(q) < 12:
        continue
    # header: same id, QR, 1 question, 1 answer; the question copied; an answer
    # whose owner name is a pointer to itself.
    qend = 12
    while qend < len(q) and q[qend] != 0:
        qend += 1 + q[qend]
    question = q[12:qend + 5]
    ans_off = 12 + len(question)
    answer = bytes([0xc0 | (ans_off >> 8), ans_off & 0xff]) + b"\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([198, 19, 0, 11])
    s.sendto(q[0:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + question + answer, peer)
EOF
nt_exec kube-system/rogue /usr/bin/python3 "$NT_TMP/rogue.py" "$ROGUE4" </dev/null >>"$NT_TMP/rogue.log" 2>&1 &
NT_PIDS+=("$!")

nt_inventory >"$NT_TMP/inventory.yaml"
cat >"$NT_TMP/policy.yaml" <<'EOF'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: client-egress, namespace: app}
spec:
  endpointSelector: {matchLabels: {app: client}}
  egress:
  - toEndpoints:
    - matchLabels: {"k8s:io.kubernetes.pod.namespace": kube-system, "k8s:k8s-app": kube-dns}
    - matchLabels: {"k8s:io.kubernetes.pod.namespace": kube-system, "k8s:k8s-app": rogue-dns}
    toPorts:
    - ports: [{port: "53", protocol: ANY}]
      rules:
        dns:
        - matchPattern: "*.example.com"
        - matchName: www.example.org
  - toFQDNs:
    - matchName: api.example.com
    - matchName: many.example.com
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  - toFQDNs:
    - matchPattern: "s*.example.com"
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
---
# The same names for another pod: what the client learns opens nothing for it.
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: other-egress, namespace: app}
spec:
  endpointSelector: {matchLabels: {app: other}}
  egress:
  - toEndpoints:
    - matchLabels: {"k8s:io.kubernetes.pod.namespace": kube-system, "k8s:k8s-app": kube-dns}
    toPorts:
    - ports: [{port: "53", protocol: ANY}]
      rules:
        dns: [{matchPattern: "*"}]
  - toFQDNs: [{matchPattern: "s*.example.com"}, {matchName: api.example.com}]
    toPorts: [{ports: [{port: "443", protocol: TCP}]}]
EOF
"$(nt_polc_bin)" compile --fqdn-min-ttl 1 -o "$NT_TMP/p.polc" "$NT_TMP/inventory.yaml" "$NT_TMP/policy.yaml"
nt_on_cleanup "[[ ! -e '$NT_PIN_DIR' ]] || nt_polc unload --pin-dir '$NT_PIN_DIR'"
nt_polc load --pin-dir "$NT_PIN_DIR" "$NT_TMP/p.polc"

# dnsmasq is up once it answers (bounded).
for ((i = 0; i < 50; i++)); do
	nt_exec kube-system/dns dig +short +tries=1 +time=1 @"$DNS4" api.example.com 2>/dev/null | grep 198 >/dev/null && break
	sleep 0.1
done

# dig_status FLAGS... NAME: the status line's status (NOERROR, REFUSED...) or "timeout".
dig_client() {
	nt_exec app/client dig +tries=1 +time=2 "$@" 2>&1 || true
}
expect_status() {   # WANT DIG-ARGS...
	local want=$1 out status
	shift
	CIL_CHECKS=$((CIL_CHECKS + 1))
	out=$(dig_client "$@")
	status=$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$out" | head -1)
	if [[ -z "$status" ]]; then
		status=timeout
		grep -q 'reset\|refused\|end of file' <<<"$out" && status=reset
	fi
	if [[ "$status" != "$want" ]]; then
		nt_log "FAIL: dig $*: ${status:-?}, want $want"
		nt_log "$out"
		CIL_FAILS=$((CIL_FAILS + 1))
	fi
}

# Nothing resolved yet: the names' addresses are closed.
WEB4=198.19.0.10:443/tcp
WEB6=[fd00:198:19::10]:443/tcp
cil_expect app/client blocked "$WEB4" "$WEB6" 198.19.0.11:443/tcp 198.19.0.20:443/tcp

# --- DNS rules ---------------------------------------------------------------
for server in "$DNS4" "$DNS6"; do
	expect_status NOERROR @"$server" api.example.com A
	expect_status NOERROR @"$server" API.Example.COM. A
	expect_status NOERROR @"$server" www.example.org A
	expect_status NOERROR @"$server" +tcp svc.example.com A
	expect_status REFUSED @"$server" denied.example.net A
	expect_status REFUSED @"$server" example.com A            # "*.example.com" needs a label
	expect_status REFUSED @"$server" a.www.example.org A      # matchName is exact
	expect_status REFUSED @"$server" +tcp denied.example.net A
done

# A refusal is immediate: the answer comes from the datapath, not a timeout.
start=$(date +%s%N)
expect_status REFUSED @"$DNS4" +time=5 denied.example.net A
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
CIL_CHECKS=$((CIL_CHECKS + 1))
if ((elapsed_ms > 1000)); then
	nt_log "FAIL: REFUSED took ${elapsed_ms} ms"
	CIL_FAILS=$((CIL_FAILS + 1))
fi

# Malformed queries never reach the server (which would answer FORMERR).
cat >"$NT_TMP/bad.py" <<'EOF'
import socket, sys
def ask(payload):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.7)
    s.sendto(payload, (sys.argv[1], 53))
    try:
        s.recvfrom(2048)
        return "answered"
    except socket.timeout:
        return "dropped"
hdr = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
cases = {
    "loop": hdr + b"\xc0\x0c\x00\x01\x00\x01",                 # the question name points at itself
    "forward": hdr + b"\xc0\x20\x00\x01\x00\x01" + b"\x00" * 20,  # a pointer forwards
    "truncated": hdr + b"\x07example\x03co",                 # the name runs out of bytes
    "label-type": hdr + b"\x41abc\x00\x00\x01\x00\x01",         # label type 0x40
    "two-questions": b"\x12\x34\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00" + b"\x03api\x07example\x03com\x00\x00\x01\x00\x01" * 2,
    "long-name": hdr + (b"\x3f" + b"a" * 63) * 4 + b"\x00\x00\x01\x00\x01",  # 257 bytes
    "short": b"\x12\x34\x01\x00\x00",
}
for name, payload in cases.items():
    print(name, ask(payload))
# And a well-formed allowed query still gets through.
print("good", ask(hdr + b"\x03api\x07example\x03com\x00\x00\x01\x00\x01"))
EOF
while read -r name result; do
	CIL_CHECKS=$((CIL_CHECKS + 1))
	want=dropped
	[[ $name == good ]] && want=answered
	if [[ $result != "$want" ]]; then
		nt_log "FAIL: malformed query '$name': $result, want $want"
		CIL_FAILS=$((CIL_FAILS + 1))
	fi
done < <(nt_exec app/client /usr/bin/python3 "$NT_TMP/bad.py" "$DNS4")

# --- toFQDNs -----------------------------------------------------------------
# Wait out what the DNS rule checks learned.
sleep $((TTL + 2)) & wait $!
cil_expect app/client blocked "$WEB4" "$WEB6"
dig_client @"$DNS4" +short api.example.com A >/dev/null
# The very first connection after the answer: no retry, no delay.
CIL_CHECKS=$((CIL_CHECKS + 1))
if ! nt_probe app/client -w 400 "$WEB4" >/dev/null; then
	nt_log "FAIL: first connection to api.example.com right after its answer blocked"
	CIL_FAILS=$((CIL_FAILS + 1))
fi
cil_expect app/client blocked "$WEB6" 198.19.0.10:80/tcp   # AAAA not asked yet; port 80 never
dig_client @"$DNS6" +short api.example.com AAAA >/dev/null
cil_expect app/client ok "$WEB6"
# Learning is per endpoint: the client's lookups open nothing for the other pod.
cil_expect app/other blocked "$WEB4" 198.19.0.11:443/tcp
# matchPattern selector, and a name with many addresses.
dig_client @"$DNS4" +short svc.example.com A >/dev/null
dig_client @"$DNS4" +short many.example.com A >/dev/null
many=()
for i in $(seq 20 29); do many+=("198.19.0.$i:443/tcp"); done
cil_expect app/client ok 198.19.0.11:443/tcp "${many[@]}"
cil_expect app/other blocked 198.19.0.11:443/tcp
nt_exec app/other dig +short +tries=1 +time=2 @"$DNS4" svc.example.com A >/dev/null || true
cil_expect app/other ok 198.19.0.11:443/tcp
# A malformed answer is dropped: nothing learned, and dig gets nothing.
expect_status timeout @"$ROGUE4" svc.example.com A
# After the TTL: new connections are blocked until the next lookup.
sleep $((TTL + 2)) & wait $!
cil_expect app/client blocked "$WEB4" "$WEB6" 198.19.0.11:443/tcp 198.19.0.25:443/tcp
dig_client @"$DNS4" +short api.example.com A >/dev/null
cil_expect app/client ok "$WEB4"

nt_log "dns: $CIL_CHECKS checks, $CIL_FAILS failed"
cil_done
