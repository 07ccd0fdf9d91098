#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Kubernetes NetworkPolicy conformance on real traffic.
#
# Replays the data-driven cases of <shared>/conformance/k8s-netpol against
# polc: one topology with the nine pods of the upstream e2e model (namespaces
# x, y, z; pods a, b, c; every pod serving TCP and UDP 80 and 81, SCTP too
# when the kernel has it), dual-stack; then for each case, each family
# (IPv4, IPv6) and each step: write the inventory (with the step's model
# overrides) and the policies (placeholders filled for the family), `polc
# compile`, `polc load` in the node namespace, probe every ordered pair of
# distinct pods for each of the step's probes at once, and compare with the
# case's expectation. Nothing here knows policy semantics: the expectations
# come from the data.
#
#   run.py [--build DIR] [--polc PATH] [--shared DIR] [--case GLOB]...
#          [--family 4|6] [--deadline MS] [--keep] [--verbose]
#   run.py --as-cilium      the same cases with every NetworkPolicy re-expressed as a
#                           CiliumNetworkPolicy (np2cnp.py): the same matrices expected
#   run.py --no-policy      loads nothing, expects every cell reachable
#   run.py --self-check     proves drops at the hook are detected
#   run.py --list
#
# Exit: 0 all passed (data-declared skips allowed), 1 any failure (missing
# data, harness error, polc failure, wrong verdict), 77 the environment
# cannot run it (not root, ...) -- a failure when CI=true.

import argparse
import copy
import fnmatch
import hashlib
import ipaddress
import os
import re
import signal
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import np2cnp  # noqa: E402  (beside this file)

try:
    import yaml
except ImportError:  # pragma: no cover - Debian's python3-yaml is a dependency
    sys.stderr.write("run.py: needs python3-yaml (run with /usr/bin/python3; make deps)\n")
    sys.exit(1)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NETNS_SH = os.path.join(REPO, "tests", "lib", "netns.sh")
EXIT_SKIP = 77
IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.47"
NODE_NAME = "polc-node"
FAMILIES = (4, 6)
PROTO_LOWER = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}
# Source ports for probes rotate through this range (below the kernel's
# ephemeral range) so that no probe reuses the 5-tuple of an earlier one
# while its conntrack entry may still be alive.
SPORT_LO, SPORT_HI = 10000, 32000
POLC_TIMEOUT_S = 180
RETRY_DEADLINE_MS = 2000


class HarnessError(Exception):
    """Bad data or a broken environment: reported as a failure."""


class Skip(Exception):
    """The environment cannot run the suite (exit 77; a failure under CI)."""


def log(msg=""):
    print(msg, flush=True)


def ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


# ---- data ------------------------------------------------------------------


class K8sDumper(yaml.SafeDumper):
    """Quote what kubectl's YAML 1.1 reads as non-strings.

    PyYAML's resolver does not take y, Y, n, N for booleans; go-yaml v2
    (kubectl, the API server, polc) does: namespace "y" must be quoted or
    it becomes true.
    """


K8sDumper.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))


def load_yaml(path):
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise HarnessError(f"{path}: {e}")


class Model:
    """model.yaml: namespaces, pods (labels, named ports), probe order."""

    def __init__(self, path):
        d = load_yaml(path)
        if not isinstance(d, dict):
            raise HarnessError(f"{path}: not a mapping")
        self.namespaces = {}  # name -> labels (insertion order kept)
        for ns in d.get("namespaces") or []:
            self.namespaces[ns["name"]] = dict(ns.get("labels") or {})
        self.pods = {}  # "ns/pod" -> {"labels":..., "ports": [...]}
        for p in d.get("pods") or []:
            key = f"{p['namespace']}/{p['name']}"
            if p["namespace"] not in self.namespaces:
                raise HarnessError(f"{path}: pod {key} in unknown namespace")
            self.pods[key] = {
                "labels": dict(p.get("labels") or {}),
                "ports": [dict(x) for x in p.get("ports") or []],
            }
        self.order = list(d.get("probe_order") or self.pods)
        if sorted(self.order) != sorted(self.pods):
            raise HarnessError(f"{path}: probe_order does not list exactly the pods")
        if len(self.pods) < 2:
            raise HarnessError(f"{path}: fewer than two pods")

    def served(self, proto):
        """Ports the model declares for proto on any pod."""
        return sorted({x["port"] for p in self.pods.values() for x in p["ports"]
                       if x.get("protocol", "TCP").upper() == proto})


def parse_matrix(text, order, where):
    """An expect matrix -> {(src, dst): reachable}. Validates the labels."""
    rows = [ln.split() for ln in str(text).strip().splitlines() if ln.strip()]
    if not rows or rows[0][0] != "-" or rows[0][1:] != order:
        raise HarnessError(f"{where}: matrix header is not '- {' '.join(order)}'")
    if [r[0] for r in rows[1:]] != order:
        raise HarnessError(f"{where}: matrix rows are not {' '.join(order)}")
    m = {}
    for r in rows[1:]:
        if len(r) != len(order) + 1:
            raise HarnessError(f"{where}: row {r[0]} has {len(r) - 1} cells, want {len(order)}")
        for dst, v in zip(order, r[1:]):
            if v not in (".", "X"):
                raise HarnessError(f"{where}: cell {r[0]} -> {dst} is '{v}', want '.' or 'X'")
            m[(r[0], dst)] = v == "."
    return m


