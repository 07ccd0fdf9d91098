#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The real-traffic test bed itself (tests/lib/netns.sh, serve, probe): every
# pod reaches every other over TCP and UDP, IPv4 and IPv6, through the
# bridge; a drop at polc's hook (tc on the host side) is observed within the
# probe deadline and only where it was put; the inventory names the
# interfaces that exist; the cleanup trap leaves nothing behind, on error
# exit and on SIGTERM alike.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/netns.sh
source "$here/../lib/netns.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }
ms_since() { echo $(((${EPOCHREALTIME/./} - $1) / 1000)); }

nt_setup topo
pods=(x/a x/b y/c)
nt_add_pod x/a --ports http:80/TCP,dns:53/UDP
nt_add_pod x/b --labels app=b
nt_add_pod y/c --labels app=c,tier=db
nt_ns_labels y team=data
for p in "${pods[@]}"; do
	nt_serve "$p" -t 80,81 -u 80,81
done

# The node namespace must not filter bridged traffic.
for k in bridge-nf-call-iptables bridge-nf-call-ip6tables bridge-nf-call-arptables; do
	f=/proc/sys/net/bridge/$k
	if nt_node_exec test -e "$f"; then
		[[ $(nt_node_exec cat "$f") == 0 ]] || fail "$k is on in the node namespace"
	fi
done
[[ -z $(nt_node_exec ip -o addr show scope global) ]] || fail "the node namespace has addresses"
for p in "${pods[@]}"; do
	if=$(nt_ifname "$p")
	nt_node_exec ip -o link show dev "$if" | grep "master $NT_BRIDGE" >/dev/null || fail "$if is not a port of $NT_BRIDGE"
	[[ ${#if} -le 15 ]] || fail "interface name $if too long"
done

# Everything reaches everything.
for fam in 4 6; do
	for src in "${pods[@]}"; do
		targets=()
		for dst in "${pods[@]}"; do
			[[ $src == "$dst" ]] && continue
			for port in 80 81; do
				targets+=("$(nt_target "$dst" $port tcp $fam)" "$(nt_target "$dst" $port udp $fam)")
			done
		done
		out=$(nt_probe "$src" -w 1000 "${targets[@]}") || { echo "$out"; fail "IPv$fam from $src"; }
	done
done
echo "all pairs reachable (TCP, UDP; IPv4, IPv6)"

# A port nobody serves is refused, not "blocked": the probe tells them apart.
out=$(nt_probe x/b "$(nt_target x/a 9 tcp 4)" "$(nt_target x/a 9 udp 6)" || true)
[[ $(grep -c ' refused ' <<<"$out") == 2 ]] || { echo "$out"; fail "closed ports not reported as refused"; }

# Drop everything entering x/a (tc egress on its host side = the pod's ingress).
nt_tc_drop "$(nt_ifname x/a)" egress
t0=${EPOCHREALTIME/./}
if out=$(nt_probe y/c -w 300 "$(nt_target x/a 80 tcp 4)" "$(nt_target x/a 80 udp 4)" \
	"$(nt_target x/a 81 tcp 6)" "$(nt_target x/a 81 udp 6)" "$(nt_target x/b 80 tcp 4)" "$(nt_target x/b 80 udp 6)"); then
	echo "$out"
	fail "drop filter not observed"
fi
elapsed=$(ms_since "$t0")
echo "$out"
[[ $(grep -c ' blocked ' <<<"$out") == 4 ]] || fail "want 4 blocked probes to x/a"
[[ $(grep -c ' ok ' <<<"$out") == 2 ]] || fail "x/b should stay reachable"
[[ $elapsed -lt 1500 ]] || fail "a batch with drops took ${elapsed}ms (deadline 300ms)"
echo "drops observed; batch took ${elapsed}ms"
nt_tc_clear "$(nt_ifname x/a)"
nt_probe y/c "$(nt_target x/a 80 tcp 4)" "$(nt_target x/a 80 udp 6)" >/dev/null || fail "x/a unreachable after clearing the filter"

# The inventory: what kubectl would print, naming interfaces that exist.
nt_inventory >"$NT_TMP/inventory.yaml"
/usr/bin/python3 - "$NT_TMP/inventory.yaml" "$(nt_ifname x/a)" "$(nt_ip x/a 4)" "$(nt_ip x/a 6)" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["kind"] == "List", d["kind"]
kinds = [i["kind"] for i in d["items"]]
assert kinds.count("Namespace") == 2 and kinds.count("Pod") == 3, kinds
pods = {f"{i['metadata']['namespace']}/{i['metadata']['name']}": i for i in d["items"] if i["kind"] == "Pod"}
a = pods["x/a"]
assert a["metadata"]["annotations"]["polc.io/interface"] == sys.argv[2]
assert a["status"]["podIP"] == sys.argv[3]
assert [x["ip"] for x in a["status"]["podIPs"]] == [sys.argv[3], sys.argv[4]]
ports = {p["name"]: (p["containerPort"], p["protocol"]) for c in a["spec"]["containers"] for p in c.get("ports", [])}
assert ports == {"http": (80, "TCP"), "dns": (53, "UDP")}, ports
assert pods["y/c"]["metadata"]["labels"] == {"app": "c", "tier": "db"}
ns = {i["metadata"]["name"]: i["metadata"]["labels"] for i in d["items"] if i["kind"] == "Namespace"}
assert ns["y"] == {"kubernetes.io/metadata.name": "y", "team": "data"}, ns
print("inventory ok")
PY
for p in "${pods[@]}"; do
	nt_node_exec ip link show dev "$(nt_ifname "$p")" >/dev/null || fail "inventory names a missing interface"
done

# Cleanup: a test that fails, and one killed by SIGTERM, leave nothing.
inner=$(
	cat <<INNER
source "$here/../lib/netns.sh"
nt_setup inner
nt_add_pod q/a
nt_serve q/a -t 80
mkdir -p "\$NT_PIN_DIR/x"
echo "\$NT_PREFIX \$NT_LAST_PID" > "$NT_TMP/inner.\$1"
# a trap runs only between foreground commands: wait on a background sleep
[[ \$1 == term ]] && { sleep 30 & wait \$!; }
exit 3
INNER
)
check_gone() {   # PREFIX PID
	local i
	for ((i = 0; i < 40; i++)); do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$2" 2>/dev/null || fail "serve $2 survived its test"
	! ip netns list | grep "^$1" >/dev/null || fail "namespaces of $1 survived"
	[[ ! -e /sys/fs/bpf/$1 ]] || fail "pins of $1 survived"
}
rc=0
bash -c "$inner" inner exit >/dev/null 2>&1 || rc=$?
[[ $rc == 3 ]] || fail "inner test exited $rc, want 3"
read -r prefix pid <"$NT_TMP/inner.exit"
check_gone "$prefix" "$pid"
bash -c "$inner" inner term >/dev/null 2>&1 &
bg=$!
for ((i = 0; i < 100; i++)); do
	[[ -s "$NT_TMP/inner.term" ]] && break
	sleep 0.05
done
[[ -s "$NT_TMP/inner.term" ]] || fail "inner test did not start"
kill -TERM "$bg"
rc=0
wait "$bg" || rc=$?
[[ $rc == 143 ]] || fail "inner test killed by SIGTERM exited $rc, want 143"
read -r prefix pid <"$NT_TMP/inner.term"
check_gone "$prefix" "$pid"
echo "cleanup ok on error exit and on SIGTERM"
