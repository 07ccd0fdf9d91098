#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Faults leave the previous generation enforcing, shown by traffic: a compiled
# artifact the verifier rejects, one naming a missing interface, and polc load
# and polc endpoint killed (SIGKILL, strace fault injection) before every
# bpf(), rename(), unlink(), mkdir() and rmdir() they make. After a kill the
# datapath enforces the old or the complete new policy, never a mix, and the
# next call succeeds and cleans up.
set -euo pipefail
source "$(dirname "$0")/../lib/netns.sh"
nt_setup agentfault
command -v strace >/dev/null || nt_skip "strace missing"

nt_add_pod x/web --labels app=web
nt_add_pod x/client --labels app=client
nt_add_pod x/admin --external
nt_serve x/web -t 80,81
nt_inventory >"$NT_TMP/inventory.yaml"
policy() { # PORT: web admits the client on PORT only, and role=admin on 81
	cat <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: x}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: $1}]
  - from: [{podSelector: {matchLabels: {role: admin}}}]
    ports: [{port: 81}]
EOF
}
policy 80 >"$NT_TMP/a.yaml"
policy 81 >"$NT_TMP/b.yaml"
"$POLC" compile -o "$NT_TMP/a.polc" "$NT_TMP/inventory.yaml" "$NT_TMP/a.yaml"
"$POLC" compile -o "$NT_TMP/b.polc" "$NT_TMP/inventory.yaml" "$NT_TMP/b.yaml"
nt_on_cleanup "[[ ! -e '$NT_PIN_DIR' ]] || nt_polc unload --pin-dir '$NT_PIN_DIR'"
PIN=$NT_PIN_DIR
load() { nt_polc load --pin-dir "$PIN" "$@"; }

# enforcing: which policy the traffic shows: A (client reaches 80 only), B (81 only), or what it saw.
enforcing() {
	local out p80 p81
	out=$(nt_probe x/client -w 250 "$(nt_target x/web 80 tcp 4)" "$(nt_target x/web 81 tcp 4)" 2>&1 || true)
	p80=$(awk '$2 == 80 {print $4}' <<<"$out")
	p81=$(awk '$2 == 81 {print $4}' <<<"$out")
	case "$p80/$p81" in
	ok/blocked) echo A ;;
	blocked/ok) echo B ;;
	*) echo "mixed(80:$p80,81:$p81)" ;;
	esac
}
# admin_reach: can x/admin reach web:81 (only once polc endpoint added it)?
admin_reach() { nt_probe x/admin -w 250 "$(nt_target x/web 81 tcp 4)" >/dev/null 2>&1 && echo yes || echo no; }
tidy() { # one generation pinned, nothing in staging
	[[ $(find "$PIN/gen" -mindepth 1 -maxdepth 1 | wc -l) == 1 && $(find "$PIN/staging" -mindepth 1 -maxdepth 1 | wc -l) == 0 ]]
}

fail=0
ok() { echo "  ok    $*"; }
bad() { echo "  FAIL  $*"; fail=1; }

load "$NT_TMP/a.polc" >/dev/null
[[ $(enforcing) == A ]] || nt_die "policy A does not enforce as expected: $(enforcing)"

echo "-- a compiled artifact the verifier rejects (its program patched to read an uninitialised register)"
/usr/bin/python3 - "$NT_TMP/b.polc" "$NT_TMP/rejected.polc" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
n = struct.unpack_from('<I', data, 16)[0]
sections = {}
for i in range(n):
    name, off, size = struct.unpack_from('<32sQQ', data, 24 + 48 * i)
    sections[name.rstrip(b'\0').decode()] = (off, size)
