# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
# NT_* variables are this library's API: set here, read by the tests.
# shellcheck disable=SC2034
#
# netns.sh: network-namespace topologies for polc's real-traffic tests.
#
# One "node" namespace holds a Linux bridge; every pod is a namespace of its
# own with a veth pair: eth0 (IPv4 from 198.18.0.0/15, IPv6 from fd00::/8) on
# the pod side, the host side enslaved to the bridge in the node namespace
# and named as the inventory names it (annotation polc.io/interface). polc
# attaches there: tc ingress on the host side is the pod's egress, tc egress
# the pod's ingress. All names carry a per-run prefix; a trap removes
# namespaces, bpffs pins, servers and temp files even when the test fails.
#
# Use from a test:
#   source tests/lib/netns.sh
#   nt_setup mytest                      # node ns + bridge + cleanup trap
#   nt_add_pod x/a --labels app=web --ports http:80/TCP
#   nt_add_pod x/b --labels app=db
#   nt_serve x/a -t 80 -u 80             # background server, waits until ready
#   nt_probe x/b "$(nt_target x/a 80 tcp 4)"   # exit 0 iff every probe is ok
#   nt_inventory > "$NT_TMP/inventory.yaml"
#   nt_polc load --pin-dir "$NT_PIN_DIR" ART   # polc inside the node ns
#   nt_on_cleanup "some command"          # extra cleanup (do not replace the trap)
#
# Or as a command (the Python harness does this; the caller owns cleanup):
#   netns.sh create PREFIX SPEC    SPEC lines: NS/POD V4 V6 IFNAME
#   netns.sh destroy PREFIX        remove everything named PREFIX*
#   netns.sh leftovers             list polc-* namespaces and pins (exit 1 if any)
#
# Every wait is bounded. Addresses are only ever assigned inside namespaces
# this library creates.

NT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NT_REPO=$(cd "$NT_LIB_DIR/../.." && pwd)
NT_V4_PLEN=15    # every pod address is on-link: one L2 segment
NT_V6_PLEN=8
NT_BRIDGE=br0
NT_NODE_NAME=polc-node  # spec.nodeName in the inventory

# Exit status a test uses to say "skipped" (automake convention).
NT_SKIP=77

nt_log() { printf '%s\n' "$*" >&2; }
nt_die() { printf 'netns.sh: %s\n' "$*" >&2; exit 1; }

# Skip (exit 77) when the environment cannot run network tests; the runners
# turn a skip into a failure when CI=true.
nt_skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit "$NT_SKIP"
}

nt_require_env() {
	[[ $(id -u) -eq 0 ]] || nt_skip "network tests need root"
	local t
	for t in ip tc nsenter; do
		command -v "$t" >/dev/null || nt_skip "missing tool: $t"
	done
	[[ -d /sys/fs/bpf ]] || nt_skip "no /sys/fs/bpf"
}

# A prefix must look like ours before anything is deleted by it.
nt_valid_prefix() {
	[[ "$1" =~ ^polc-[a-z0-9][a-z0-9-]*$ ]]
}

# ---- low-level helpers (no global state beyond their arguments) -----------

# Run a command in a namespace. nsenter keeps the mount namespace (and so
# /sys/fs/bpf); `ip netns exec` would remount /sys and hide bpffs.
nt_in() {
	local netns=$1
	shift
	nsenter --net="/run/netns/$netns" -- "$@"
}

