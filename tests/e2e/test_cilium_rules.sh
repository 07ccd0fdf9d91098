#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# CiliumNetworkPolicy rule kinds on real traffic, IPv4 and IPv6: for each,
# a flow Cilium allows and one it drops. One server pod per policy, all
# loaded at once:
#   srv-sel    fromEndpoints + toPorts 80/TCP      (selector, port, protocol)
#   srv-ns     fromEndpoints, L3 only               (scoped to the policy's namespace)
#   srv-ccnp   clusterwide fromEndpoints            (every namespace)
#   srv-nsl    fromEndpoints on namespace labels    (across namespaces)
#   srv-cidr   fromCIDRSet with except, fromCIDR    (never matches a pod)
#   srv-l4     toPorts only: 80/ANY, 8000-8001/TCP  (every peer; ANY is TCP+UDP+SCTP)
#   srv-named  toPorts http (a named port)
#   srv-deny   ingress all + ingressDeny role=bad 80
#   srv-dd     ingress: [{}]                        (default deny, nothing allowed)
#   srv-nodd   enableDefaultDeny false, + a deny    (no isolation; the deny still holds)
#   srv-raw    a bare rule list                     (no namespace scoping)
#   egresser   egress toEndpoints+toPorts, toCIDR   (egress default deny)
set -euo pipefail
# shellcheck source=tests/e2e/cilium_lib.sh
source "$(dirname "$0")/cilium_lib.sh"

nt_setup cil-rules
nt_ns_labels x team=red
nt_ns_labels y team=blue
for s in srv-sel srv-ns srv-ccnp srv-nsl srv-cidr srv-l4 srv-named srv-deny srv-dd srv-nodd; do
	nt_add_pod "x/$s" --labels "app=$s"
done
nt_add_pod x/srv-named-b --labels app=srv-named --ports http:8080/TCP
nt_add_pod y/srv-raw --labels app=srv-raw
nt_add_pod x/client --labels role=client
nt_add_pod y/client --labels role=client
nt_add_pod x/bad --labels role=bad
nt_add_pod x/egresser --labels role=client,egress=yes
nt_add_pod ext/in --external --v4 198.19.0.10 --v6 fd00:198:19::10
nt_add_pod ext/except --external --v4 198.19.0.200 --v6 fd00:198:19::c8

for p in srv-sel srv-ns srv-ccnp srv-nsl srv-cidr srv-deny srv-dd srv-nodd; do
	nt_serve "x/$p" -t 80,81 -u 80
done
nt_serve x/srv-l4 -t 80,81,8000,8001,8002 -u 80,81
nt_serve x/srv-named-b -t 80,8080
nt_serve y/srv-raw -t 80
nt_serve ext/in -t 80