off, size = sections['bpf/gen.o']
elf = memoryview(data)[off:off + size]
shoff, = struct.unpack_from('<Q', elf, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', elf, 0x3a)
def sh(i):
    return struct.unpack_from('<IIQQQQIIQQ', elf, shoff + i * shentsize)
stroff = sh(shstrndx)[4]
def sname(i):
    start = stroff + sh(i)[0]
    return bytes(elf[start:bytes(elf).index(b'\0', start)]).decode()
text = next(i for i in range(shnum) if sname(i) == 'tc')
# r0 = *(u64 *)(r9 + 0): r9 was never written; the verifier refuses the program.
struct.pack_into('<BBhi', elf, sh(text)[4], 0x79, 0x90, 0, 0)
off, size = sections['meta/info']
info = bytes(data[off:off + size])
start = info.index(b'\nrevision=') + 10
data[off + start:off + start + 16] = b'00000000deadbeef'
open(sys.argv[2], 'wb').write(data)
PY
set +e
out=$(load "$NT_TMP/rejected.polc" 2>&1); rc=$?
set -e
[[ $rc == 3 && $out == *"verifier rejected"* ]] && ok "refused (exit 3): $(grep -m1 'verifier rejected' <<<"$out")" || bad "rc=$rc: $out"
[[ $(enforcing) == A ]] && ok "policy A still enforcing" || bad "after the rejection: $(enforcing)"
tidy && ok "nothing left behind" || bad "leftovers in $PIN"

echo "-- an artifact naming an interface that does not exist"
sed 's/^items:$/items:\n- {apiVersion: v1, kind: Pod, metadata: {name: ghost, namespace: x, annotations: {polc.io\/interface: nosuch9}}, status: {podIP: 198.19.9.9}}/' \
	"$NT_TMP/inventory.yaml" >"$NT_TMP/inventory-ghost.yaml"
"$POLC" compile -o "$NT_TMP/ghost.polc" "$NT_TMP/inventory-ghost.yaml" "$NT_TMP/b.yaml"
set +e
out=$(load "$NT_TMP/ghost.polc" 2>&1); rc=$?
set -e
[[ $rc == 3 && $out == *nosuch9* ]] && ok "refused (exit 3): $out" || bad "rc=$rc: $out"
[[ $(enforcing) == A ]] && ok "policy A still enforcing" || bad "after the missing interface: $(enforcing)"

# kill_points CMD...: "syscall index what" for every state-changing syscall CMD makes (a dry run),
# thinned to every POLC_FAULTS_STRIDE-th point (default 3; 1 = all) plus the
# first point of every kind of call, so each phase is still killed at least once.
kill_points() {
	nt_in "$NT_NODE" strace -f -qq -e trace=bpf,rename,unlink,mkdir,rmdir -o "$NT_TMP/trace" "$@" >/dev/null 2>&1
	awk '{
		sc = $2; sub(/\(.*/, "", sc)
		what = sc
		if (sc == "bpf") { what = $2; sub(/^bpf\(/, "", what); sub(/,.*/, "", what) }
		n[sc]++
		i++
		if (!seen[what]++ || i % stride == 0)
			print sc, n[sc], what
	}' stride="${POLC_FAULTS_STRIDE:-3}" "$NT_TMP/trace"
}
killed_run() { # SYSCALL N CMD...: run CMD killed before its Nth SYSCALL
	local sc=$1 n=$2
	shift 2
	nt_in "$NT_NODE" strace -f -qq -o /dev/null -e trace="$sc" -e inject="$sc":signal=KILL:when="$n" "$@" >/dev/null 2>&1 || true
}

echo "-- polc load (swap A -> B) killed before each of its syscalls"
load "$NT_TMP/b.polc" >/dev/null
load "$NT_TMP/a.polc" >/dev/null
mapfile -t points < <(kill_points "$POLC" load --pin-dir "$PIN" "$NT_TMP/b.polc")
load "$NT_TMP/a.polc" >/dev/null
declare -A outcome phases
kills=0
for p in "${points[@]}"; do
	read -r sc n what <<<"$p"
	phases[$what]=1
	killed_run "$sc" "$n" "$POLC" load --pin-dir "$PIN" "$NT_TMP/b.polc"
	kills=$((kills + 1))
	now=$(enforcing)
	outcome[$now]=$((${outcome[$now]:-0} + 1))
	case $now in
	A | B) ;;
	*) bad "killed before $sc #$n ($what): traffic shows $now" ;;
	esac
	status=$(nt_polc status --pin-dir "$PIN" 2>&1) || bad "killed before $sc #$n ($what): polc status fails: $status"
	out=$(load "$NT_TMP/a.polc" 2>&1) || bad "killed before $sc #$n ($what): the next load fails: $out"
	tidy || bad "killed before $sc #$n ($what): the next load left $(find "$PIN/gen" "$PIN/staging" -mindepth 1 -maxdepth 1 | tr '\n' ' ')"
	# (Traffic after the repair every 8th time: the probes are what makes this test long.)
	((kills % 8)) || [[ $(enforcing) == A ]] || bad "killed before $sc #$n ($what): A does not enforce after the repair"
done
ok "$kills kill points: the old policy enforced after ${outcome[A]:-0}, the complete new one after ${outcome[B]:-0}, a mix after 0"
echo "        (killed before: $(printf '%s\n' "${!phases[@]}" | sort | tr '\n' ' '))"

echo "-- polc endpoint add killed before each of its syscalls"
mapfile -t points < <(kill_points "$POLC" endpoint add --pin-dir "$PIN" x/admin --label role=admin \
	--ip "$(nt_ip x/admin 4)" --interface "$(nt_ifname x/admin)")
nt_polc endpoint del --pin-dir "$PIN" x/admin >/dev/null
unset outcome
declare -A outcome
kills=0
for p in "${points[@]}"; do
	read -r sc n what <<<"$p"
	killed_run "$sc" "$n" "$POLC" endpoint add --pin-dir "$PIN" x/admin --label role=admin \
		--ip "$(nt_ip x/admin 4)" --interface "$(nt_ifname x/admin)"
	kills=$((kills + 1))
	enforcing >"$NT_TMP/client-view" &   # both probes at once
	now=$(admin_reach)
	wait $!
	outcome[$now]=$((${outcome[$now]:-0} + 1))
	[[ $(cat "$NT_TMP/client-view") == A ]] || bad "endpoint add killed before $sc #$n ($what): the client's access changed"
	# The next change finishes or undoes it: upsert is the agent's "make it so".
	out=$(nt_polc endpoint upsert --pin-dir "$PIN" x/admin --label role=admin --ip "$(nt_ip x/admin 4)" \
		--interface "$(nt_ifname x/admin)" 2>&1) || bad "after a kill before $sc #$n ($what): upsert fails: $out"
	[[ $(admin_reach) == yes ]] || bad "after a kill before $sc #$n ($what) and an upsert: admin has no access"
	out=$(nt_polc endpoint del --pin-dir "$PIN" x/admin 2>&1) || bad "after a kill before $sc #$n: del fails: $out"
	((kills % 4)) || [[ $(admin_reach) == no ]] || bad "after a kill before $sc #$n ($what) and a delete: admin still has access"
done
ok "$kills kill points: admin's access already granted after ${outcome[yes]:-0}, not yet after ${outcome[no]:-0}; each repaired by the next change"
st=$(nt_polc status --pin-dir "$PIN")
[[ $st != *PENDING* ]] && ok "no change left pending" || bad "$st"

exit $fail
