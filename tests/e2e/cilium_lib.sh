# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# Helpers for the Cilium real-traffic tests (test_cilium_*.sh), on top of
# tests/lib/netns.sh: expectations over many flows at once, ping, and the
# node itself as a peer (an address on the node namespace's bridge, a Node
# object in the inventory, a server in the node namespace).
#
#   cil_expect FROM ok|blocked TARGET...   FROM: a pod (ns/name) or "node"
#   cil_ping FROM ok|blocked 4|6 ADDR       one echo request
#   cil_node_up                             198.18.255.1/15 on br0 (CIL_NODE_V4)
#   cil_node_yaml [ANNOTATION...]           the local Node object, podCIDRs included
#   cil_serve_node [serve options]          a server in the node namespace
#   cil_done                                exit 1 if any expectation failed
#
# An expectation "ok" that fails is retried once with a longer deadline (a
# first packet may wait for neighbour resolution); "blocked" never is.

# shellcheck source=tests/lib/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"

CIL_FAILS=0
CIL_CHECKS=0
CIL_NODE_V4=198.18.255.1
# Pods of tests/lib/netns.sh get 198.18.0.x and fd00:198:18::x: the Node's pod CIDRs.
CIL_POD_CIDR4=198.18.0.0/24
CIL_POD_CIDR6=fd00:198:18::/112

cil__probe() {   # FROM DEADLINE_MS TARGET...
	local from=$1 deadline=$2
	shift 2
	if [[ $from == node ]]; then
		nt_node_exec "$(nt_tools_dir)/probe" -w "$deadline" "$@"
	else
		nt_probe "$from" -w "$deadline" "$@"
	fi
}

cil_expect() {
	local from=$1 want=$2 addr port proto result retry=()
	shift 2
	while read -r addr port proto result _; do
		[[ -n "$addr" ]] || continue
		CIL_CHECKS=$((CIL_CHECKS + 1))
		[[ $result == "$want" ]] && continue
		if [[ $want == ok ]]; then
			if [[ $addr == *:* ]]; then retry+=("[$addr]:$port/$proto"); else retry+=("$addr:$port/$proto"); fi
			continue
		fi
		nt_log "FAIL: $from -> $addr $port/$proto: $result, want $want"
		CIL_FAILS=$((CIL_FAILS + 1))
	done < <(cil__probe "$from" 400 "$@" 2>&1)
	[[ ${#retry[@]} -gt 0 ]] || return 0
	while read -r addr port proto result _; do
		[[ -n "$addr" ]] || continue
		[[ $result == ok ]] && continue
		nt_log "FAIL: $from -> $addr $port/$proto: $result, want ok"
		CIL_FAILS=$((CIL_FAILS + 1))
	done < <(cil__probe "$from" 2000 "${retry[@]}" 2>&1)
}

cil__ping() {   # FROM FAMILY ADDR COUNT WAIT
	local from=$1 fam=$2 addr=$3 count=$4 wait=$5
	local cmd=(ping "-$fam" -n -q -c "$count" -W "$wait" "$addr")
	if [[ $from == node ]]; then
		nt_node_exec "${cmd[@]}" >/dev/null 2>&1
	else
		nt_exec "$from" "${cmd[@]}" >/dev/null 2>&1
	fi
}

cil_ping() {
	local from=$1 want=$2 fam=$3 addr=$4 got=blocked
	CIL_CHECKS=$((CIL_CHECKS + 1))
	cil__ping "$from" "$fam" "$addr" 1 1 && got=ok
	# Neighbour resolution may eat the first echo: once more, with time.
	[[ $want == ok && $got != ok ]] && cil__ping "$from" "$fam" "$addr" 2 2 && got=ok
	if [[ $got != "$want" ]]; then
		nt_log "FAIL: $from -> ping -$fam $addr: $got, want $want"
		CIL_FAILS=$((CIL_FAILS + 1))
	fi
}

cil_node_up() {
	nt_node_exec ip addr add "$CIL_NODE_V4/$NT_V4_PLEN" dev "$NT_BRIDGE" ||
		nt_die "cannot give the node an address"
}

# The local Node as `kubectl get node -o yaml` shows it (what polc reads).
cil_node_yaml() {
	printf 'apiVersion: v1\nkind: Node\nmetadata:\n  name: %s\n' "$NT_NODE_NAME"
	if [[ $# -gt 0 ]]; then
		printf '  annotations:\n'
		local a
		for a in "$@"; do
			printf '    %s: "%s"\n' "${a%%=*}" "${a#*=}"
		done
	fi
	printf 'spec:\n  podCIDRs: [%s, "%s"]\n' "$CIL_POD_CIDR4" "$CIL_POD_CIDR6"
	printf 'status:\n  addresses:\n  - {type: InternalIP, address: %s}\n  - {type: Hostname, address: %s}\n' \
		"$CIL_NODE_V4" "$NT_NODE_NAME"
}

cil_serve_node() {
	local serve ready pid i
	serve="$(nt_tools_dir)/serve"
	ready="$NT_TMP/serve.node.$RANDOM.ready"
	nt_node_exec "$serve" -l "${NT_SERVE_LIFETIME:-600}" -r "$ready" "$@" </dev/null >>"$NT_TMP/serve.log" 2>&1 &
	pid=$!
	NT_PIDS+=("$pid")
	for ((i = 0; i < 100; i++)); do
		[[ -s "$ready" ]] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	nt_die "serve in the node namespace did not become ready"
}

# Compile INPUT... into NAME.polc and load (or swap) it.
cil_load() {
	local art="$NT_TMP/$1.polc"
	shift
	"$(nt_polc_bin)" compile -o "$art" "$@" || nt_die "polc compile failed"
	if [[ -z "${CIL_LOADED:-}" ]]; then
		nt_on_cleanup "[[ ! -e '$NT_PIN_DIR' ]] || nt_polc unload --pin-dir '$NT_PIN_DIR'"
		CIL_LOADED=1
	fi
	nt_polc load --pin-dir "$NT_PIN_DIR" "$art" || nt_die "polc load failed"
}

cil_done() {
	if [[ $CIL_FAILS -gt 0 ]]; then
		nt_log "$CIL_FAILS of $CIL_CHECKS expectations failed"
		exit 1
	fi
	nt_log "all $CIL_CHECKS expectations met"
}
