#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The polc demo on real traffic (make demo; root): builds the cluster of
# policies/demo/inventory.yaml in network namespaces (pods on a bridge,
# polc attaching to their host-side veths) plus an office laptop outside the
# cluster, compiles this directory's policies with the inventory, loads
# them, and tries each flow below over IPv4 and IPv6, first with no policy
# and then with the policy loaded. Prints the table, unloads, cleans up.
# Exit 1 if any flow differs from what the policies say.
#
#   policies/demo/run.sh [BUILD_DIR]
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD_DIR=$(cd "${1:-$repo/build}" 2>/dev/null && pwd) || { echo "demo: no build directory ${1:-}" >&2; exit 1; }
export BUILD_DIR
POLC=${POLC:-$BUILD_DIR/polc}

if [[ $(id -u) -ne 0 ]]; then
	echo "demo: needs root (it creates network namespaces and loads BPF); try: sudo make demo" >&2
	exit 1
fi
[[ -x "$POLC" ]] || { echo "demo: $POLC missing (run make)" >&2; exit 1; }

# shellcheck source=../../tests/lib/netns.sh
source "$repo/tests/lib/netns.sh"
die() { echo "demo: $*" >&2; exit 1; }

# Flows: FROM TO PORT/PROTO EXPECT WHY
FLOWS=(
	"outside/office shop/frontend 80/tcp allow ipBlock 198.19.200.0/24 to port http"
	"outside/office shop/backend 8080/tcp deny default deny in shop"
	"shop/frontend shop/backend 8080/tcp allow podSelector app=frontend to port api"
	"shop/frontend shop/backend 9090/tcp deny metrics port not allowed"
	"shop/frontend shop/backend 8080/udp deny the api rule is TCP only"
	"shop/backend data/db 5432/tcp allow namespace team=shop AND app=backend"
	"shop/frontend data/db 5432/tcp deny frontend is not the backend"
	"outside/office data/db 5432/tcp deny not from the shop's backend"
	"data/db outside/office 80/tcp deny db egress: Egress listed, no rules"
	"shop/backend outside/office 80/tcp allow egress from shop not restricted"
)

nt_setup demo
echo "== topology (namespaces $NT_PREFIX-*)"
pods=$(/usr/bin/python3 - "$here/inventory.yaml" <<'PY'
import sys, yaml
for item in yaml.safe_load(open(sys.argv[1]))["items"]:
    if item["kind"] != "Pod":
        continue
    md, ips = item["metadata"], [x["ip"] for x in item["status"]["podIPs"]]
    v4 = next(i for i in ips if ":" not in i)
    v6 = next(i for i in ips if ":" in i)
    print(f"{md['namespace']}/{md['name']} {v4} {v6} {md['annotations']['polc.io/interface']}")
PY
) || die "cannot read $here/inventory.yaml"
while read -r key v4 v6 ifname; do
	nt_add_pod "$key" --v4 "$v4" --v6 "$v6" --ifname "$ifname"
	printf '   %-16s %-14s %-20s host side %s\n' "$key" "$v4" "$v6" "$ifname"
done <<<"$pods"
nt_add_pod outside/office --external --v4 198.19.200.10 --v6 fd00:198:19:200::10 --ifname lxc-office
printf '   %-16s %-14s %-20s (outside the cluster)\n' outside/office 198.19.200.10 fd00:198:19:200::10

# Every pod serves every port some flow uses.
declare -A tcp_ports=() udp_ports=()
for f in "${FLOWS[@]}"; do
	read -r _ to pp _ <<<"$f"
	port=${pp%/*}
	if [[ ${pp#*/} == udp ]]; then
		[[ ",${udp_ports[$to]:-}," == *",$port,"* ]] || udp_ports[$to]+="${udp_ports[$to]:+,}$port"
	else
		[[ ",${tcp_ports[$to]:-}," == *",$port,"* ]] || tcp_ports[$to]+="${tcp_ports[$to]:+,}$port"
	fi
done
for key in $(printf '%s\n' "${!tcp_ports[@]}" "${!udp_ports[@]}" | sort -u); do
	args=()
	[[ -n "${tcp_ports[$key]:-}" ]] && args+=(-t "${tcp_ports[$key]}")
	[[ -n "${udp_ports[$key]:-}" ]] && args+=(-u "${udp_ports[$key]}")
	nt_serve "$key" "${args[@]}" || die "cannot start a server in $key"
done

# try FROM TO PORT/PROTO FAMILY -> allowed | dropped
try() {
	local from=$1 to=$2 pp=$3 fam=$4
	if nt_probe "$from" -w 300 "$(nt_target "$to" "${pp%/*}" "${pp#*/}" "$fam")" >/dev/null; then
		echo allowed
	else
		echo dropped
	fi
}

declare -A before=()
for i in "${!FLOWS[@]}"; do
	read -r from to pp _ <<<"${FLOWS[$i]}"
	before[$i]="$(try "$from" "$to" "$pp" 4)/$(try "$from" "$to" "$pp" 6)"
done

echo
echo "== polc compile -o demo.polc $(cd "$repo" && echo policies/demo/*.yaml)"
t0=${EPOCHREALTIME/./}
"$POLC" compile -o "$NT_TMP/demo.polc" "$here"/*.yaml || die "polc compile failed (exit $?)"
echo "   compiled in $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
echo "== polc load --pin-dir $NT_PIN_DIR demo.polc   (in the node namespace)"
nt_on_cleanup "[[ ! -e '$NT_PIN_DIR' ]] || nt_polc unload --pin-dir '$NT_PIN_DIR'"
t0=${EPOCHREALTIME/./}
nt_polc load --pin-dir "$NT_PIN_DIR" "$NT_TMP/demo.polc" || die "polc load failed (exit $?)"
echo "   loaded in $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"

echo
printf '   %-2s %-15s %-15s %-9s %-16s %-7s %-8s %-8s %s\n' \
	'#' FROM TO PORT 'NO POLICY v4/v6' EXPECT IPv4 IPv6 ''
bad=0
for i in "${!FLOWS[@]}"; do
	read -r from to pp expect why <<<"${FLOWS[$i]}"
	r4=$(try "$from" "$to" "$pp" 4)
	r6=$(try "$from" "$to" "$pp" 6)
	want=allowed
	[[ $expect == deny ]] && want=dropped
	verdict=ok
	if [[ $r4 != "$want" || $r6 != "$want" ]]; then
		verdict=MISMATCH
		bad=$((bad + 1))
	fi
	printf '   %-2s %-15s %-15s %-9s %-16s %-7s %-8s %-8s %-8s %s\n' \
		$((i + 1)) "$from" "$to" "$pp" "${before[$i]}" "$expect" "$r4" "$r6" "$verdict" "$why"
done

echo
echo "== polc unload --pin-dir $NT_PIN_DIR"
nt_polc unload --pin-dir "$NT_PIN_DIR" || { echo "demo: polc unload failed" >&2; bad=$((bad + 1)); }
if [[ $bad -eq 0 ]]; then
	echo "demo: every flow as the policies say (${#FLOWS[@]} flows x IPv4, IPv6)"
else
	echo "demo: $bad flow(s) differ from the policies" >&2
	exit 1
fi
