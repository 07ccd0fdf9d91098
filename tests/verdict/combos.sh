#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Every combination of the polc_gen.h switches (2^9 generations), built
# from bpf-templates/datapath.bpf.c and loaded into the kernel: each must
# compile without warnings and pass the verifier. Prefix lengths are the
# smallest (32 / 128) except for one sample in eight, which uses all of
# them (the worst case). Run as root (verdict --verify creates its own
# network namespace); takes a few minutes on two cores.
#
#   tests/verdict/combos.sh BUILD_DIR
set -euo pipefail

build=${1:?usage: combos.sh BUILD_DIR}
verdict="$build/tests/verdict/verdict"
clang=${CLANG:-clang}
multiarch=$(${CC:-gcc} -print-multiarch 2>/dev/null || ${CC:-gcc} -dumpmachine)
jobs=$(nproc)
work=$(mktemp -d /tmp/polc-combos.XXXXXX)
trap 'rm -rf "$work"' EXIT

[[ -x "$verdict" ]] || { echo "combos: $verdict missing (run make first)" >&2; exit 2; }

switches=(PROBE_CIDR PROBE_PEER_ANY PROBE_PORT_CLASS PROBE_PORT_EXACT PROBE_PORT_ANY PROBE_PROTO_ANY HAVE_DENY HAVE_AUDIT
	ALLOW_FIRST_HIT DIRECT_READS)
all_v4=$(seq -s ', ' 32 -1 0)
all_v6=$(seq -s ', ' 128 -1 0)

for ((n = 0; n < 1 << ${#switches[@]}; n++)); do
	dir="$work/$n"
	mkdir -p "$dir"
	{
		for i in "${!switches[@]}"; do
			echo "#define POLC_GEN_${switches[$i]} $(((n >> i) & 1))"
		done
		if ((n % 8 == 7)); then
			echo "#define POLC_GEN_V4_PREFIXLENS $all_v4"
			echo "#define POLC_GEN_V4_NR_PREFIXLENS 33"
			echo "#define POLC_GEN_V6_PREFIXLENS $all_v6"
			echo "#define POLC_GEN_V6_NR_PREFIXLENS 129"
		else
			echo "#define POLC_GEN_V4_PREFIXLENS 32"
			echo "#define POLC_GEN_V4_NR_PREFIXLENS 1"
			echo "#define POLC_GEN_V6_PREFIXLENS 128"
			echo "#define POLC_GEN_V6_NR_PREFIXLENS 1"
		fi
		echo "#define POLC_GEN_ENDPOINTS_MAX 16"
		echo "#define POLC_GEN_IPCACHE_MAX 16"
		echo "#define POLC_GEN_POLICY_MAX 16"
		echo "#define POLC_GEN_RULES_MAX 16"
	} >"$dir/polc_gen.h"
	echo "$n"
done | xargs -P "$jobs" -I{} "$clang" -target bpf -O2 -g -Wall -Werror -I"/usr/include/$multiarch" \
	-Iruntime/include -Ibpf-templates -I"$work/{}" -c bpf-templates/datapath.bpf.c -o "$work/{}.o"

objects=("$work"/*.o)
echo "combos: ${#objects[@]} generations built, loading them"
out="$work/verify.txt"
if ! "$verdict" --verify "${objects[@]}" >"$out"; then
	grep -v '^ok ' "$out" >&2
	echo "combos: FAILED (the generation's switches: $work/N/polc_gen.h)" >&2
	trap - EXIT
	exit 1
fi
max=$(awk '{ print $3 }' "$out" | sort -n | tail -1)
echo "combos: all ${#objects[@]} generations pass the verifier (at most $max instructions processed)"
