# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Helpers for the loader's end-to-end tests (sourced, not run): a private
# topology of network namespaces, TCP reachability checks and the loader
# test tool. Everything the helpers create is removed by loader_cleanup,
# which the tests install as an EXIT trap.
#
#   netns $NS_HOST    vh0 198.18.0.1/30  <->  vp0 198.18.0.2/30   netns $NS_POD0
#                     vh1 198.18.0.5/30  <->  vp1 198.18.0.6/30   netns $NS_POD1
#
# vh0/vh1 are the pods' host-side interfaces, where polc attaches. Each pod
# answers "ok" on TCP 8080. The loader runs in $NS_HOST (nsenter, so that
# bpffs stays visible), pinning under a dir of its own.

# tests/e2e/run.sh passes BUILD_DIR and NT_RUN_ID in the environment; names
# carry the run id so that the runner can find (and remove) leftovers.
BUILD=${BUILD_DIR:-${1:-build}}
TOOL=$BUILD/tests/loader/polc-loadtest
TAG=polc-loader-${NT_RUN_ID:-manual}-$$
NS_HOST=$TAG-h
NS_POD0=$TAG-p0
NS_POD1=$TAG-p1
PIN=/sys/fs/bpf/$TAG
ART=$(mktemp -d "/tmp/$TAG.XXXXXX")
POD_ADDR=(198.18.0.2 198.18.0.6)
SERVER_PIDS=()
FAILURES=0

[[ -x $TOOL ]] || { echo "loader e2e: $TOOL not built" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root"; exit 77; }

loader_cleanup() {
	local pid
	for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	local dir
	for dir in "$PIN" "$PIN"-*; do
		[[ -d $dir ]] || continue
		in_host "$TOOL" unload --pin-dir "$dir" >/dev/null 2>&1
		# Whatever a failed unload left: only ever our own test dirs.
		[[ $dir == /sys/fs/bpf/polc-loader-* ]] && rm -rf "$dir"
	done
	ip netns del "$NS_POD0" 2>/dev/null
	ip netns del "$NS_POD1" 2>/dev/null
	ip netns del "$NS_HOST" 2>/dev/null
	rm -rf "$ART"
}

in_host() { nsenter --net=/run/netns/"$NS_HOST" "$@"; }
lt() { in_host "$TOOL" "$@"; }

topology_up() {
	ip netns add "$NS_HOST" && ip netns add "$NS_POD0" && ip netns add "$NS_POD1" || return 1
	ip -n "$NS_HOST" link set lo up
	local i pod
	for i in 0 1; do
		pod=$NS_POD0; [[ $i == 1 ]] && pod=$NS_POD1
		ip -n "$NS_HOST" link add vh$i type veth peer name vp$i netns "$pod" || return 1
		ip -n "$NS_HOST" addr add 198.18.0.$((4 * i + 1))/30 dev vh$i
		ip -n "$pod" addr add "${POD_ADDR[$i]}"/30 dev vp$i
		ip -n "$NS_HOST" link set vh$i up
		ip -n "$pod" link set vp$i up
		ip -n "$pod" link set lo up
		ip netns exec "$pod" socat TCP-LISTEN:8080,reuseaddr,fork SYSTEM:'echo ok' &
		SERVER_PIDS+=($!)
	done
	# Bounded wait for both servers.
	local _
	for _ in $(seq 50); do reach 0 && reach 1 && return 0; sleep 0.1; done
	echo "loader e2e: topology does not pass traffic before polc is loaded" >&2
	return 1
}

# reach I: can the host open a TCP connection to pod I? (about 1 s when dropped)
reach() {
	local out
	out=$(in_host timeout 4 socat -T2 - TCP:"${POD_ADDR[$1]}":8080,connect-timeout=1 </dev/null 2>/dev/null)
	[[ $out == ok ]]
}

ok() { echo "  ok   $*"; }
bad() { echo "  FAIL $*"; FAILURES=$((FAILURES + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
expect_reach() { check "pod$1 reachable ($2)" reach "$1"; }
expect_blocked() { if reach "$1"; then bad "pod$1 blocked ($2)"; else ok "pod$1 blocked ($2)"; fi; }

# field NAME LINE: value of NAME=... in an apply result line.
field() { local f; for f in $2; do [[ $f == "$1="* ]] && { echo "${f#*=}"; return; }; done; }

# apply ARGS...: runs the loader, leaves its stdout in $OUT, stderr in $ERR, status in $RC.
# shellcheck disable=SC2034 # read by the tests that source this file
apply() {
	OUT=$(lt apply --pin-dir "$PIN" "$@" 2>"$ART/stderr")
	RC=$?
	ERR=$(cat "$ART/stderr")
}

# mkart NAME FIXTURE ARGS...: test artifact $ART/NAME.art
mkart() { local name=$1; shift; "$TOOL" mkart "$ART/$name.art" "$@" || exit 2; }

# ifindex IF: of a host-side interface (sysfs under nsenter shows the wrong netns).
ifindex() { ip -n "$NS_HOST" -o link show "$1" | cut -d: -f1; }
# entries DIR: how many entries DIR has; entry DIR: its only entry's name.
entries() { find "$1" -mindepth 1 -maxdepth 1 | wc -l; }
entry() { find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n'; }
# live_pinned: is the program in slot 0 pinned in gen/ or staging/?
live_pinned() {
	local live
	live=$(lt slot0 --pin-dir "$PIN")
	[[ $live != 0 ]] || return 1
	compgen -G "$PIN/gen/*-$live" >/dev/null || compgen -G "$PIN/staging/*-$live" >/dev/null
}
# has_links IF: does PIN/links hold a pin for the interface?
has_links() { compgen -G "$PIN/links/$(ifindex "$1")_*" >/dev/null; }

# hooks IF: the programs on the host-side interface, one line.
hooks() { lt hooks "$1"; }

# attached_polc IF MODE: both polc entry programs and nothing of polc in the other mode.
attached_polc() {
	local h
	h=$(hooks "$1")
	case $2 in
	tcx) [[ $h == "tcx_ingress=polc_from_pod tcx_egress=polc_to_pod clsact_ingress= clsact_egress=" ]] ;;
	clsact) [[ $h == "tcx_ingress= tcx_egress= clsact_ingress=polc_from_pod clsact_egress=polc_to_pod" ]] ;;
	esac
}
detached_polc() { [[ $(hooks "$1") == "tcx_ingress= tcx_egress= clsact_ingress= clsact_egress=" ]]; }

finish() {
	if [[ $FAILURES -ne 0 ]]; then
		echo "loader e2e: $FAILURES check(s) failed"
		exit 1
	fi
	exit 0
}
