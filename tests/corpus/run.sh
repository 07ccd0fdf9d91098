#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The Cilium corpus test: polc over every file of <shared>/corpus/cilium,
# each outcome asserted from tests/corpus/expected.tsv (see README.md):
#
#   compiles     exit 0; compiled to an artifact (codegen and clang included)
#                with the row's extra inputs (a small inventory)
#   unsupported  exit 1, every error has code "unsupported", one of them at
#                the row's line and field path
#   invalid      exit 1, an error of another code at the row's line and path
#
# Every corpus file must have a row and every row a file. The shared
# directory is $POLC_SHARED_DIR, else <repo>/../shared, else the first
# shared/ above the repository.
#
#   tests/corpus/run.sh POLC [FILE-GLOB...]
set -uo pipefail

polc=$(realpath "${1:?usage: run.sh POLC [FILE-GLOB...]}")
shift
here=$(cd "$(dirname "$0")" && pwd)

shared=${POLC_SHARED_DIR:-}
if [[ -z "$shared" ]]; then
	dir=$(cd "$here/../.." && pwd)
	while [[ "$dir" != / ]]; do
		dir=$(dirname "$dir")
		if [[ -d "$dir/shared/corpus/cilium" ]]; then
			shared="$dir/shared"
			break
		fi
	done
fi
corpus="$shared/corpus/cilium"
if [[ ! -d "$corpus" ]]; then
	echo "FAIL corpus: $corpus not found (set POLC_SHARED_DIR)"
	echo "SUMMARY corpus: 0 passed, 1 failed"
	exit 1
fi

exec /usr/bin/python3 - "$polc" "$corpus" "$here" "$@" <<'EOF'
import concurrent.futures, fnmatch, json, os, shutil, subprocess, sys, tempfile, time

polc, corpus, here = sys.argv[1:4]
globs = sys.argv[4:]
t0 = time.time()

rows = {}
with open(os.path.join(here, "expected.tsv")) as f:
    header = None
    for n, line in enumerate(f, 1):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if header is None:
            header = cols
            continue
        if len(cols) != len(header):
            print(f"FAIL expected.tsv:{n}: {len(cols)} columns, want {len(header)}")
            sys.exit(1)
        rows[cols[0]] = dict(zip(header, cols))

files = []
for d, _, names in os.walk(corpus):
    for name in names:
        if name.endswith((".yaml", ".yml", ".json")):
            files.append(os.path.relpath(os.path.join(d, name), corpus))
files.sort()

failures = []
counts = {"compiles": 0, "unsupported": 0, "invalid": 0}
for f in sorted(set(rows) - set(files)):
    failures.append(f"{f}: in expected.tsv but not in the corpus")

def judge(i, f):
    """(outcome wanted, ok, why) for corpus file f."""
    row = rows[f]
    want = row["outcome"]
    extra = [] if row["inputs"] == "-" else [os.path.join(here, x) for x in row["inputs"].split()]
    # POLC_CORPUS_CHECK_ONLY (the sanitizer run): stop before clang, which runs
    # outside polc and gains nothing from ASan.
    full = want == "compiles" and not os.environ.get("POLC_CORPUS_CHECK_ONLY")
    out = ["-o", os.path.join(tmp, f"art{i}.polc")] if full else ["--check"]
    args = [polc, "compile", "--format", "json", "--no-color"] + out + [f] + extra
    try:
        r = subprocess.run(args, cwd=corpus, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return want, False, "polc did not finish in 60 s"
    try:
        diags = json.loads(r.stderr) if r.stderr.strip() else []
    except ValueError:
        return want, False, f"diagnostics are not JSON: {r.stderr[:200]}"
    errors = [d for d in diags if d["severity"] == "error"]
    shown = "; ".join(f"{d['line']}:{d['path']} [{d['code']}] {d['message']}" for d in errors[:4])
    if want == "compiles":
        return want, r.returncode == 0 and not errors, f"exit {r.returncode}: {shown}"
    line, path = int(row["line"]), "" if row["path"] == "-" else row["path"]
    unsupported = [d for d in errors if d["code"] == "unsupported"]
    invalid = [d for d in errors if d["code"] != "unsupported"]
    pool = unsupported if want == "unsupported" else invalid
    at = [d for d in pool if d["line"] == line and (d["path"] or "") == path]
    if r.returncode != 1:
        return want, False, f"exit {r.returncode}, want 1: {shown}"
    if want == "unsupported" and invalid:
        return want, False, f"invalid, want unsupported: {shown}"
    if not at:
        return want, False, f"no {want} error at line {line} path {path}: {shown}"
    return want, True, ""

selected = [f for f in files if not globs or any(fnmatch.fnmatch(f, g) for g in globs)]
for f in selected:
    if f not in rows:
        failures.append(f"{f}: no row in expected.tsv (decide its outcome from Cilium's semantics)")
judged = [f for f in selected if f in rows]
tmp = tempfile.mkdtemp(prefix="polc-corpus-")
# Each polc run is one process (and one clang): as many at once as there are CPUs.
with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as ex:
    verdicts = list(ex.map(judge, range(len(judged)), judged))
for f, (want, ok, why) in zip(judged, verdicts):
    if ok:
        counts[want] += 1
    else:
        failures.append(f"{f}: want {want}: {why}")

shutil.rmtree(tmp, ignore_errors=True)
for msg in failures:
    print("FAIL " + msg)
passed = sum(counts.values())
print(f"corpus: {counts['compiles']} compiled, {counts['unsupported']} unsupported, {counts['invalid']} invalid")
print(f"SUMMARY corpus: {passed} passed, {len(failures)} failed ({len(files)} files) in {time.time() - t0:.0f}s")
sys.exit(1 if failures else 0)
EOF
