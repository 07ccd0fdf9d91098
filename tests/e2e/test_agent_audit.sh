#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Audit mode (polc.io/audit: "true" on a policy, or on a pod) drops nothing
# and reports, as AUDIT events naming the policy, what it would have dropped;
# an enforcing policy next to it still drops. Real traffic, polc monitor.
set -euo pipefail
source "$(dirname "$0")/../lib/netns.sh"
nt_setup agentaudit

nt_add_pod x/web --labels app=web
nt_add_pod x/db --labels app=db
nt_add_pod x/client --labels app=client
nt_serve x/web -t 80,81 -u 53
nt_serve x/db -t 5432,5433
nt_inventory >"$NT_TMP/inventory.yaml"
cat >"$NT_TMP/policy.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-in
  namespace: x
  annotations: {polc.io/audit: "true"}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-in, namespace: x}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
EOF2
"$POLC" compile -o "$NT_TMP/p.polc" "$NT_TMP/inventory.yaml" "$NT_TMP/policy.yaml"
nt_on_cleanup "[[ ! -e '$NT_PIN_DIR' ]] || nt_polc unload --pin-dir '$NT_PIN_DIR'"
nt_polc load --pin-dir "$NT_PIN_DIR" "$NT_TMP/p.polc"
nsenter --net="/run/netns/$NT_NODE" -- "$POLC" monitor --pin-dir "$NT_PIN_DIR" --json --drops >"$NT_TMP/events" &
mon=$!
NT_PIDS+=("$mon")
sleep 0.3

fail=0
check() { if "$@"; then echo "  ok    ${*: -1}"; else echo "  FAIL  $*"; fail=1; fi; }
reach() { nt_probe "$1" -w 400 "$2" >/dev/null; }
blocked() { ! nt_probe "$1" -w 300 "$2" >/dev/null; }
echo "-- web-in is audited: nothing to web is dropped"
check reach x/client "$(nt_target x/web 80 tcp 4)"
check reach x/client "$(nt_target x/web 81 tcp 4)"
check reach x/client "$(nt_target x/web 81 tcp 6)"
check reach x/db "$(nt_target x/web 80 tcp 4)"
check reach x/client "$(nt_target x/web 53 udp 4)"
echo "-- db-in enforces beside it"
check reach x/web "$(nt_target x/db 5432 tcp 4)"
check blocked x/web "$(nt_target x/db 5433 tcp 4)"
check blocked x/client "$(nt_target x/db 5432 tcp 4)"
sleep 0.5
kill -TERM "$mon"
wait "$mon" || true

echo "-- events"
audit=$(grep -c '"verdict":"AUDIT"' "$NT_TMP/events" || true)
dropped=$(grep -c '"verdict":"DROPPED"' "$NT_TMP/events" || true)
echo "  $audit AUDIT, $dropped DROPPED"
# What web-in would have dropped: client -> web:81 (v4 and v6), db -> web:80, client -> web:53/udp.
/usr/bin/python3 - "$NT_TMP/events" <<'PY' || fail=1
import json, sys
flows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def find(verdict, src, dst, port, proto='TCP', v='IPv4'):
    for f in flows:
        l4 = f.get('l4', {}).get(proto, {})
        if (f['verdict'] == verdict and f['source'].get('pod_name') == src and f['destination'].get('pod_name') == dst
                and l4.get('destination_port') == port and f['IP']['ipVersion'] == v):
            return f
want = [('AUDIT', 'client', 'web', 81, 'TCP', 'IPv4'), ('AUDIT', 'client', 'web', 81, 'TCP', 'IPv6'),
        ('AUDIT', 'db', 'web', 80, 'TCP', 'IPv4'), ('AUDIT', 'client', 'web', 53, 'UDP', 'IPv4'),
        ('DROPPED', 'web', 'db', 5433, 'TCP', 'IPv4'), ('DROPPED', 'client', 'db', 5432, 'TCP', 'IPv4')]
bad = 0
for w in want:
    f = find(*w)
    if not f:
        print('  FAIL  no %s event %s -> %s:%d/%s %s' % w); bad = 1; continue
    ok = f['drop_reason_desc'] == 'POLICY_DENIED' and f['traffic_direction'] == 'INGRESS'
    print('  %s  %s %s/%s -> %s/%s:%d %s %s' % ('ok   ' if ok else 'FAIL ', f['verdict'], f['source']['namespace'],
          w[1], f['destination']['namespace'], w[2], w[3], w[4], f['drop_reason_desc']))
    bad |= not ok
# Nothing audited was dropped, and the client's allowed flow is no audit event.
if find('AUDIT', 'client', 'web', 80) or find('DROPPED', 'client', 'web', 81):
    print('  FAIL  an allowed flow was reported, or an audited one dropped'); bad = 1
sys.exit(bad)
PY
nt_polc status --pin-dir "$NT_PIN_DIR" | sed -n '/^endpoints:/,$p'
exit $fail
