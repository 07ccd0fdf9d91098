# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# NetworkPolicy -> CiliumNetworkPolicy with the same meaning, for
# `run.py --as-cilium`: the conformance cases re-expressed in Cilium's
# language must give the same matrices. The translation is the one a
# Cilium user would write by hand; where the two languages genuinely
# differ it says so (a note in the case's report) instead of hiding it:
#
#   podSelector              endpointSelector / fromEndpoints (Cilium adds the
#                            policy's namespace, as Kubernetes does)
#   namespaceSelector        io.cilium.k8s.namespace.labels.<key> requirements plus
#                            k8s:io.kubernetes.pod.namespace Exists (pods only,
#                            in any namespace; no reserved identity)
#   no peers / empty list    fromEntities/toEntities: [all]
#   ipBlock                  fromCIDRSet/toCIDRSet {cidr, except}. Kubernetes
#                            matches pod addresses inside an ipBlock; Cilium CIDR
#                            rules never match endpoints. The pods an ipBlock
#                            covers are therefore also selected explicitly
#                            (namespace and labels), with a note naming them.
#   ports                    toPorts ports: protocol explicit (Kubernetes defaults
#                            to TCP, Cilium to ANY), no port is "0", names kept
#   policyTypes              a direction listed is enforced: its rules, or [{}]
#                            (switches default deny on, allows nothing); a
#                            direction not listed is left out (not enforced)
#   peers of several kinds   one entry per kind (Cilium allows one L3 kind per
#                            entry; entries are a union, as peers are)

import copy
import ipaddress

NS_KEY = "k8s:io.kubernetes.pod.namespace"
NS_LABELS = "k8s:io.cilium.k8s.namespace.labels."


class TranslationError(Exception):
    """A NetworkPolicy this translation cannot express faithfully."""


def _selector(ls, prefix):
    out = {}
    if not ls:
        return out
    if ls.get("matchLabels"):
        out["matchLabels"] = {prefix + k: str(v) for k, v in ls["matchLabels"].items()}
    if ls.get("matchExpressions"):
        out["matchExpressions"] = [dict(e, key=prefix + e["key"]) for e in ls["matchExpressions"]]
    return out


def _merge(a, b):
    for k in ("matchLabels", "matchExpressions"):
        if k in b:
            if k == "matchLabels":
                a.setdefault(k, {}).update(b[k])
            else:
                a.setdefault(k, []).extend(b[k])
    return a


def _peer_selector(peer):
    sel = {}
    if peer.get("podSelector") is not None:
        _merge(sel, _selector(peer["podSelector"], "k8s:"))
    if peer.get("namespaceSelector") is not None:
        _merge(sel, _selector(peer["namespaceSelector"], NS_LABELS))
        sel.setdefault("matchExpressions", []).append({"key": NS_KEY, "operator": "Exists"})
    return sel


def _ports(ports):
    out = []
    for p in ports or []:
        q = {"protocol": str(p.get("protocol") or "TCP")}
        port = p.get("port")
        q["port"] = "0" if port is None else str(port)
        if p.get("endPort") is not None:
            q["endPort"] = int(p["endPort"])
        out.append(q)
    return out


def _in_block(addr, block):
    net = ipaddress.ip_network(block["cidr"], strict=False)
    if addr.version != net.version or addr not in net:
        return False
    for e in block.get("except") or []:
        ex = ipaddress.ip_network(e, strict=False)
        if addr.version == ex.version and addr in ex:
            return False
    return True


def _matches(sel, ns, labels):
    """Does an exact pod selector (matchLabels only) pick this pod?"""
    for k, v in sel["matchLabels"].items():
        if k == NS_KEY:
            if ns != v:
                return False
        elif labels.get(k[len("k8s:"):]) != v:
            return False
    return True


def _pods_in_blocks(blocks, state, ips, fam, where, notes):
    """Exact selectors for the pods Kubernetes matches by address."""
    covered = [key for key in sorted(state["pods"])
               if any(_in_block(ipaddress.ip_address(ips[key][fam]), b) for b in blocks)]
    sels = []
    for key in covered:
        ns = key.split("/")[0]
        labels = state["pods"][key]["labels"]
        sel = {"matchLabels": {**{"k8s:" + k: str(v) for k, v in labels.items()}, NS_KEY: ns}}
        picks = [k for k in state["pods"] if _matches(sel, k.split("/")[0], state["pods"][k]["labels"])]
        if picks != [key]:
            raise TranslationError(f"{where}: pod {key} (inside an ipBlock) cannot be selected alone by its "
                                   f"labels: the selector also picks {sorted(set(picks) - {key})}")
        sels.append(sel)
    if covered:
        notes.append(f"{where}: ipBlock covers pod(s) {', '.join(covered)}: Cilium CIDR rules never match "
                     f"endpoints, so they are selected by namespace and labels as well")
    return sels


def _entries(rules, ingress, state, ips, fam, where, notes):
    peers_key = "from" if ingress else "to"
    ep_key = "fromEndpoints" if ingress else "toEndpoints"
    ent_key = "fromEntities" if ingress else "toEntities"
    cidr_key = "fromCIDRSet" if ingress else "toCIDRSet"
    out = []
    for i, rule in enumerate(rules):
        rule = rule or {}
        rwhere = f"{where}.{'ingress' if ingress else 'egress'}[{i}]"
        ports = _ports(rule.get("ports"))
        l4 = {"toPorts": [{"ports": ports}]} if ports else {}
        peers = rule.get(peers_key) or []
        if not peers:
            out.append({ent_key: ["all"], **l4})
            continue
        sels = [_peer_selector(p) for p in peers if p.get("ipBlock") is None]
        blocks = [p["ipBlock"] for p in peers if p.get("ipBlock") is not None]
        if sels:
            out.append({ep_key: sels, **copy.deepcopy(l4)})
        if blocks:
            cidrs = []
            for b in blocks:
                c = {"cidr": b["cidr"]}
                if b.get("except"):
                    c["except"] = list(b["except"])
                cidrs.append(c)
            out.append({cidr_key: cidrs, **copy.deepcopy(l4)})
            pods = _pods_in_blocks(blocks, state, ips, fam, rwhere, notes)
            if pods:
                out.append({ep_key: pods, **copy.deepcopy(l4)})
    return out


def translate(np, state, ips, fam, notes):
    """One NetworkPolicy -> one CiliumNetworkPolicy (other kinds unchanged)."""
    if np.get("kind") != "NetworkPolicy":
        return np
    md = np.get("metadata") or {}
    spec = np.get("spec") or {}
    where = f"{md.get('namespace', 'default')}/{md.get('name')}"
    types = spec.get("policyTypes")
    if not types:
        types = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    rule = {"endpointSelector": _selector(spec.get("podSelector") or {}, "k8s:")}
    for direction, key in (("Ingress", "ingress"), ("Egress", "egress")):
        if direction not in types:
            continue
        entries = _entries(spec.get(key) or [], key == "ingress", state, ips, fam, where, notes)
        rule[key] = entries or [{}]
    meta = {k: copy.deepcopy(md[k]) for k in ("name", "namespace", "labels", "annotations") if k in md}
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": meta, "spec": rule}


def translate_all(policies, state, ips, fam):
    """-> (policies, notes); raises TranslationError."""
    notes = []
    return [translate(p, state, ips, fam, notes) for p in policies], notes