nt_inventory >"$NT_TMP/inventory.yaml"
cat >"$NT_TMP/policies.yaml" <<'EOF'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: sel, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: srv-sel}}
  ingress:
  - fromEndpoints: [{matchLabels: {role: client}}]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: ns, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: srv-ns}}
  ingress:
  - fromEndpoints: [{matchLabels: {role: client}}]
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: ccnp}
spec:
  endpointSelector: {matchLabels: {app: srv-ccnp}}
  ingress:
  - fromEndpoints: [{matchLabels: {role: client}}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: nsl, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: srv-nsl}}
  ingress:
  - fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.team: blue}}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: cidr, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: srv-cidr}}
  ingress:
  - fromCIDRSet:
    - {cidr: 198.19.0.0/24, except: [198.19.0.128/25]}
    - {cidr: "fd00:198:19::/120", except: ["fd00:198:19::80/121"]}
  - fromCIDR: [198.18.0.0/16, "fd00:198:18::/64"]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: l4, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: srv-l4}}
  ingress:
  - toPorts:
    - ports:
      - {port: "80", protocol: ANY}
      - {port: "8000", endPort: 8001, protocol: TCP}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: named, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: srv-named}}
  ingress:
  - toPorts: [{ports: [{port: http, protocol: TCP}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: srv-deny}}
  ingress:
  - fromEntities: [all]
  ingressDeny:
  - fromEndpoints: [{matchLabels: {role: bad}}]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: dd, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: srv-dd}}
  ingress:
  - {}
  egress: []
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: nodd, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: srv-nodd}}
  enableDefaultDeny: {ingress: false}
  ingress:
  - fromEndpoints: [{matchLabels: {role: client}}]
  ingressDeny:
  - fromEndpoints: [{matchLabels: {role: bad}}]
    toPorts: [{ports: [{port: "81", protocol: TCP}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: egresser, namespace: x}
spec:
  endpointSelector: {matchLabels: {egress: "yes"}}
  egress:
  - toEndpoints: [{matchLabels: {app: srv-sel}}]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
  - toCIDR: [198.19.0.10/32, "fd00:198:19::10/128"]
EOF
# A bare rule list, as `cilium-dbg policy import` takes it: no namespace scoping.
cat >"$NT_TMP/raw.json" <<'EOF'
[{"labels": [{"key": "name", "value": "raw"}],
  "endpointSelector": {"matchLabels": {"app": "srv-raw"}},
  "ingress": [{"fromEndpoints": [{"matchLabels": {"role": "bad"}}]}]}]
EOF
cil_load rules "$NT_TMP/inventory.yaml" "$NT_TMP/policies.yaml" "$NT_TMP/raw.json"

t() { nt_target "$@"; }
for f in 4 6; do
	# selector + port + protocol
	cil_expect x/client ok "$(t x/srv-sel 80 tcp $f)"
	cil_expect x/client blocked "$(t x/srv-sel 81 tcp $f)" "$(t x/srv-sel 80 udp $f)"
	cil_expect x/bad blocked "$(t x/srv-sel 80 tcp $f)"
	# a CNP's peers live in its namespace; a CCNP's in any; namespace labels cross namespaces
	cil_expect x/client ok "$(t x/srv-ns 80 tcp $f)" "$(t x/srv-ns 81 tcp $f)" "$(t x/srv-ns 80 udp $f)"
	cil_expect y/client blocked "$(t x/srv-ns 80 tcp $f)"
	cil_expect y/client ok "$(t x/srv-ccnp 80 tcp $f)"
	cil_expect x/bad blocked "$(t x/srv-ccnp 80 tcp $f)"
	cil_expect y/client ok "$(t x/srv-nsl 80 tcp $f)"
	cil_expect x/client blocked "$(t x/srv-nsl 80 tcp $f)"
	# CIDR with except; a pod inside the CIDR is not matched (Cilium CIDR rules skip endpoints)
	cil_expect ext/in ok "$(t x/srv-cidr 80 tcp $f)"
	cil_expect ext/except blocked "$(t x/srv-cidr 80 tcp $f)"
	cil_expect x/client blocked "$(t x/srv-cidr 80 tcp $f)"
	# toPorts without L3: every peer; ANY is TCP and UDP; a range
	cil_expect x/bad ok "$(t x/srv-l4 80 tcp $f)" "$(t x/srv-l4 80 udp $f)" "$(t x/srv-l4 8000 tcp $f)" \
		"$(t x/srv-l4 8001 tcp $f)"
	cil_expect ext/in ok "$(t x/srv-l4 80 tcp $f)"
	cil_expect x/bad blocked "$(t x/srv-l4 81 tcp $f)" "$(t x/srv-l4 81 udp $f)" "$(t x/srv-l4 8002 tcp $f)"
	# a named port resolves at the destination
	cil_expect x/client ok "$(t x/srv-named-b 8080 tcp $f)"
	cil_expect x/client blocked "$(t x/srv-named-b 80 tcp $f)"
	# deny beats allow
	cil_expect x/client ok "$(t x/srv-deny 80 tcp $f)"
	cil_expect x/bad ok "$(t x/srv-deny 81 tcp $f)"
	cil_expect x/bad blocked "$(t x/srv-deny 80 tcp $f)"
	# ingress: [{}] switches default deny on; egress: [] does not
	cil_expect x/client blocked "$(t x/srv-dd 80 tcp $f)"
	cil_expect x/srv-dd ok "$(t ext/in 80 tcp $f)"
	# enableDefaultDeny false: nothing isolated, the deny holds
	cil_expect x/bad ok "$(t x/srv-nodd 80 tcp $f)"
	cil_expect x/bad blocked "$(t x/srv-nodd 81 tcp $f)"
	# a bare rule: fromEndpoints without namespace scoping
	cil_expect x/bad ok "$(t y/srv-raw 80 tcp $f)"
	cil_expect x/client blocked "$(t y/srv-raw 80 tcp $f)"
	# egress: toEndpoints with toPorts, toCIDR; the rest is default deny
	cil_expect x/egresser ok "$(t x/srv-sel 80 tcp $f)" "$(t ext/in 80 tcp $f)"
	cil_expect x/egresser blocked "$(t x/srv-ns 80 tcp $f)" "$(t x/srv-l4 80 tcp $f)"
done
cil_done
