#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Cilium icmps on real traffic (ping: an echo request, type 8 / ICMPv6
# 128; its reply passes as the reply of an allowed flow):
#   p-v4only   ingress icmps EchoRequest IPv4 from role=pinger: ping ok, ping6 not
#   p-denied   ingress all + ingressDeny icmps type 8: ping dropped, ping6 and TCP ok
#   p-reply    ingress icmps EchoReply (type 0): a request is not a reply: dropped
#   pinger6    egress icmps EchoRequest IPv6 only: ping6 out ok, ping out dropped
set -euo pipefail
# shellcheck source=tests/e2e/cilium_lib.sh
source "$(dirname "$0")/cilium_lib.sh"

nt_setup cil-icmp
for s in p-v4only p-denied p-reply p-open; do
	nt_add_pod "x/$s" --labels "app=$s"
done
nt_add_pod x/pinger --labels role=pinger
nt_add_pod x/pinger6 --labels role=pinger6
nt_add_pod x/other --labels role=other
nt_serve x/p-denied -t 80

nt_inventory >"$NT_TMP/inventory.yaml"
cat >"$NT_TMP/policies.yaml" <<'EOF'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: v4only, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: p-v4only}}
  ingress:
  - fromEndpoints: [{matchLabels: {role: pinger}}]
    icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: denied, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: p-denied}}
  ingress: [{fromEntities: [all]}]
  ingressDeny:
  - icmps: [{fields: [{type: 8}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: reply, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: p-reply}}
  ingress:
  - icmps: [{fields: [{type: EchoReply}, {type: EchoReply, family: IPv6}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: pinger6, namespace: x}
spec:
  endpointSelector: {matchLabels: {role: pinger6}}
  egress:
  - icmps: [{fields: [{type: EchoRequest, family: IPv6}]}]
EOF
cil_load icmp "$NT_TMP/inventory.yaml" "$NT_TMP/policies.yaml"

ip4() { nt_ip "$1" 4; }
ip6() { nt_ip "$1" 6; }
cil_ping x/pinger ok 4 "$(ip4 x/p-v4only)"
cil_ping x/pinger blocked 6 "$(ip6 x/p-v4only)"
cil_ping x/other blocked 4 "$(ip4 x/p-v4only)"
cil_ping x/pinger blocked 4 "$(ip4 x/p-denied)"
cil_ping x/pinger ok 6 "$(ip6 x/p-denied)"
cil_expect x/pinger ok "$(nt_target x/p-denied 80 tcp 4)"
cil_ping x/pinger blocked 4 "$(ip4 x/p-reply)"
cil_ping x/pinger blocked 6 "$(ip6 x/p-reply)"
cil_ping x/pinger6 ok 6 "$(ip6 x/p-open)"
cil_ping x/pinger6 blocked 4 "$(ip4 x/p-open)"
cil_ping x/pinger ok 4 "$(ip4 x/p-open)"
cil_done
