#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# A Cilium deny wins over any allow, from any policy kind: a Kubernetes
# NetworkPolicy and a CiliumNetworkPolicy select the same pods; the
# NetworkPolicy allows, the CNP denies part of it (ingress and egress),
# and the rest of the NetworkPolicy's allows still hold. IPv4 and IPv6.
set -euo pipefail
# shellcheck source=tests/e2e/cilium_lib.sh
source "$(dirname "$0")/cilium_lib.sh"

nt_setup cil-denynp
nt_add_pod x/web --labels app=web
nt_add_pod x/client --labels role=client
nt_add_pod x/canary --labels role=client,tier=canary
nt_add_pod x/other --labels role=other
nt_add_pod ext/a --external --v4 198.19.0.10 --v6 fd00:198:19::10
nt_add_pod ext/b --external --v4 198.19.0.11 --v6 fd00:198:19::11
nt_serve x/web -t 80,81
nt_serve ext/a -t 80
nt_serve ext/b -t 80

nt_inventory >"$NT_TMP/inventory.yaml"
cat >"$NT_TMP/policies.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-clients, namespace: x}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {role: client}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: clients-out, namespace: x}
spec:
  podSelector: {matchLabels: {role: client}}
  policyTypes: [Egress]
  egress: [{}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: no-canary-on-80, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingressDeny:
  - fromEndpoints: [{matchLabels: {tier: canary}}]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: canary-not-to-a, namespace: x}
spec:
  endpointSelector: {matchLabels: {tier: canary}}
  egressDeny:
  - toCIDR: [198.19.0.10/32, "fd00:198:19::10/128"]
EOF
cil_load denynp "$NT_TMP/inventory.yaml" "$NT_TMP/policies.yaml"

t() { nt_target "$@"; }
for f in 4 6; do
	# The NetworkPolicy's allow holds where no deny applies...
	cil_expect x/client ok "$(t x/web 80 tcp $f)" "$(t x/web 81 tcp $f)"
	cil_expect x/canary ok "$(t x/web 81 tcp $f)"
	cil_expect x/other blocked "$(t x/web 80 tcp $f)"
	# ... and the CNP's deny beats it.
	cil_expect x/canary blocked "$(t x/web 80 tcp $f)"
	# Egress: the NetworkPolicy allows everything, the CNP denies one address.
	cil_expect x/client ok "$(t ext/a 80 tcp $f)"
	cil_expect x/canary ok "$(t ext/b 80 tcp $f)"
	cil_expect x/canary blocked "$(t ext/a 80 tcp $f)"
done
cil_done
