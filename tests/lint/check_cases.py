#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The shared lint cases (<shared>/lint-cases/INDEX.tsv), every row through
# the polc binary: `polc lint --format json` must give the row's verdict
# (an error for REJECT, a warning for ACCEPT with WARNING) at the row's
# line with the row's field path ("(...)" paths: no path), within 1 s and
# 64 MiB; REJECT rows must also make `polc compile` exit 1 with an error
# at that line. Rows that lint may downgrade ("lint may WARN", "lint may
# skip ... with a warning") accept a warning.
#
# Rows about Cilium policies need the Cilium front end. While it is absent
# (polc answers a minimal CiliumNetworkPolicy with "not supported yet"),
# they are reported PENDING, never as passes; once it is there they are
# checked like every other row.
#
#   check_cases.py POLC [SHARED_DIR]      (default: $POLC_SHARED_DIR, or shared/ above the repo)
import json
import os
import re
import subprocess
import sys
import tempfile
import time

RUSAGE = None  # BUILD/tests/tools/rusage, beside BUILD/polc
TIME_LIMIT = 1.0
RSS_LIMIT_KIB = 64 * 1024
# A sanitizer build (make check-sanitize) pays for shadow memory and checks: the bounds
# hold for the normal build, which make check runs; here they are only reported.
RELAXED = os.environ.get("POLC_LIMITS_RELAXED") == "1"


def find_shared(repo):
    env = os.environ.get("POLC_SHARED_DIR")
    if env:
        return env
    d = repo
    while d != "/":
        d = os.path.dirname(d)
        if os.path.isfile(os.path.join(d, "shared", "lint-cases", "INDEX.tsv")):
            return os.path.join(d, "shared")
    return None


def run(argv, cwd):
    """Run argv; (status, stdout, stderr, seconds)."""
    t0 = time.monotonic()
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), time.monotonic() - t0


def run_measured(argv, cwd):
    """Run argv through the rusage tool: (status, stdout, seconds, peak RSS in KiB) of that command alone."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile() as report:
        p = subprocess.run([RUSAGE, report.name] + argv, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL, timeout=120)
        out.seek(0)
        secs, rss = report.read().decode().split()
        return p.returncode, out.read().decode(errors="replace"), float(secs), int(rss)


CNP_PROBE = """apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: probe
  namespace: default
spec:
  endpointSelector: {}
  ingress:
  - fromEndpoints:
    - {}
"""


def cilium_frontend_present(polc):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(CNP_PROBE)
        name = f.name
    try:
        _, out, _, _ = run([polc, "lint", "--format", "json", name], "/")
    finally:
        os.unlink(name)
    diags = json.loads(out)
    return not any(d["code"] == "unsupported" and d["path"] == "kind" and "not supported yet" in d["message"]
                   for d in diags)


def is_cilium(path):
    with open(path, errors="replace") as f:
        return re.search(r"^apiVersion:\s*cilium\.io/", f.read(), re.M) is not None


def main():
    global RUSAGE
    polc = os.path.realpath(sys.argv[1])
    RUSAGE = os.path.join(os.path.dirname(polc), "tests", "tools", "rusage")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
    shared = sys.argv[2] if len(sys.argv) > 2 else find_shared(repo)
    if not shared or not os.path.isfile(os.path.join(shared, "lint-cases", "INDEX.tsv")):
        print("lint cases: shared data not found (set POLC_SHARED_DIR)")
        print("SUMMARY lint-cases: 0 passed, 1 failed (no data)")
        return 1
    cases = os.path.join(shared, "lint-cases")
    cilium = cilium_frontend_present(polc)
    rows = []
    with open(os.path.join(cases, "INDEX.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            if line.strip():
                rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))

    passed = failed = pending = 0
    print("%-50s %-8s %-7s %6s %7s  %s" % ("case", "expect", "result", "secs", "KiB", "detail"))
    for row in rows:
        file, verdict, what = row["file"], row["what_a_good_tool_must_do"], row["what_is_wrong"]
        line, path = int(row["line"]), row["field_path"]
        want_path = None if path.startswith("(") else path
        reject = verdict.startswith("REJECT")
        lint_may_warn = "lint may WARN" in verdict or re.search(r"lint may skip .* with a warning", verdict)
        expect = "error" if reject and not lint_may_warn else "warning"
        argv = [polc, "lint", "--format", "json", file]
        if "--inventory" in verdict or "--inventory" in what:
            argv += ["--inventory", "inventory/shop.yaml"]
        if is_cilium(os.path.join(cases, file)) and not cilium:
            pending += 1
            print("%-50s %-8s %-7s %6s %7s  %s" % (file, expect, "PENDING", "", "",
                                                   "needs the Cilium front end (absent in this build)"))
            continue
        status, out, secs, rss = run_measured(argv, cases)
        problems = []
        try:
            diags = json.loads(out)
        except ValueError:
            diags = []
            problems.append("output is not JSON: %r" % out[:200])
        sevs = {"error"} if expect == "error" else {"warning", "error"}
        if expect == "warning" and lint_may_warn:
            sevs = {"warning", "error"}
        hit = [d for d in diags if d["severity"] in sevs and d["line"] == line and d["path"] == want_path]
        if not hit:
            problems.append("no %s at line %d with path %s; got %s" % (
                expect, line, want_path,
                "; ".join("%s %s:%s %s [%s]" % (d["severity"], d["line"], d["column"], d["path"], d["code"])
                          for d in diags) or "nothing"))
        if status not in (0, 1):
            problems.append("exit status %d" % status)
        if expect == "error" and status != 1:
            problems.append("exit status %d, not 1" % status)
        if secs >= TIME_LIMIT and not RELAXED:
            problems.append("took %.2f s (limit %.0f s)" % (secs, TIME_LIMIT))
        if rss >= RSS_LIMIT_KIB and not RELAXED:
            problems.append("peak RSS %d KiB (limit %d)" % (rss, RSS_LIMIT_KIB))
        if reject:
            # polc compile refuses it too, with an error on that line.
            cstatus, _, cerr, _ = run([polc, "compile", "-o", "/dev/null", file], cases)
            if cstatus != 1 or not re.search(r":%d:\d+: error: " % line, cerr):
                problems.append("polc compile: status %d, %s" % (cstatus, cerr.strip().splitlines()[0] if cerr.strip() else "no output"))
        detail = problems[0] if problems else "%s [%s] %s" % (hit[0]["severity"], hit[0]["code"], hit[0]["message"])
        print("%-50s %-8s %-7s %6.3f %7d  %.110s" % (file, expect, "FAIL" if problems else "pass", secs, rss, detail))
        for p in problems[1:]:
            print("%-50s %-8s %-7s %6s %7s  %.110s" % ("", "", "", "", "", p))
        if problems:
            failed += 1
        else:
            passed += 1
    note = " (%d pending: the Cilium front end is absent)" % pending if pending else ""
    print("SUMMARY lint-cases: %d passed, %d failed%s" % (passed, failed, note))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
