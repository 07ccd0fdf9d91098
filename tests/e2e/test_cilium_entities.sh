#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Cilium entities on real traffic: world, cluster and host, with the node
# namespace itself as the host (an address on its bridge and a Node object
# whose podCIDRs cover the pods). An address of the pod CIDR that no known
# pod has is in the cluster (unmanaged), not in the world.
#   s-cluster   fromEntities [cluster]   pods, the host, unmanaged: yes; world: no
#   s-world     fromEntities [world]     world: yes; pods, unmanaged: no
#   s-hostdeny  fromEntities [all] + ingressDeny [host]
#   s-host      fromEntities [host]
#   to-host     egress toEntities [host] (and the host may reach it back)
#   to-api      egress toEntities [kube-apiserver]: the API server's addresses
#               (Endpoints default/kubernetes): an external host, which stays
#               world to world rules, and the node, which stays the host
# The local host reaches every local pod, as Kubernetes requires and
# Cilium does by default (--allow-localhost), unless a deny says otherwise;
# the Node annotation polc.io/allow-localhost: "policy" makes the host a
# peer like any other, which a swap to a second compile shows.
set -euo pipefail
# shellcheck source=tests/e2e/cilium_lib.sh
source "$(dirname "$0")/cilium_lib.sh"

nt_setup cil-entities
cil_node_up
for s in s-cluster s-world s-hostdeny s-host; do
	nt_add_pod "x/$s" --labels "app=$s"
done
nt_add_pod x/client --labels role=client
nt_add_pod x/to-host --labels role=to-host
nt_add_pod x/to-api --labels role=to-api
nt_add_pod ext/world --external --v4 198.19.0.10 --v6 fd00:198:19::10
nt_add_pod ext/unmanaged --external --v4 198.18.0.200 --v6 fd00:198:18::c8
nt_add_pod ext/apiserver --external --v4 198.19.0.20 --v6 fd00:198:19::20
for s in s-cluster s-world s-hostdeny s-host; do
	nt_serve "x/$s" -t 80 -u 80
done
nt_serve ext/world -t 80
nt_serve ext/apiserver -t 80
cil_serve_node -t 80 -4

nt_inventory >"$NT_TMP/inventory.yaml"
cat >"$NT_TMP/policies.yaml" <<'EOF'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cluster, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: s-cluster}}
  ingress: [{fromEntities: [cluster]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: world, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: s-world}}
  ingress: [{fromEntities: [world]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: hostdeny, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: s-hostdeny}}
  ingress: [{fromEntities: [all]}]
  ingressDeny: [{fromEntities: [host]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: host, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: s-host}}
  ingress: [{fromEntities: [host]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: to-host, namespace: x}
spec:
  endpointSelector: {matchLabels: {role: to-host}}
  egress: [{toEntities: [host]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: to-api, namespace: x}
spec:
  endpointSelector: {matchLabels: {role: to-api}}
  egress: [{toEntities: [kube-apiserver]}]
EOF
# The API server's backends: the external host and the node itself.
cat >"$NT_TMP/apiserver.yaml" <<EOF
apiVersion: v1
kind: Endpoints
metadata: {name: kubernetes, namespace: default}
subsets:
- addresses: [{ip: 198.19.0.20}, {ip: "fd00:198:19::20"}, {ip: $CIL_NODE_V4}]
  ports: [{name: https, port: 443, protocol: TCP}]
EOF
cil_node_yaml >"$NT_TMP/node.yaml"
cil_load always "$NT_TMP/inventory.yaml" "$NT_TMP/node.yaml" "$NT_TMP/apiserver.yaml" "$NT_TMP/policies.yaml"

t() { nt_target "$@"; }
node80="$CIL_NODE_V4:80/tcp"
# cluster: pods, the host and the pod CIDR's unknown addresses; not the world
cil_expect x/client ok "$(t x/s-cluster 80 tcp 4)" "$(t x/s-cluster 80 tcp 6)"
cil_expect ext/unmanaged ok "$(t x/s-cluster 80 tcp 4)" "$(t x/s-cluster 80 tcp 6)"
cil_expect node ok "$(t x/s-cluster 80 tcp 4)"
cil_expect ext/world blocked "$(t x/s-cluster 80 tcp 4)" "$(t x/s-cluster 80 tcp 6)"
# world: outside the cluster only
cil_expect ext/world ok "$(t x/s-world 80 tcp 4)" "$(t x/s-world 80 tcp 6)"
cil_expect x/client blocked "$(t x/s-world 80 tcp 4)" "$(t x/s-world 80 tcp 6)"
cil_expect ext/unmanaged blocked "$(t x/s-world 80 tcp 4)" "$(t x/s-world 80 tcp 6)"
# the local host may always reach local pods...
cil_expect node ok "$(t x/s-world 80 tcp 4)" "$(t x/s-host 80 tcp 4)"
# ... unless a deny says otherwise
cil_expect node blocked "$(t x/s-hostdeny 80 tcp 4)"
cil_expect x/client ok "$(t x/s-hostdeny 80 tcp 4)"
cil_expect x/client blocked "$(t x/s-host 80 tcp 4)"
# egress to the host entity
cil_expect x/to-host ok "$node80"
cil_expect x/to-host blocked "$(t x/s-cluster 80 tcp 4)" "$(t ext/world 80 tcp 4)" "$(t ext/apiserver 80 tcp 4)"
# kube-apiserver: the API server's addresses, external or the node; no other world address
cil_expect x/to-api ok "$(t ext/apiserver 80 tcp 4)" "$(t ext/apiserver 80 tcp 6)" "$node80"
cil_expect x/to-api blocked "$(t ext/world 80 tcp 4)" "$(t ext/world 80 tcp 6)" "$(t x/s-cluster 80 tcp 4)"
# an external API server is still world, and so not cluster
cil_expect ext/apiserver ok "$(t x/s-world 80 tcp 4)" "$(t x/s-world 80 tcp 6)"
cil_expect ext/apiserver blocked "$(t x/s-cluster 80 tcp 4)" "$(t x/s-cluster 80 tcp 6)"

# The host as a peer like any other: only fromEntities [host] (or cluster) lets it in.
cil_node_yaml polc.io/allow-localhost=policy >"$NT_TMP/node.yaml"
cil_load policy "$NT_TMP/inventory.yaml" "$NT_TMP/node.yaml" "$NT_TMP/apiserver.yaml" "$NT_TMP/policies.yaml"
cil_expect node blocked "$(t x/s-world 80 tcp 4)" "$(t x/s-hostdeny 80 tcp 4)"
cil_expect node ok "$(t x/s-host 80 tcp 4)" "$(t x/s-cluster 80 tcp 4)"
cil_expect x/client blocked "$(t x/s-host 80 tcp 4)"
cil_done