class Case:
    def __init__(self, path, model):
        self.path = path
        self.id = os.path.splitext(os.path.basename(path))[0]
        d = load_yaml(path)
        if not isinstance(d, dict) or not isinstance(d.get("steps"), list) or not d["steps"]:
            raise HarnessError(f"{path}: no steps")
        self.d = d
        self.name = d.get("name", self.id)
        self.steps = d["steps"]
        for i, st in enumerate(self.steps, 1):
            if not st.get("probes"):
                raise HarnessError(f"{path}: step {i} has no probes")
            for pr in st["probes"]:
                proto = str(pr.get("protocol", "TCP")).upper()
                if proto not in PROTO_LOWER or not isinstance(pr.get("port"), int):
                    raise HarnessError(f"{path}: step {i}: bad probe {pr}")
                pr["_expect"] = parse_matrix(pr.get("expect", ""), model.order,
                                             f"{path}: step {i} {pr['port']}/{proto}")

    def protocols(self):
        return {str(pr.get("protocol", "TCP")).upper() for st in self.steps for pr in st["probes"]}


def load_suite(shared):
    base = os.path.join(shared, "conformance", "k8s-netpol")
    model_path = os.path.join(base, "model.yaml")
    if not os.path.isfile(model_path):
        raise HarnessError(f"conformance data not found: {model_path} (use --shared DIR or POLC_SHARED_DIR)")
    model = Model(model_path)
    paths = sorted(p for p in os.listdir(os.path.join(base, "cases")) if p.endswith((".yaml", ".yml")))
    if not paths:
        raise HarnessError(f"no cases in {base}/cases")
    return model, [Case(os.path.join(base, "cases", p), model) for p in paths]


# ---- addresses, placeholders, requirements -------------------------------

def assign_addresses(model):
    """Pod IPs shaped like the upstream reference (one block per namespace)."""
    ips = {}
    ns_index = {ns: i + 1 for i, ns in enumerate(model.namespaces)}
    seen = {}
    for key in model.order:
        ns = key.split("/")[0]
        j = seen.get(ns, 0)
        seen[ns] = j + 1
        i = ns_index[ns]
        ips[key] = {4: f"198.18.{i}.{10 + j}", 6: f"fd00:198:18:{i}::{10 + j:x}"}
    return ips


def ifname_for(key):
    """Same scheme as netns.sh nt_default_ifname: lxc + 12 hex of sha256."""
    return "lxc" + hashlib.sha256(key.encode()).hexdigest()[:12]


PLACEHOLDER = re.compile(r"\{\{\s*([a-z]+)((?:\s+[^\s}]+)*)\s*\}\}")


def fill_placeholders(obj, ips, fam, where):
    def sub(m):
        kind, args = m.group(1), m.group(2).split()
        if kind in ("ip", "hostcidr", "cidr"):
            want = 2 if kind == "cidr" else 1
            if len(args) != want or args[0] not in ips:
                raise HarnessError(f"{where}: bad placeholder {m.group(0)}")
            ip = ips[args[0]][fam]
            if kind == "ip":
                return ip
            if kind == "hostcidr":
                return f"{ip}/{32 if fam == 4 else 128}"
            return str(ipaddress.ip_network(f"{ip}/{int(args[1])}", strict=False))
        raise HarnessError(f"{where}: unknown placeholder {m.group(0)}")

    if isinstance(obj, str):
        return PLACEHOLDER.sub(sub, obj)
    if isinstance(obj, list):
        return [fill_placeholders(x, ips, fam, where) for x in obj]
    if isinstance(obj, dict):
        return {k: fill_placeholders(v, ips, fam, where) for k, v in obj.items()}
    return obj


def requirement_unmet(req, ips, fam):
    """None if the requirement holds for this family, else why not."""
    addrs = [ipaddress.ip_address(v[fam]) for v in ips.values()]
    if req in ("ipv4", "ipv6"):
        return None if req == f"ipv{fam}" else f"requires {req}"
    m = re.fullmatch(r"all-pod-ips-in-cidr-(\S+/\S+)-(\d+)", req)
    if m and m.group(1) in ips:
        net = ipaddress.ip_network(f"{ips[m.group(1)][fam]}/{m.group(2)}", strict=False)
        return None if all(a in net for a in addrs) else f"pod IPs not all in {net}"
    m = re.fullmatch(r"pod-ips-outside-(\S+)", req)
    if m:
        net = ipaddress.ip_network(m.group(1), strict=False)
        inside = [str(a) for a in addrs if a.version == net.version and a in net]
        return None if not inside else f"pod IPs {inside} in {net}"
    raise HarnessError(f"unknown requirement '{req}'")


# ---- model overrides, inventory, policies ---------------------------------

def apply_overrides(state, ov, where):
    """model_overrides: namespaces/pods by name; labels merged (null removes),
    remove_labels, add_ports."""
    if not ov:
        return
    for section in ov:
        if section not in ("namespaces", "pods"):
            raise HarnessError(f"{where}: unknown model_overrides section '{section}'")
    for ns, o in (ov.get("namespaces") or {}).items():
        if ns not in state["namespaces"]:
            raise HarnessError(f"{where}: override of unknown namespace {ns}")
        for k in o:
            if k not in ("labels", "remove_labels"):
                raise HarnessError(f"{where}: unknown namespace override '{k}'")
        _merge_labels(state["namespaces"][ns], o)
    for key, o in (ov.get("pods") or {}).items():
        if key not in state["pods"]:
            raise HarnessError(f"{where}: override of unknown pod {key}")
        pod = state["pods"][key]
        for k in o:
            if k not in ("labels", "remove_labels", "add_ports"):
                raise HarnessError(f"{where}: unknown pod override '{k}'")
        _merge_labels(pod["labels"], o)
        for p in o.get("add_ports") or []:
            pod["ports"].append(dict(p))


def _merge_labels(labels, o):
    for k, v in (o.get("labels") or {}).items():
        if v is None:
            labels.pop(k, None)
        else:
            labels[k] = str(v)
    for k in o.get("remove_labels") or []:
        labels.pop(k, None)


