#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# A C node agent (tests/agent/agent_demo.c) built against `make install
# DESTDIR=...` through pkg-config, shared and static, drives the whole cycle
# on real traffic: load, add endpoints, read events, swap, counters, unload.
set -euo pipefail
source "$(dirname "$0")/../lib/netns.sh"
nt_setup agentdemo
command -v pkg-config >/dev/null || nt_skip "pkg-config missing"

dest=$NT_TMP/dest
echo "-- make install DESTDIR=$dest PREFIX=/usr"
make -C "$REPO" --no-print-directory -s install DESTDIR="$dest" PREFIX=/usr BUILD="$BUILD_DIR" >"$NT_TMP/install.log" 2>&1 ||
	{ cat "$NT_TMP/install.log"; exit 1; }
"$REPO/tests/lib/check-exports.sh" "$dest/usr/include/polc" "$REPO/runtime/libpolc.map" \
	"$dest/usr/lib/libpolc.so.0" "$dest/usr/lib/libpolc.a"
[[ -f $dest/usr/share/man/man8/polc-endpoint.8 && -f $dest/usr/share/man/man3/libpolc.3 ]]

pc() { PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig pkg-config --define-variable=prefix="$dest/usr" "$@" libpolc; }
echo "-- build with pkg-config: $(pc --cflags --libs)"
# shellcheck disable=SC2046
cc -std=c17 -Wall -Wextra -Werror -o "$NT_TMP/agent" "$REPO/tests/agent/agent_demo.c" $(pc --cflags --libs)
# Static: the archive and what pkg-config --static says it needs.
# shellcheck disable=SC2046
cc -std=c17 -Wall -Wextra -Werror -o "$NT_TMP/agent-static" "$REPO/tests/agent/agent_demo.c" $(pc --cflags) \
	"$dest/usr/lib/libpolc.a" $(pc --static --libs | sed 's/-lpolc\b//')
# (Captured, not piped into grep -q: with pipefail, ldd's SIGPIPE would fail the check.)
deps=$(ldd "$NT_TMP/agent-static")
[[ $deps != *libpolc* ]] || { echo "FAIL the static agent needs libpolc.so: $deps"; exit 1; }
deps=$(LD_LIBRARY_PATH=$dest/usr/lib ldd "$NT_TMP/agent")
[[ $deps == *"libpolc.so.0 => $dest/usr/lib"* ]] || { echo "FAIL the agent does not use the installed libpolc: $deps"; exit 1; }

nt_add_pod x/web --labels app=web
nt_add_pod x/client --labels app=client
nt_add_pod x/admin --external
nt_serve x/web -t 80,81
nt_inventory >"$NT_TMP/inventory.yaml"
cat >"$NT_TMP/p1.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: x}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 80}]
  - from: [{podSelector: {matchLabels: {role: admin}}}]
EOF
cat >"$NT_TMP/p2.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-81-only, namespace: x}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 81}]
EOF
"$POLC" compile -o "$NT_TMP/p1.polc" "$NT_TMP/inventory.yaml" "$NT_TMP/p1.yaml"
"$POLC" compile -o "$NT_TMP/p2.polc" "$NT_TMP/inventory.yaml" "$NT_TMP/p2.yaml"
nt_on_cleanup "[[ ! -e '$NT_PIN_DIR' ]] || nt_polc unload --pin-dir '$NT_PIN_DIR'"

web80=$(nt_target x/web 80 tcp 4)
web81=$(nt_target x/web 81 tcp 6)
admin="x/admin=$(nt_ifname x/admin),$(nt_ip x/admin 4),$(nt_ip x/admin 6),role=admin"

echo "-- the agent"
coproc AGENT { LD_LIBRARY_PATH=$dest/usr/lib nt_in "$NT_NODE" "$NT_TMP/agent" "$NT_PIN_DIR" \
	"$NT_TMP/p1.polc" "$NT_TMP/p2.polc" "$admin" 2>&1; }
agent_pid=$AGENT_PID
# Our own copies: bash forgets the coproc's fds as soon as it exits.
exec {from_agent}<&"${AGENT[0]}" {to_agent}>&"${AGENT[1]}"
nt_on_cleanup "kill $agent_pid 2>/dev/null || true"
fail=0
# until STEP: copy the agent's lines until "READY STEP" (bounded by the agent's own timeouts)
until_ready() {
	local line
	while IFS= read -r -t 60 line <&"$from_agent"; do
		echo "$line"
		[[ $line == "READY $1" ]] && return 0
	done
	echo "no READY $1 from the agent"
	return 1
}
probe() { # ok|blocked FROM TARGET
	if [[ $1 == ok ]]; then nt_probe "$2" "$3" >/dev/null || { echo "  FAIL $2 -> $3 should pass"; fail=1; }
	else ! nt_probe "$2" -w 300 "$3" >/dev/null || { echo "  FAIL $2 -> $3 should be blocked"; fail=1; }; fi
}
until_ready traffic-1
probe ok x/client "$web80"
probe blocked x/client "$web81"
probe ok x/admin "$web80"     # added by the agent, without clang
echo go >&"$to_agent"
until_ready traffic-2
probe blocked x/client "$web80"
probe ok x/client "$web81"
probe blocked x/admin "$web80"   # the swap replaced the agent's changes: admin is unknown again
echo go >&"$to_agent"
while IFS= read -r -t 60 line <&"$from_agent"; do echo "$line"; done
wait "$agent_pid" || fail=1
[[ ! -e $NT_PIN_DIR ]] || { echo "FAIL pin dir left"; fail=1; }

echo "-- the static build runs too"
out=$(LD_LIBRARY_PATH='' nt_in "$NT_NODE" "$NT_TMP/agent-static" 2>&1 || true)
[[ $out == *"usage: agent_demo"* ]] || { echo "FAIL static agent: $out"; fail=1; }
exit $fail