nt_sysctl_in() {   # NETNS KEY VALUE   (KEY with dots or slashes)
	local netns=$1 key=${2//./\/} value=$3
	nt_in "$netns" sh -c "echo $value > /proc/sys/$key" 2>/dev/null
}

# Interface name for a pod: Cilium-like "lxc" + 12 hex of a hash of
# NS/POD, at most 15 bytes, stable across runs.
nt_default_ifname() {
	local h
	h=$(printf '%s' "$1" | sha256sum)
	printf 'lxc%s' "${h:0:12}"
}

nt__create_node() {   # PREFIX
	local node="$1-node" k
	ip netns add "$node" || return 1
	nt_in "$node" ip link set lo up || return 1
	# br_netfilter is built into this kernel: bridged frames must not be
	# handed to iptables/ip6tables/arptables in the node namespace.
	for k in bridge-nf-call-iptables bridge-nf-call-ip6tables bridge-nf-call-arptables; do
		if nt_in "$node" test -e "/proc/sys/net/bridge/$k"; then
			nt_sysctl_in "$node" "net/bridge/$k" 0 || return 1
			[[ $(nt_in "$node" cat "/proc/sys/net/bridge/$k") == 0 ]] ||
				{ nt_log "netns.sh: cannot clear $k in $node"; return 1; }
		fi
	done
	# No STP, no forward delay: ports forward as soon as they are up.
	# No multicast snooping: neighbour discovery is flooded, no querier needed.
	nt_in "$node" ip link add "$NT_BRIDGE" type bridge stp_state 0 forward_delay 0 \
		mcast_snooping 0 || return 1
	# The node side carries no addresses: nothing here answers or routes.
	nt_sysctl_in "$node" net/ipv6/conf/default/disable_ipv6 1
	nt_sysctl_in "$node" "net/ipv6/conf/$NT_BRIDGE/disable_ipv6" 1
	nt_in "$node" ip link set "$NT_BRIDGE" up || return 1
}

nt__create_pod() {   # PREFIX NS/POD V4 V6 IFNAME
	local prefix=$1 key=$2 v4=$3 v6=$4 ifname=$5
	local node="$prefix-node" netns
	netns=$(nt__pod_netns "$prefix" "$key")
	[[ ${#ifname} -le 15 ]] || { nt_log "netns.sh: interface name too long: $ifname"; return 1; }
	ip netns add "$netns" || return 1
	nt_in "$node" ip link add "$ifname" type veth peer name eth0 netns "$netns" || return 1
	nt_sysctl_in "$node" "net/ipv6/conf/$ifname/disable_ipv6" 1
	nt_in "$node" ip link set "$ifname" master "$NT_BRIDGE" || return 1
	nt_in "$node" ip link set "$ifname" up || return 1

	nt_in "$netns" ip link set lo up || return 1
	# No DAD (addresses usable at once), no router solicitations (no noise).
	local k
	for k in accept_dad dad_transmits accept_ra router_solicitations; do
		nt_sysctl_in "$netns" "net/ipv6/conf/eth0/$k" 0
	done
	if [[ -n "$v4" && "$v4" != - ]]; then
		nt_in "$netns" ip addr add "$v4/$NT_V4_PLEN" dev eth0 || return 1
	fi
	if [[ -n "$v6" && "$v6" != - ]]; then
		nt_in "$netns" ip addr add "$v6/$NT_V6_PLEN" dev eth0 nodad || return 1
	fi
	nt_in "$netns" ip link set eth0 up || return 1
}

nt__pod_netns() {   # PREFIX NS/POD
	local name=${2//\//-}
	printf '%s-p-%s' "$1" "$name"
}

# Wait (bounded) until eth0 in NETNS is up and carries no tentative address.
nt__wait_pod() {   # NETNS V4 V6
	local netns=$1 v4=$2 v6=$3 i state addrs
	for ((i = 0; i < 100; i++)); do
		state=$(nt_in "$netns" cat /sys/class/net/eth0/operstate 2>/dev/null)
		addrs=$(nt_in "$netns" ip -o addr show dev eth0 2>/dev/null)
		if [[ "$state" == up ]] && ! grep -q tentative <<<"$addrs" &&
			{ [[ -z "$v4" || "$v4" == - ]] || grep -qF " $v4/" <<<"$addrs"; } &&
			{ [[ -z "$v6" || "$v6" == - ]] || grep -qF " $v6/" <<<"$addrs"; }; then
			return 0
		fi
		sleep 0.05
	done
	nt_log "netns.sh: $netns: eth0 not ready after 5s (state=$state)"
	nt_log "$addrs"
	return 1
}

# Remove everything a run with PREFIX created: processes inside its
# namespaces (started by that run), the namespaces (and so every veth and
# the bridge), and its bpffs pins. Idempotent.
nt_destroy_prefix() {
	local prefix=$1 ns pid pins
	nt_valid_prefix "$prefix" || { nt_log "netns.sh: refusing to destroy prefix '$prefix'"; return 1; }
	local list
	list=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${prefix}-(node|p-)" || true)
	for ns in $list; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null
		done
	done
	for ns in $list; do
		local i
		for ((i = 0; i < 20; i++)); do
			[[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break
			sleep 0.05
		done
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	# The node first: deleting it destroys the host side of every veth
	# (and so the pod sides) and the bridge along with any tc/tcx attachments.
	for ns in $list; do
		[[ "$ns" == "$prefix-node" ]] && ip netns del "$ns" 2>/dev/null
	done
	for ns in $list; do
		[[ "$ns" == "$prefix-node" ]] || ip netns del "$ns" 2>/dev/null
	done
	# Pins: the run's pin dir and anything else it named with its prefix.
	pins=$(compgen -G "/sys/fs/bpf/${prefix}*" || true)
	for ns in $pins; do
		rm -rf -- "$ns"
	done
	# Temp dirs of the run (nt_setup, run.py): /tmp/PREFIX.XXXXXX
	for ns in $(compgen -G "/tmp/${prefix}.*" || true); do
		rm -rf -- "$ns"
	done
	return 0
}

# ---- the stateful API for bash tests --------------------------------------

declare -A NT_POD_NETNS=() NT_POD_IF=() NT_POD_V4=() NT_POD_V6=() NT_POD_LABELS=() \
	NT_POD_PORTS=() NT_POD_INVENTORY=() NT_NS_LABELS=()
declare -a NT_PODS=() NT_PIDS=() NT_CLEANUP_CMDS=()
NT_PREFIX=
NT_NODE=
NT_PIN_DIR=
NT_TMP=
NT_POD_COUNT=0
NT_LAST_PID=

# Tools built by make; tests get BUILD_DIR from tests/e2e/run.sh.
nt_tools_dir() {
	printf '%s' "${NT_TOOLS:-${BUILD_DIR:-$NT_REPO/build}/tests/tools}"
}

nt_polc_bin() {
	printf '%s' "${POLC:-${BUILD_DIR:-$NT_REPO/build}/polc}"
}

# nt_setup [TAG]: node namespace + bridge, temp dir, cleanup trap.
# Sets NT_PREFIX, NT_NODE, NT_PIN_DIR (not created: polc load creates it), NT_TMP.
nt_setup() {
	local tag=${1:-t}
	tag=$(printf '%s' "$tag" | tr -c 'a-z0-9\n' '-' | cut -c1-16)
	nt_require_env
	# NT_RUN_ID (set by tests/e2e/run.sh) lets the runner find what a test
	# left behind; otherwise the shell's pid keeps concurrent runs apart.
	NT_PREFIX="polc-$tag-${NT_RUN_ID:-$$}-$RANDOM"
	nt_valid_prefix "$NT_PREFIX" || nt_die "bad tag '$tag'"
	NT_NODE="$NT_PREFIX-node"
	NT_PIN_DIR="/sys/fs/bpf/$NT_PREFIX"
	NT_TMP=$(mktemp -d "/tmp/$NT_PREFIX.XXXXXX")
	trap nt_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	nt__create_node "$NT_PREFIX" || nt_die "cannot create node namespace $NT_NODE"
}

nt_on_cleanup() {
	NT_CLEANUP_CMDS+=("$*")
}

nt_cleanup() {
	local rc=$? pid i cmd
	trap - EXIT INT TERM HUP
	for ((i = ${#NT_CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
		cmd=${NT_CLEANUP_CMDS[$i]}
		eval "$cmd" >/dev/null 2>&1 || true
	done
	for pid in "${NT_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${NT_PIDS[@]}"; do
		for ((i = 0; i < 20; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	NT_PIDS=()
	if [[ -n "$NT_PREFIX" ]]; then
		if [[ -n "${NT_KEEP:-}" ]]; then
			nt_log "netns.sh: NT_KEEP set: leaving $NT_PREFIX-* (remove with: $NT_LIB_DIR/netns.sh destroy $NT_PREFIX)"
		else
			nt_destroy_prefix "$NT_PREFIX"
		fi
	fi
	if [[ -n "$NT_TMP" && -d "$NT_TMP" && -z "${NT_KEEP:-}" ]]; then
		rm -rf -- "$NT_TMP"
	fi
	return "$rc"
}

# nt_add_pod NS/POD [--labels k=v,...] [--ports name:port/PROTO,...]
#                   [--v4 ADDR|-] [--v6 ADDR|-] [--ifname NAME] [--external]
# --external: a host on the segment that the inventory does not list.
nt_add_pod() {
	local key=$1
	shift
	[[ "$key" == */* ]] || nt_die "nt_add_pod: want NS/POD, got '$key'"
	[[ -z "${NT_POD_NETNS[$key]:-}" ]] || nt_die "nt_add_pod: $key exists"
	local labels="" ports="" v4="" v6="" ifname="" inventory=1 n
	while [[ $# -gt 0 ]]; do
		case $1 in
		--labels) labels=$2; shift 2 ;;
		--ports) ports=$2; shift 2 ;;
		--v4) v4=$2; shift 2 ;;
		--v6) v6=$2; shift 2 ;;
		--ifname) ifname=$2; shift 2 ;;
		--external) inventory=0; shift ;;
		*) nt_die "nt_add_pod: unknown option $1" ;;
		esac
	done
	NT_POD_COUNT=$((NT_POD_COUNT + 1))
	n=$NT_POD_COUNT
	[[ -n "$v4" ]] || v4="198.18.$((n / 250)).$((n % 250 + 2))"
	[[ -n "$v6" ]] || v6=$(printf 'fd00:198:18::%x' $((n + 1)))
	[[ -n "$ifname" ]] || ifname=$(nt_default_ifname "$key")
	[[ -n "$labels" ]] || labels="pod=${key#*/}"
	nt__create_pod "$NT_PREFIX" "$key" "$v4" "$v6" "$ifname" || nt_die "cannot create pod $key"
	NT_PODS+=("$key")
	NT_POD_NETNS[$key]=$(nt__pod_netns "$NT_PREFIX" "$key")
	NT_POD_IF[$key]=$ifname
	NT_POD_V4[$key]=$v4
	NT_POD_V6[$key]=$v6
	NT_POD_LABELS[$key]=$labels
	NT_POD_PORTS[$key]=$ports
	NT_POD_INVENTORY[$key]=$inventory
	local ns=${key%%/*}
	if [[ $inventory == 1 && -z "${NT_NS_LABELS[$ns]+set}" ]]; then
		NT_NS_LABELS[$ns]="kubernetes.io/metadata.name=$ns"
	fi
	nt__wait_pod "${NT_POD_NETNS[$key]}" "$v4" "$v6" || nt_die "pod $key not ready"
}

# nt_ns_labels NS k=v,...: labels of a Kubernetes namespace (the
# kubernetes.io/metadata.name label is always added).
nt_ns_labels() {
	local ns=$1 labels=$2
	NT_NS_LABELS[$ns]="kubernetes.io/metadata.name=$ns${labels:+,$labels}"
}

nt_netns() { printf '%s' "${NT_POD_NETNS[$1]:?unknown pod $1}"; }
nt_ifname() { printf '%s' "${NT_POD_IF[$1]:?unknown pod $1}"; }
nt_ip() {   # POD 4|6
	if [[ ${2:-4} == 6 ]]; then printf '%s' "${NT_POD_V6[$1]:?unknown pod $1}"
	else printf '%s' "${NT_POD_V4[$1]:?unknown pod $1}"; fi
}

# nt_target POD PORT [PROTO] [FAMILY]: a probe target string.
nt_target() {
	local pod=$1 port=$2 proto=${3:-tcp} fam=${4:-4}
	if [[ $fam == 6 ]]; then
		printf '[%s]:%s/%s' "$(nt_ip "$pod" 6)" "$port" "$proto"
	else
		printf '%s:%s/%s' "$(nt_ip "$pod" 4)" "$port" "$proto"
	fi
}

nt_exec() {   # POD CMD...
	local pod=$1
	shift
	nt_in "$(nt_netns "$pod")" "$@"
}

nt_node_exec() {
	nt_in "$NT_NODE" "$@"
}

# polc inside the node namespace, where the host-side interfaces live.
nt_polc() {
	nt_in "$NT_NODE" "$(nt_polc_bin)" "$@"
}

# nt_serve POD [serve options]: start serve in POD's namespace in the
# background; returns once it listens (bounded). Its pid is in NT_LAST_PID.
# Call it directly, not in $(...): the server must be a child of the test.
nt_serve() {
	local pod=$1 serve ready pid i
	shift
	serve="$(nt_tools_dir)/serve"
	[[ -x "$serve" ]] || nt_die "no $serve (run make)"
	ready="$NT_TMP/serve.${pod//\//-}.$RANDOM.ready"
	nt_in "$(nt_netns "$pod")" "$serve" -l "${NT_SERVE_LIFETIME:-600}" -r "$ready" "$@" \
		</dev/null >>"$NT_TMP/serve.log" 2>&1 &
	pid=$!
	NT_PIDS+=("$pid")
	for ((i = 0; i < 100; i++)); do
		[[ -s "$ready" ]] && { NT_LAST_PID=$pid; return 0; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	nt_log "netns.sh: serve in $pod did not become ready:"
	cat "$NT_TMP/serve.log" >&2
	return 1
}

# nt_probe POD [probe options] TARGET...: probe from POD; output and exit
# status are probe's (0: every target ok).
nt_probe() {
	local pod=$1 probe
	shift
	probe="$(nt_tools_dir)/probe"
	[[ -x "$probe" ]] || nt_die "no $probe (run make)"
	nt_in "$(nt_netns "$pod")" "$probe" "$@"
}

# nt_tc_drop IFNAME ingress|egress: a classic-BPF tc filter on a host-side
# interface that drops every packet (the kernel has no gact module). For
# tests of the tests: proves that a drop at polc's hook is observed.
nt_tc_drop() {
	local ifname=$1 dir=$2
	nt_in "$NT_NODE" tc qdisc replace dev "$ifname" clsact &&
		nt_in "$NT_NODE" tc filter add dev "$ifname" "$dir" pref 1 bpf da bytecode '1,6 0 0 2,'
}

nt_tc_clear() {
	nt_in "$NT_NODE" tc qdisc del dev "$1" clsact 2>/dev/null || true
}

nt__yaml_str() {   # single-quoted YAML scalar
	local s=${1//\'/\'\'}
	printf "'%s'" "$s"
}

nt__yaml_labels() {   # INDENT k=v,...
	local indent=$1 labels=$2 kv
	if [[ -z "$labels" ]]; then
		printf ' {}\n'
		return
	fi
	printf '\n'
	local IFS=,
	for kv in $labels; do
		printf '%s%s: %s\n' "$indent" "$(nt__yaml_str "${kv%%=*}")" "$(nt__yaml_str "${kv#*=}")"
	done
}

# nt_inventory: the topology's Namespace and Pod objects as
# `kubectl get namespaces,pods -A -o yaml` prints them (a v1 List).
nt_inventory() {
	local ns key pod
	printf 'apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\nitems:\n'
	for ns in $(printf '%s\n' "${!NT_NS_LABELS[@]}" | sort); do
		printf -- '- apiVersion: v1\n  kind: Namespace\n  metadata:\n'
		printf '    name: %s\n' "$(nt__yaml_str "$ns")"
		printf '    labels:'
		nt__yaml_labels '      ' "${NT_NS_LABELS[$ns]}"
		printf '  spec:\n    finalizers:\n    - kubernetes\n  status:\n    phase: Active\n'
	done
	for key in "${NT_PODS[@]}"; do
		[[ ${NT_POD_INVENTORY[$key]} == 1 ]] || continue
		ns=${key%%/*}
		pod=${key#*/}
		printf -- '- apiVersion: v1\n  kind: Pod\n  metadata:\n'
		printf '    name: %s\n    namespace: %s\n' "$(nt__yaml_str "$pod")" "$(nt__yaml_str "$ns")"
		printf '    annotations:\n      polc.io/interface: %s\n' "$(nt__yaml_str "${NT_POD_IF[$key]}")"
		printf '    labels:'
		nt__yaml_labels '      ' "${NT_POD_LABELS[$key]}"
		printf '  spec:\n    nodeName: %s\n    serviceAccountName: default\n' "$NT_NODE_NAME"
		printf '    containers:\n    - name: main\n      image: registry.k8s.io/e2e-test-images/agnhost:2.47\n'
		if [[ -n "${NT_POD_PORTS[$key]}" ]]; then
			printf '      ports:\n'
			local IFS=, p name rest port proto
			for p in ${NT_POD_PORTS[$key]}; do
				name=${p%%:*}
				rest=${p#*:}
				port=${rest%%/*}
				proto=TCP
				[[ "$rest" == */* ]] && proto=${rest#*/}
				printf '      - containerPort: %s\n        name: %s\n        protocol: %s\n' \
					"$port" "$(nt__yaml_str "$name")" "${proto^^}"
			done
			unset IFS
		fi
		printf '  status:\n    phase: Running\n'
		local ips=()
		[[ "${NT_POD_V4[$key]}" != - ]] && ips+=("${NT_POD_V4[$key]}")
		[[ "${NT_POD_V6[$key]}" != - ]] && ips+=("${NT_POD_V6[$key]}")
		if [[ ${#ips[@]} -gt 0 ]]; then
			printf '    podIP: %s\n    podIPs:\n' "$(nt__yaml_str "${ips[0]}")"
			local ip
			for ip in "${ips[@]}"; do
				printf '    - ip: %s\n' "$(nt__yaml_str "$ip")"
			done
		fi
	done
}

# nt_leftovers: print polc-* namespaces and pins; exit 1 if there are any.
nt_leftovers() {
	local found=0 l
	l=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^polc-' || true)
	# shellcheck disable=SC2001
	[[ -n "$l" ]] && { sed 's/^/namespace /' <<<"$l"; found=1; }
	l=$(compgen -G '/sys/fs/bpf/polc-*' || true)
	# shellcheck disable=SC2001
	[[ -n "$l" ]] && { sed 's/^/pin /' <<<"$l"; found=1; }
	return $((found))
}

# ---- command mode ---------------------------------------------------------

nt__main() {
	local cmd=${1:-}
	case $cmd in
	create)
		local prefix=${2:?usage: netns.sh create PREFIX SPEC} spec=${3:?usage: netns.sh create PREFIX SPEC}
		nt_valid_prefix "$prefix" || nt_die "bad prefix '$prefix' (want polc-[a-z0-9-]+)"
		nt_require_env
		local key v4 v6 ifname netns
		local -a created=()
		nt__create_node "$prefix" || { nt_destroy_prefix "$prefix"; nt_die "cannot create node namespace"; }
		while read -r key v4 v6 ifname; do
			[[ -z "$key" || "$key" == \#* ]] && continue
			nt__create_pod "$prefix" "$key" "$v4" "$v6" "$ifname" ||
				{ nt_destroy_prefix "$prefix"; nt_die "cannot create pod $key"; }
			created+=("$key $v4 $v6")
		done <"$spec"
		local c
		for c in "${created[@]}"; do
			read -r key v4 v6 <<<"$c"
			netns=$(nt__pod_netns "$prefix" "$key")
			nt__wait_pod "$netns" "$v4" "$v6" || { nt_destroy_prefix "$prefix"; nt_die "pod $key not ready"; }
			printf '%s %s\n' "$key" "$netns"
		done
		;;
	destroy)
		nt_destroy_prefix "${2:?usage: netns.sh destroy PREFIX}"
		;;
	leftovers)
		nt_leftovers
		;;
	*)
		printf 'usage: netns.sh create PREFIX SPEC | destroy PREFIX | leftovers\n' >&2
		return 2
		;;
	esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	set -uo pipefail
	nt__main "$@"
	exit $?
fi