def model_state(model, case, step, where):
    state = {"namespaces": copy.deepcopy(model.namespaces), "pods": copy.deepcopy(model.pods)}
    apply_overrides(state, case.d.get("model_overrides"), f"{where}: model_overrides")
    apply_overrides(state, step.get("model_overrides"), f"{where}: step model_overrides")
    return state


def inventory(state, model, ips):
    """Namespace and Pod objects as `kubectl get ns,pods -A -o yaml` prints them."""
    items = []
    for ns, labels in state["namespaces"].items():
        md = {"name": ns, "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"polc/ns/{ns}"))}
        if labels:
            md["labels"] = dict(labels)
        items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": md,
                      "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    for key in model.order:
        ns, name = key.split("/")
        pod = state["pods"][key]
        containers = {}
        for p in pod["ports"]:
            proto = str(p.get("protocol", "TCP")).upper()
            cname = p.get("container") or "extra-ports"
            port = {"containerPort": int(p["port"]), "protocol": proto}
            if p.get("name"):
                port["name"] = p["name"]
            containers.setdefault(cname, []).append(port)
        md = {"name": name, "namespace": ns,
              "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"polc/pod/{key}")),
              "annotations": {"polc.io/interface": ifname_for(key)}}
        if pod["labels"]:
            md["labels"] = dict(pod["labels"])
        items.append({
            "apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": {
                "containers": [{"name": c, "image": IMAGE, "ports": ps} for c, ps in containers.items()],
                "nodeName": NODE_NAME,
                "serviceAccountName": "default",
            },
            "status": {"phase": "Running", "podIP": ips[key][4],
                       "podIPs": [{"ip": ips[key][4]}, {"ip": ips[key][6]}]},
        })
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


def step_policies(case, step, where):
    top = case.d.get("policies") or []
    if "policies" not in step:
        return copy.deepcopy(top)
    out = []
    for ref in step["policies"] or []:
        if isinstance(ref, dict):
            out.append(copy.deepcopy(ref))
            continue
        ref = str(ref)
        if "/" in ref:
            ns, name = ref.split("/", 1)
            hits = [p for p in top if p["metadata"].get("name") == name
                    and p["metadata"].get("namespace", "default") == ns]
        else:
            hits = [p for p in top if p["metadata"].get("name") == ref]
        if len(hits) != 1:
            raise HarnessError(f"{where}: policy reference '{ref}' matches {len(hits)} top-level policies")
        out.append(copy.deepcopy(hits[0]))
    return out


# ---- topology ---------------------------------------------------------------

def sctp_available():
    """SCTP is a module on most distributions: load it if we can, then try."""
    if shutil.which("modprobe"):
        try:
            subprocess.run(["modprobe", "-q", "sctp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            pass
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
        s.close()
        return True
    except OSError:
        return False


def run_cmd(argv, timeout, **kw):
    try:
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout, check=False, **kw)
    except subprocess.TimeoutExpired as e:
        raise HarnessError(f"timed out after {timeout}s: {' '.join(argv)}") from e


class Topology:
    """The nine-pod model in namespaces, built once; servers in every pod."""

    def __init__(self, model, ips, tools, protos, keep, verbose):
        self.model, self.ips, self.tools, self.keep, self.verbose = model, ips, tools, keep, verbose
        self.protos = protos  # served protocols: {"TCP": [80, 81], ...}
        # NT_RUN_ID (from tests/e2e/run.sh) lets a runner find leftovers.
        run_id = os.environ.get("NT_RUN_ID", "")
        if not re.fullmatch(r"[a-z0-9]+", run_id):
            run_id = str(os.getpid())
        self.prefix = f"polc-conf-{run_id}-{int.from_bytes(os.urandom(2), 'big')}"
        self.node = f"{self.prefix}-node"
        self.pin_dir = f"/sys/fs/bpf/{self.prefix}"
        self.netns = {}
        self.servers = []
        self.tmp = tempfile.mkdtemp(prefix=f"{self.prefix}.")
        self.created = False

    def create(self):
        spec = os.path.join(self.tmp, "spec")
        with open(spec, "w") as f:
            for key in self.model.order:
                f.write(f"{key} {self.ips[key][4]} {self.ips[key][6]} {ifname_for(key)}\n")
        self.created = True  # a half-built topology is destroyed too
        r = run_cmd(["bash", NETNS_SH, "create", self.prefix, spec], timeout=120)
        if r.returncode != 0:
            raise HarnessError(f"netns.sh create failed:\n{r.stderr.strip()}")
        for line in r.stdout.splitlines():
            key, netns = line.split()
            self.netns[key] = netns
        if sorted(self.netns) != sorted(self.model.order):
            raise HarnessError(f"netns.sh create returned {sorted(self.netns)}")

    def start_servers(self, lifetime_s):
        args = []
        for proto, flag in (("TCP", "-t"), ("UDP", "-u"), ("SCTP", "-s")):
            if self.protos.get(proto):
                args += [flag, ",".join(str(p) for p in self.protos[proto])]
        logf = open(os.path.join(self.tmp, "serve.log"), "ab")
        try:
            for key in self.model.order:
                ready = os.path.join(self.tmp, f"ready.{key.replace('/', '-')}")
                cmd = ["nsenter", f"--net=/run/netns/{self.netns[key]}", "--",
                       os.path.join(self.tools, "serve"), "-l", str(lifetime_s), "-r", ready] + args
                self.servers.append((key, subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf,
                                                           stderr=logf), ready))
        finally:
            logf.close()
        t_end = time.monotonic() + 10
        for key, proc, ready in self.servers:
            while not (os.path.exists(ready) and os.path.getsize(ready) > 0):
                if proc.poll() is not None or time.monotonic() > t_end:
                    with open(os.path.join(self.tmp, "serve.log")) as f:
                        raise HarnessError(f"serve in {key} did not start:\n{f.read()}")
                time.sleep(0.02)

    def check_servers(self):
        """A dead server would read as 'refused' everywhere: say so instead."""
        dead = [f"{key} (exit {proc.returncode})" for key, proc, _ in self.servers if proc.poll() is not None]
        if dead:
            raise HarnessError(f"serve died in {', '.join(dead)}; see {self.tmp}/serve.log")

    def ns_exec(self, netns):
        return ["nsenter", f"--net=/run/netns/{netns}", "--"]

    def destroy(self):
        if self.keep:
            log(f"--keep: topology left in place: namespaces {self.prefix}-*, pins {self.pin_dir}, "
                f"files {self.tmp}")
            log(f"  run in a pod:  nsenter --net=/run/netns/{self.prefix}-p-x-a -- CMD")
            log(f"  remove it:     {NETNS_SH} destroy {self.prefix}")
            return
        for _, proc, _ in self.servers:
            if proc.poll() is None:
                proc.terminate()
        for _, proc, _ in self.servers:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=2)
        self.servers = []
        if self.created:
            r = run_cmd(["bash", NETNS_SH, "destroy", self.prefix], timeout=60)
            if r.returncode != 0:
                sys.stderr.write(f"run.py: cleanup of {self.prefix} failed: {r.stderr}\n")
            self.created = False
        shutil.rmtree(self.tmp, ignore_errors=True)


