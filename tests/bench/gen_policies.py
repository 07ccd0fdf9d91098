#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Generate a benchmark policy set of N rules (deterministic).

Every policy selects one local endpoint, bench/target (interface bench0),
so all N rules land in the policy that the measured packets go through.
The rules rotate through five kinds, so every size uses the same
matchers and the same prefix lengths (/16, /24, /28, /32): what changes
between sizes is only how many rules there are.

  0  ingress from pods app=app-K in namespaces team=T, TCP port P
  1  ingress from ipBlock 10.A.B.0/24 except 10.A.B.128/28, TCP 2000-2100
  2  ingress from ipBlock 172.(16+A).B.0/24, UDP port P; the first 16
     of them also from the /16 around it (a wide prefix expands to every
     class nested in it, so real sets have few: so does this one)
  3  ingress from a /32 (203.0.113-ish), SCTP port P
  4  ingress from pods app=app-K (same namespace), TCP range P..P+9

usage: gen_policies.py N OUTDIR
"""
import os
import sys

RULES_PER_POLICY = 50
NAMESPACES = 20
APPS = 50


def inventory():
    out = []
    for t in range(NAMESPACES):
        out.append(f"""apiVersion: v1
kind: Namespace
metadata:
  name: team-{t:02d}
  labels: {{team: t{t:02d}}}
""")
    out.append("""apiVersion: v1
kind: Namespace
metadata:
  name: bench
  labels: {team: bench}
""")
    n = 0
    for t in range(NAMESPACES):
        for k in range(10):
            app = (t * 10 + k) % APPS
            n += 1
            out.append(f"""apiVersion: v1
kind: Pod
metadata:
  name: pod-{t:02d}-{k}
  namespace: team-{t:02d}
  labels: {{app: app-{app:02d}}}
spec:
  containers:
  - name: c
    ports:
    - {{name: web, containerPort: 8080, protocol: TCP}}
status:
  podIP: 198.18.{1 + t}.{10 + k}
  podIPs:
  - ip: 198.18.{1 + t}.{10 + k}
""")
    out.append("""apiVersion: v1
kind: Pod
metadata:
  name: target
  namespace: bench
  labels: {app: target}
  annotations: {polc.io/interface: bench0}
spec:
  containers:
  - name: c
status:
  podIP: 198.18.100.1
  podIPs:
  - ip: 198.18.100.1
""")
    return "---\n".join(out)


def rule(i):
    kind = i % 5
    port = 1000 + (i * 7) % 5000
    a, b = (i // 256) % 200, i % 256
    if kind == 0:
        return f"""  - from:
    - podSelector:
        matchLabels: {{app: app-{i % APPS:02d}}}
      namespaceSelector:
        matchLabels: {{team: t{i % NAMESPACES:02d}}}
    ports:
    - {{protocol: TCP, port: {port}}}
"""
    if kind == 1:
        return f"""  - from:
    - ipBlock:
        cidr: 10.{a}.{b}.0/24
        except: [10.{a}.{b}.128/28]
    ports:
    - {{protocol: TCP, port: 2000, endPort: 2100}}
"""
    if kind == 2:
        wide = f"""
    - ipBlock: {{cidr: 172.{16 + i // 5 % 16}.0.0/16}}""" if i < 80 else ""
        return f"""  - from:
    - ipBlock: {{cidr: 172.{16 + a % 16}.{b}.0/24}}{wide}
    ports:
    - {{protocol: UDP, port: {port}}}
"""
    if kind == 3:
        return f"""  - from:
    - ipBlock: {{cidr: 100.{64 + a % 64}.{b}.{1 + i % 250}/32}}
    ports:
    - {{protocol: SCTP, port: {port}}}
"""
    return f"""  - from:
    - podSelector:
        matchLabels: {{app: app-{i % APPS:02d}}}
    ports:
    - {{protocol: TCP, port: {port}, endPort: {port + 9}}}
"""


def policies(n):
    docs = []
    for p in range((n + RULES_PER_POLICY - 1) // RULES_PER_POLICY):
        lo, hi = p * RULES_PER_POLICY, min(n, (p + 1) * RULES_PER_POLICY)
        body = "".join(rule(i) for i in range(lo, hi))
        docs.append(f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: bench-{p:05d}
  namespace: bench
spec:
  podSelector:
    matchLabels: {{app: target}}
  policyTypes: [Ingress]
  ingress:
{body}""")
    return docs


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "inventory.yaml"), "w") as f:
        f.write(inventory())
    docs = policies(n)
    per_file = 150  # about 1 MB a file: the size of objects the API server takes
    for i in range(0, len(docs), per_file):
        with open(os.path.join(out, f"policies-{i // per_file:03d}.yaml"), "w") as f:
            f.write("---\n".join(docs[i:i + per_file]))


if __name__ == "__main__":
    main()