class Prober:
    """One probe process per source pod, all at once; one deadline per round."""

    def __init__(self, topo, deadline_ms):
        self.topo = topo
        self.deadline_ms = deadline_ms
        self.sport = SPORT_LO
        self.rounds = 0
        self.seconds = 0.0

    def run(self, cells, fam, deadline_ms=None):
        """cells: [(src, dst, port, PROTO)] -> {cell: (result, latency_ms)}."""
        deadline_ms = deadline_ms or self.deadline_ms
        by_src = {}
        for c in cells:
            by_src.setdefault(c[0], []).append(c)
        width = max(len(v) for v in by_src.values())
        if self.sport + width > SPORT_HI:
            self.sport = SPORT_LO
        base, self.sport = self.sport, self.sport + width
        t0 = time.monotonic()
        procs = []
        for src, cs in by_src.items():
            targets = []
            for _, dst, port, proto in cs:
                ip = self.topo.ips[dst][fam]
                host = f"[{ip}]" if fam == 6 else ip
                targets.append(f"{host}:{port}/{PROTO_LOWER[proto]}")
            cmd = self.topo.ns_exec(self.topo.netns[src]) + [
                os.path.join(self.topo.tools, "probe"), "-w", str(deadline_ms), "-p", str(base)] + targets
            procs.append((cs, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        out = {}
        errors = []
        for cs, proc in procs:
            try:
                stdout, stderr = proc.communicate(timeout=deadline_ms / 1000 + 10)
            except subprocess.TimeoutExpired:
                for _, p in procs:
                    p.kill()
                    p.communicate()
                raise HarnessError("probe did not finish 10s after its deadline")
            lines = stdout.splitlines()
            if proc.returncode not in (0, 1) or len(lines) != len(cs):
                errors.append(f"probe from {cs[0][0]} exited {proc.returncode}: {stderr.strip()} {stdout.strip()}")
                continue
            for c, line in zip(cs, lines):
                f = line.split()
                out[c] = (f[3], float(f[4]))
        self.rounds += 1
        self.seconds += time.monotonic() - t0
        if errors:
            raise HarnessError("; ".join(errors))
        return out


# ---- comparing and reporting -----------------------------------------------

CELL_CHAR = {"ok": ".", "blocked": "X", "refused": "R", "unreachable": "U", "error": "E"}


def render(order, exp, obs, bad):
    """Expected and observed side by side; differing cells in brackets."""
    w = max(len(k) for k in order) + 2

    def cell(v, mark=False):
        return (f"[{v}]" if mark else f" {v} ").ljust(w)

    head = "-".ljust(w) + "".join(k.ljust(w) for k in order)
    lines = [f"      {'expected'.ljust(len(head))}  observed", f"      {head}  {head}".rstrip()]
    for s in order:
        e = o = s.ljust(w)
        for d in order:
            if s == d:
                e += cell("-")
                o += cell("-")
                continue
            e += cell("." if exp[(s, d)] else "X")
            o += cell(CELL_CHAR.get(obs[(s, d)][0], "?"), (s, d) in bad)
        lines.append(f"      {e}  {o}".rstrip())
    lines.append("      [.] reachable but expected blocked; [X] blocked but expected reachable; "
                 "R refused, U unreachable, E probe error; diagonal not probed")
    return "\n".join(lines)


class Runner:
    def __init__(self, args, model, cases):
        self.args, self.model, self.cases = args, model, cases
        self.polc = args.polc
        self.ips = assign_addresses(model)
        self.sctp = sctp_available()
        protos = {"TCP": model.served("TCP"), "UDP": model.served("UDP")}
        if self.sctp:
            protos["SCTP"] = model.served("SCTP")
        self.protos = protos
        self.work = args.workdir
        self.topo = None
        self.prober = None
        self.results = []  # (case id, fam, status, detail, seconds)
        self.compile_cache = {}
        self.t_compile = self.t_load = 0.0
        # Exit 2 is "usage or I/O error": never the fault of a case's input.
        self.compile_usage_errors = 0
        self.n_compile = self.n_load = 0
        self.loaded = False

    # -- environment
    def setup(self):
        self.topo = Topology(self.model, self.ips, self.args.tools, self.protos, self.args.keep,
                             self.args.verbose)
        t0 = time.monotonic()
        self.topo.create()
        self.topo.start_servers(lifetime_s=3600)
        self.prober = Prober(self.topo, self.args.deadline)
        log(f"topology {self.topo.prefix}: {len(self.model.order)} pods, dual-stack, serving "
            + ", ".join(f"{p} {','.join(map(str, v))}" for p, v in self.protos.items())
            + f"{'' if self.sctp else ' (no SCTP in this kernel)'}; ready in {time.monotonic() - t0:.2f}s")

    def teardown(self):
        if self.topo:
            self.topo.destroy()

    def all_cells(self, probes):
        return [(s, d, port, proto) for (port, proto) in probes
                for s in self.model.order for d in self.model.order if s != d]

    def served_probes(self):
        return [(port, proto) for proto, ports in self.protos.items() for port in ports]

    def check_all_reachable(self, what):
        """Every pair, every served port, both families: the topology itself works."""
        bad = []
        t0 = time.monotonic()
        for fam in self.families():
            cells = self.all_cells(self.served_probes())
            res = self.prober.run(cells, fam)
            bad += [(fam, c, res[c]) for c in cells if res[c][0] != "ok"]
        dt = time.monotonic() - t0
        if bad:
            for fam, c, r in bad[:20]:
                log(f"    IPv{fam} {c[0]} -> {c[1]} {c[2]}/{c[3]}: {r[0]}")
            raise HarnessError(f"{what}: {len(bad)} probes failed with nothing loaded")
        n = len(self.all_cells(self.served_probes())) * len(self.families())
        log(f"{what}: {n} probes reachable in {dt:.2f}s")

    def families(self):
        return [self.args.family] if self.args.family else list(FAMILIES)

    # -- polc
    def polc_compile(self, files, art_dir):
        h = hashlib.sha256()
        for f in files:
            with open(f, "rb") as fh:
                h.update(fh.read())
        key = h.hexdigest()
        if key in self.compile_cache:
            return self.compile_cache[key], None
        art = os.path.join(art_dir, "policy.polc")
        t0 = time.monotonic()
        r = run_cmd([self.polc, "compile", "-o", art] + files, timeout=POLC_TIMEOUT_S)
        self.t_compile += time.monotonic() - t0
        self.n_compile += 1
        if r.returncode != 0:
            self.compile_usage_errors += r.returncode == 2
            return None, f"polc compile exited {r.returncode}" + _tail(r.stderr)
        if not os.path.isfile(art):
            return None, "polc compile exited 0 but wrote no artifact"
        self.compile_cache[key] = art
        return art, None

    def polc_node(self, argv, timeout=POLC_TIMEOUT_S):
        return run_cmd(self.topo.ns_exec(self.topo.node) + [self.polc] + argv, timeout=timeout)

    def polc_load(self, art):
        t0 = time.monotonic()
        r = self.polc_node(["load", "--pin-dir", self.topo.pin_dir, art])
        self.t_load += time.monotonic() - t0
        self.n_load += 1
        self.loaded = True  # even a failed load may have left something to unload
        if r.returncode != 0:
            return f"polc load exited {r.returncode}" + _tail(r.stderr)
        return None

    def polc_unload(self):
        """Unload; a failure is returned, and the pins are removed regardless."""
        if not self.loaded:
            return None
        self.loaded = False
        err = None
        r = self.polc_node(["unload", "--pin-dir", self.topo.pin_dir])
        if r.returncode != 0:
            err = f"polc unload exited {r.returncode}" + _tail(r.stderr)
        elif os.path.isdir(self.topo.pin_dir) and os.listdir(self.topo.pin_dir):
            err = f"polc unload left pins: {sorted(os.listdir(self.topo.pin_dir))}"
        if os.path.exists(self.topo.pin_dir):
            shutil.rmtree(self.topo.pin_dir, ignore_errors=True)
        return err

    # -- cases
    def case_skip_reason(self, case, fam):
        if case.d.get("skip"):
            if case.protocols() == {"SCTP"} and self.sctp:
                pass  # the data assumed no SCTP; this kernel has it: run it
            else:
                return str(case.d["skip"])
        if "SCTP" in case.protocols() and not self.sctp:
            return "probes use SCTP; this kernel has no SCTP"
        for req in case.d.get("requires") or []:
            why = requirement_unmet(str(req), self.ips, fam)
            if why:
                return why
        return None

    def run_case_family(self, case, fam):
        """-> (status, [detail lines])"""
        details = []
        failed = False
        for si, step in enumerate(case.steps, 1):
            where = f"{case.id} step {si}"
            desc = step.get("description")
            label = f"step {si}/{len(case.steps)}" + (f" ({desc})" if desc else "")
            step_dir = os.path.join(self.work, case.id, f"ipv{fam}", f"step-{si}")
            os.makedirs(step_dir, exist_ok=True)
            state = model_state(self.model, case, step, where)
            self.check_ports_served(state, where)
            pols = fill_placeholders(step_policies(case, step, where), self.ips, fam, where)
            if self.args.as_cilium:
                try:
                    pols, notes = np2cnp.translate_all(pols, state, self.ips, fam)
                except np2cnp.TranslationError as e:
                    raise HarnessError(f"--as-cilium: {e}") from e
                details += [f"  {label}: note: {n}" for n in notes]
            inv_path = os.path.join(step_dir, "inventory.yaml")
            with open(inv_path, "w") as f:
                # kubectl prints keys sorted; so does this.
                yaml.dump(inventory(state, self.model, self.ips), f, Dumper=K8sDumper, sort_keys=True,
                               default_flow_style=False)
            files = []
            if pols:
                pol_path = os.path.join(step_dir, "policies.yaml")
                with open(pol_path, "w") as f:
                    yaml.dump_all(pols, f, Dumper=K8sDumper, sort_keys=False, default_flow_style=False)
                files.append(pol_path)
            files.append(inv_path)

            if not self.args.no_policy:
                art, err = self.polc_compile(files, step_dir)
                if not err:
                    err = self.polc_load(art)
                if err:
                    details.append(f"  {label}: {err}")
                    details.append(f"    inputs: {' '.join(os.path.relpath(f) for f in files)}")
                    failed = True
                    continue

            probes = [(int(p["port"]), str(p.get("protocol", "TCP")).upper()) for p in step["probes"]]
            cells = self.all_cells(probes)
            res = self.prober.run(cells, fam)
            self.topo.check_servers()
            exp_of = {}
            for p in step["probes"]:
                k = (int(p["port"]), str(p.get("protocol", "TCP")).upper())
                exp_of[k] = ({c: True for c in p["_expect"]} if self.args.no_policy else p["_expect"])
            # A cell expected reachable that timed out gets one slower retry: a
            # loaded machine can be late; a policy that leaks is never excused.
            late = [c for c in cells if exp_of[(c[2], c[3])][(c[0], c[1])] and res[c][0] == "blocked"]
            if late:
                again = self.prober.run(late, fam, deadline_ms=RETRY_DEADLINE_MS)
                recovered = [c for c in late if again[c][0] == "ok"]
                for c in recovered:
                    res[c] = again[c]
                if recovered:
                    details.append(f"  {label}: note: {len(recovered)} cell(s) reachable only on a "
                                   f"{RETRY_DEADLINE_MS} ms retry: "
                                   + ", ".join(f"{c[0]}->{c[1]} {c[2]}/{c[3]} ({again[c][1]:.0f} ms)"
                                               for c in recovered[:4]))
            step_failed = False
            for port, proto in probes:
                exp = exp_of[(port, proto)]
                obs = {(c[0], c[1]): res[c] for c in cells if c[2] == port and c[3] == proto}
                bad = {k for k in obs if exp[k] != (obs[k][0] == "ok")}
                errs = [k for k in obs if obs[k][0] == "error"]
                if errs:
                    raise HarnessError(f"{where}: probe errors: {errs[:4]}")
                if bad:
                    failed = True
                    leaks = sum(1 for k in bad if not exp[k])
                    details.append(f"  {label}, {port}/{proto} over IPv{fam}: {len(bad)} cell(s) differ "
                                   f"({leaks} reachable but expected blocked, {len(bad) - leaks} blocked "
                                   f"but expected reachable)")
                    details.append(render(self.model.order, exp, obs, bad))
                    step_failed = True
            if step_failed and not self.args.no_policy:
                details.append(f"    inputs: {' '.join(os.path.relpath(f) for f in files)}")
        err = None if self.args.no_policy else self.polc_unload()
        if err:
            details.append(f"  after the last step: {err}")
            failed = True
        return ("FAIL" if failed else "PASS"), details

    def check_ports_served(self, state, where):
        for key, pod in state["pods"].items():
            for p in pod["ports"]:
                proto = str(p.get("protocol", "TCP")).upper()
                if proto in self.protos and int(p["port"]) not in self.protos[proto]:
                    raise HarnessError(f"{where}: {key} declares {p['port']}/{proto}, which no server serves")

    def run_cases(self):
        t_start = time.monotonic()
        total = len(self.cases)
        for i, case in enumerate(self.cases, 1):
            for fam in self.families():
                t0 = time.monotonic()
                if self.compile_usage_errors >= 3 and self.compile_usage_errors == self.n_compile:
                    self.report(i, total, case, fam, "FAIL", [], 0.0,
                                "not run: polc compile fails with a usage/I/O error (exit 2) on every input")
                    continue
                why = self.case_skip_reason(case, fam)
                if why:
                    self.report(i, total, case, fam, "SKIP", [], 0.0, why)
                    continue
                try:
                    status, details = self.run_case_family(case, fam)
                except HarnessError as e:
                    status, details = "FAIL", [f"  harness: {e}"]
                    try:
                        err = None if self.args.no_policy else self.polc_unload()
                        if err:
                            details.append(f"  {err}")
                    except HarnessError as e2:
                        details.append(f"  harness: {e2}")
                self.report(i, total, case, fam, status, details, time.monotonic() - t0)
        return time.monotonic() - t_start

    def report(self, i, total, case, fam, status, details, secs, why=None):
        self.results.append((case.id, fam, status, secs))
        tail = f"  ({why})" if why else f"  {secs:5.2f}s"
        log(f"{status:4}  [{i:2}/{total}] {case.id:<58} IPv{fam}{tail}")
        for d in details:
            if status == "FAIL" or "note:" in d or self.args.verbose:
                log(d)

    def summary(self, elapsed):
        n = {s: sum(1 for r in self.results if r[2] == s) for s in ("PASS", "FAIL", "SKIP")}
        log("")
        fails = [f"{r[0]} IPv{r[1]}" for r in self.results if r[2] == "FAIL"]
        if fails:
            more = f" ... and {len(fails) - 12} more" if len(fails) > 12 else ""
            log("failed: " + ", ".join(fails[:12]) + more)
        mode = " (--no-policy)" if self.args.no_policy else " --as-cilium" if self.args.as_cilium else ""
        log(f"timing: {elapsed:.1f}s total; probing {self.prober.seconds:.1f}s in {self.prober.rounds} rounds; "
            f"compile {self.t_compile:.1f}s ({self.n_compile}x); load {self.t_load:.1f}s ({self.n_load}x)")
        log(f"SUMMARY conformance{mode}: {n['PASS']} passed, {n['FAIL']} failed, {n['SKIP']} skipped "
            f"({len(self.results)} case/family runs, {len(self.cases)} cases) in {elapsed:.1f}s")
        return 1 if n["FAIL"] else 0

    # -- the harness's own check: does it see drops at polc's hook?
    def self_check(self):
        """Install classic-BPF drop filters where polc attaches and check that
        the harness observes exactly the expected matrix, then that a wrong
        expectation is reported as a mismatch."""
        order = self.model.order
        row_pod, col_pod = order[1], order[-1]
        probes = [(80, "TCP"), (80, "UDP"), (81, "TCP"), (81, "UDP")]
        # row_pod's egress (tc ingress on its host side): requests to port 81 dropped.
        # col_pod's ingress (tc egress on its host side): requests to port 80 dropped.
        filters = [(ifname_for(row_pod), "ingress", 81), (ifname_for(col_pod), "egress", 80)]
        node = self.topo.ns_exec(self.topo.node)
        failures = 0
        try:
            for ifname, direction, port in filters:
                for cmd in (["tc", "qdisc", "replace", "dev", ifname, "clsact"],
                            ["tc", "filter", "add", "dev", ifname, direction, "pref", "1", "bpf", "da",
                             "bytecode", cbpf_drop_dport(port)]):
                    r = run_cmd(node + cmd, timeout=10)
                    if r.returncode != 0:
                        raise HarnessError(f"{' '.join(cmd)}: {r.stderr.strip()}")
            log(f"self-check: dropping {row_pod}'s egress to port 81 (tc ingress on {ifname_for(row_pod)}) "
                f"and {col_pod}'s ingress on port 80 (tc egress on {ifname_for(col_pod)})")
            for fam in self.families():
                t0 = time.monotonic()
                cells = self.all_cells(probes)
                res = self.prober.run(cells, fam)
                dt = time.monotonic() - t0
                for port, proto in probes:
                    exp = {}
                    for s in order:
                        for d in order:
                            blocked = (port == 81 and s == row_pod) or (port == 80 and d == col_pod)
                            exp[(s, d)] = not blocked
                    obs = {(c[0], c[1]): res[c] for c in cells if c[2] == port and c[3] == proto}
                    bad = {k for k in obs if exp[k] != (obs[k][0] == "ok")}
                    n_blocked = sum(1 for k in obs if obs[k][0] != "ok")
                    ok = not bad
                    failures += not ok
                    log(f"  {'ok  ' if ok else 'FAIL'} IPv{fam} {port}/{proto}: {n_blocked} of {len(obs)} "
                        f"cells blocked, as expected" if ok else
                        f"  FAIL IPv{fam} {port}/{proto}: {len(bad)} cells differ from the drop filters")
                    if not ok:
                        log(render(order, exp, obs, bad))
                lat = sorted(v[1] for c, v in res.items() if v[0] == "ok")
                log(f"  IPv{fam}: {len(cells)} probes in {dt * 1000:.0f} ms (deadline {self.args.deadline} ms); "
                    f"ok latency median {lat[len(lat) // 2]:.2f} ms, max {lat[-1]:.2f} ms")
            # A wrong expectation must be reported, with the diff matrix.
            fam = self.families()[0]
            cells = self.all_cells([(80, "TCP")])
            res = self.prober.run(cells, fam)
            exp = {(s, d): True for s in order for d in order}
            obs = {(c[0], c[1]): res[c] for c in cells}
            bad = {k for k in obs if exp[k] != (obs[k][0] == "ok")}
            want = len(order) - 1
            if len(bad) == want:
                log(f"  ok   an all-reachable expectation is refuted by {len(bad)} cells; the report reads:")
                log(render(order, exp, obs, bad))
            else:
                failures += 1
                log(f"  FAIL an all-reachable expectation differs in {len(bad)} cells, want {want}")
        finally:
            for ifname, _, _ in filters:
                run_cmd(node + ["tc", "qdisc", "del", "dev", ifname, "clsact"], timeout=10)
        self.check_all_reachable("self-check: filters removed")
        log(f"SUMMARY conformance --self-check: {'passed' if not failures else f'{failures} check(s) failed'}")
        return 1 if failures else 0


def cbpf_drop_dport(port):
    """Classic BPF for tc (direct action): drop IPv4/IPv6 TCP or UDP to port,
    pass everything else. The kernel has no gact, so no 'action drop'."""
    prog = [
        (0x28, 0, 0, 12),          # 0  ldh [12]             ethertype
        (0x15, 0, 6, 0x0800),      # 1  jeq IPv4 ? 2 : 8
        (0x30, 0, 0, 23),          # 2  ldb [23]             IPv4 protocol
        (0x15, 1, 0, 6),           # 3  jeq TCP ? 5 : 4
        (0x15, 0, 10, 17),         # 4  jeq UDP ? 5 : 15
        (0xb1, 0, 0, 14),          # 5  ldxb 4*([14]&0xf)    IPv4 header length
        (0x48, 0, 0, 16),          # 6  ldh [x+16]           destination port
        (0x05, 0, 0, 5),           # 7  ja 13
        (0x15, 0, 6, 0x86dd),      # 8  jeq IPv6 ? 9 : 15
        (0x30, 0, 0, 20),          # 9  ldb [20]             next header (no extension headers)
        (0x15, 1, 0, 6),           # 10 jeq TCP ? 12 : 11
        (0x15, 0, 3, 17),          # 11 jeq UDP ? 12 : 15
        (0x28, 0, 0, 56),          # 12 ldh [56]             destination port
        (0x15, 0, 1, port),        # 13 jeq port ? 14 : 15
        (0x06, 0, 0, 2),           # 14 ret TC_ACT_SHOT
        (0x06, 0, 0, 0xffffffff),  # 15 ret TC_ACT_UNSPEC
    ]
    return f"{len(prog)}," + ",".join(f"{c} {t} {f} {k}" for c, t, f, k in prog)


def _tail(text, n=30):
    lines = (text or "").strip().splitlines()
    if not lines:
        return ""
    cut = lines[-n:]
    more = f"      ({len(lines) - n} earlier lines not shown)\n" if len(lines) > n else ""
    return ":\n" + more + "\n".join("      " + ln for ln in cut)


# ---- main -------------------------------------------------------------------

def default_shared():
    """<repo>/../shared; in a linked git worktree also <main worktree>/../shared."""
    cands = [os.path.join(REPO, "..", "shared")]
    try:
        common = subprocess.run(["git", "-C", REPO, "rev-parse", "--path-format=absolute", "--git-common-dir"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                timeout=10).stdout.strip()
        if common:
            cands.append(os.path.join(os.path.dirname(common), "..", "shared"))
    except (OSError, subprocess.TimeoutExpired):
        pass
    for c in cands:
        if os.path.isdir(c):
            return c
    return cands[0]


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Kubernetes NetworkPolicy conformance on real traffic")
    ap.add_argument("--build", default=os.path.join(REPO, "build"), help="build directory (default: <repo>/build)")
    ap.add_argument("--polc", help="polc binary (default: BUILD/polc)")
    ap.add_argument("--tools", help="serve/probe directory (default: BUILD/tests/tools)")
    ap.add_argument("--shared", help="shared data dir (default: $POLC_SHARED_DIR or <repo>/../shared)")
    ap.add_argument("--case", action="append", default=[], metavar="GLOB",
                    help="run cases whose file name or name matches GLOB (repeatable)")
    ap.add_argument("--family", type=int, choices=FAMILIES, help="only IPv4 or only IPv6")
    ap.add_argument("--deadline", type=int, default=400, metavar="MS", help="probe deadline per round (default 400)")
    ap.add_argument("--keep", action="store_true", help="leave the topology (and loaded policy) for debugging")
    ap.add_argument("--no-policy", action="store_true", help="load nothing; expect every cell reachable")
    ap.add_argument("--as-cilium", action="store_true",
                    help="re-express every NetworkPolicy as a CiliumNetworkPolicy; expect the same matrices")
    ap.add_argument("--self-check", action="store_true", help="check that drops at the hook are detected")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--workdir", help="where step inputs and artifacts go (default: BUILD/conformance)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    a.polc = os.path.abspath(a.polc or os.path.join(a.build, "polc"))
    a.tools = os.path.abspath(a.tools or os.path.join(a.build, "tests", "tools"))
    a.shared = os.path.abspath(a.shared or os.environ.get("POLC_SHARED_DIR") or default_shared())
    a.workdir = os.path.abspath(a.workdir or os.path.join(a.build, "conformance"))
    if not 50 <= a.deadline <= 10000:
        ap.error("--deadline must be 50..10000 ms")
    return a


def check_environment(args):
    if os.geteuid() != 0:
        raise Skip("needs root (network namespaces, tc, bpffs)")
    for tool in ("nsenter", "ip", "tc"):
        if not shutil.which(tool):
            raise Skip(f"missing tool: {tool}")
    for t in ("serve", "probe"):
        if not os.access(os.path.join(args.tools, t), os.X_OK):
            raise HarnessError(f"{os.path.join(args.tools, t)} missing (run make)")
    if not args.no_policy and not args.self_check:
        if not os.access(args.polc, os.X_OK):
            raise HarnessError(f"{args.polc} missing (run make, or use --polc PATH)")
        with open("/proc/mounts") as f:
            if not any(ln.split()[1:3] == ["/sys/fs/bpf", "bpf"] for ln in f):
                raise Skip("bpffs is not mounted at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)")


def main(argv):
    args = parse_args(argv)

    caught = []

    def on_signal(signum, _frame):
        caught.append(signum)
        raise KeyboardInterrupt(f"signal {signum}")

    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    try:
        model, cases = load_suite(args.shared)
    except HarnessError as e:
        log(f"run.py: {e}")
        log("SUMMARY conformance: FAILED (no data)")
        return 1
    if args.case:
        cases = [c for c in cases if any(fnmatch.fnmatch(c.id, g) or fnmatch.fnmatch(c.name, g)
                                         for g in args.case)]
        if not cases:
            log(f"run.py: no case matches {args.case}")
            return 1
    if args.list:
        for c in cases:
            extra = []
            if c.d.get("requires"):
                extra.append("requires " + ",".join(map(str, c.d["requires"])))
            if c.d.get("skip"):
                extra.append("skip")
            log(f"{c.id:<58} {len(c.steps)} step(s) {sum(len(s['probes']) for s in c.steps)} probe(s)"
                + (f"  [{'; '.join(extra)}]" if extra else ""))
        return 0

    runner = Runner(args, model, cases)
    try:
        check_environment(args)
        if os.path.isdir(args.workdir):
            shutil.rmtree(args.workdir)
        os.makedirs(args.workdir)
        runner.setup()
        runner.check_all_reachable("baseline")
        if args.self_check:
            return runner.self_check()
        elapsed = runner.run_cases()
        if not args.no_policy:
            err = runner.polc_unload()
            if err:
                raise HarnessError(err)
            runner.check_all_reachable("after the last unload")
        return runner.summary(elapsed)
    except Skip as e:
        if ci():
            log(f"run.py: cannot run: {e} (a failure because CI=true)")
            log("SUMMARY conformance: FAILED (environment)")
            return 1
        log(f"SKIP: {e}")
        return EXIT_SKIP
    except HarnessError as e:
        log(f"run.py: {e}")
        log("SUMMARY conformance: FAILED (harness error)")
        return 1
    except KeyboardInterrupt as e:
        log(f"run.py: interrupted ({e or 'SIGINT'}); cleaning up")
        return 128 + (caught[0] if caught else signal.SIGINT)
    finally:
        try:
            if runner.topo and runner.loaded and not args.keep:
                runner.polc_unload()
        except HarnessError:
            pass
        runner.teardown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
