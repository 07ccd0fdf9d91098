#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The machine-readable outputs of polc lint, checked for their shape on
# the golden inputs (findings/, errors/):
#
#   json    an array of objects with exactly the fields file, line, column,
#           severity, code, path, message, hint; line and column 1-based
#           (null only without a file)
#   sarif   the SARIF 2.1.0 shape: the properties each object may have (the
#           schema forbids others), required properties, enums, rule
#           descriptors and ruleIndex that agree, artifact indexes, and
#           real regions: the same line and column as the JSON output, an
#           end column past the start, and a snippet that is the source line
#   github  one workflow command per line: ::error|warning|notice
#           file=F,line=L,endLine=L,col=C[,endColumn=E],title=CODE::MESSAGE
#
#   check_formats.py POLC GOLDEN_DIR
import json
import os
import re
import subprocess
import sys

FIELDS = ["file", "line", "column", "severity", "code", "path", "message", "hint"]
CASES = [("findings", ["--inventory", "inventory.yaml", "policies.yaml"]),
         ("errors", ["broken.yaml", "good.yaml"])]
problems = []


def fail(where, msg):
    problems.append("%s: %s" % (where, msg))


def lint(polc, cwd, fmt, args):
    p = subprocess.run([polc, "lint", "--format", fmt] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.stdout.decode()


def only(where, obj, allowed, required=()):
    if not isinstance(obj, dict):
        fail(where, "not an object: %r" % (obj,))
        return
    extra = set(obj) - set(allowed)
    if extra:
        fail(where, "properties the schema does not allow: %s" % sorted(extra))
    for r in required:
        if r not in obj:
            fail(where, "missing required property %s" % r)


def check_json(where, diags):
    if not isinstance(diags, list):
        fail(where, "not an array")
        return
    for i, d in enumerate(diags):
        w = "%s[%d]" % (where, i)
        if not isinstance(d, dict) or list(d) != FIELDS:
            fail(w, "fields %s, want exactly %s" % (list(d) if isinstance(d, dict) else d, FIELDS))
            continue
        if d["file"] is not None and not isinstance(d["file"], str):
            fail(w, "file is neither a string nor null")
        for k in ("line", "column"):
            v = d[k]
            if v is None:
                if d["file"] is not None and d["code"] != "io-error":
                    fail(w, "%s is null for a diagnostic in a file" % k)
            elif not isinstance(v, int) or v < 1:
                fail(w, "%s is not a 1-based integer: %r" % (k, v))
        if d["severity"] not in ("error", "warning", "note"):
            fail(w, "severity %r" % d["severity"])
        if not isinstance(d["code"], str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", d["code"]):
            fail(w, "code %r is not kebab-case" % d["code"])
        if not isinstance(d["message"], str) or not d["message"]:
            fail(w, "empty message")
        for k in ("path", "hint"):
            if d[k] is not None and (not isinstance(d[k], str) or not d[k]):
                fail(w, "%s is neither a non-empty string nor null" % k)


URI_REF = re.compile(r"^([a-z][a-z0-9+.-]*:)?[A-Za-z0-9\-._~/%!$&'()*+,;=:@]*$")


def check_sarif(where, log, diags, cwd):
    only(where, log, ["$schema", "version", "runs", "inlineExternalProperties", "properties"], ["version", "runs"])
    if log.get("version") != "2.1.0":
        fail(where, "version %r" % log.get("version"))
    runs = log.get("runs")
    if not isinstance(runs, list) or len(runs) != 1:
        fail(where, "runs must hold one run")
        return
    run = runs[0]
    only(where + ".runs[0]", run, ["tool", "invocations", "conversion", "language", "versionControlProvenance",
                                   "originalUriBaseIds", "artifacts", "logicalLocations", "graphs", "results",
                                   "automationDetails", "runAggregates", "baselineGuid", "redactionTokens",
                                   "defaultEncoding", "defaultSourceLanguage", "newlineSequences", "columnKind",
                                   "externalPropertyFileReferences", "threadFlowLocations", "taxonomies",
                                   "addresses", "translations", "policies", "webRequests", "webResponses",
                                   "specialLocations", "properties"], ["tool"])
    if run.get("columnKind") not in (None, "utf16CodeUnits", "unicodeCodePoints"):
        fail(where, "columnKind %r" % run.get("columnKind"))
    tool = run.get("tool", {})
    only(where + ".tool", tool, ["driver", "extensions", "properties"], ["driver"])
    driver = tool.get("driver", {})
    only(where + ".tool.driver", driver, ["guid", "name", "organization", "product", "productSuite",
                                          "shortDescription", "fullDescription", "fullName", "version",
                                          "semanticVersion", "dottedQuadFileVersion", "releaseDateUtc",
                                          "downloadUri", "informationUri", "globalMessageStrings", "notifications",
                                          "rules", "taxa", "locations", "language", "contents", "isComprehensive",
                                          "localizedDataSemanticVersion",
                                          "minimumRequiredLocalizedDataSemanticVersion", "associatedComponent",
                                          "translationMetadata", "supportedTaxonomies", "properties"], ["name"])
    rules = driver.get("rules", [])
    ids = [r.get("id") for r in rules]
    if len(set(ids)) != len(ids):
        fail(where, "rule ids are not unique")
    for i, r in enumerate(rules):
        w = "%s.rules[%d]" % (where, i)
        only(w, r, ["id", "deprecatedIds", "guid", "deprecatedGuids", "name", "deprecatedNames", "shortDescription",
                    "fullDescription", "messageStrings", "defaultConfiguration", "helpUri", "help", "relationships",
                    "properties"], ["id"])
        if "shortDescription" in r:
            only(w + ".shortDescription", r["shortDescription"], ["text", "markdown", "properties"], ["text"])
        if "defaultConfiguration" in r:
            only(w + ".defaultConfiguration", r["defaultConfiguration"], ["enabled", "level", "rank", "parameters",
                                                                          "properties"])
            if r["defaultConfiguration"].get("level") not in ("none", "note", "warning", "error"):
                fail(w, "defaultConfiguration.level")
    for i, inv in enumerate(run.get("invocations", [])):
        if not isinstance(inv.get("executionSuccessful"), bool):
            fail("%s.invocations[%d]" % (where, i), "executionSuccessful is required and boolean")
    artifacts = run.get("artifacts", [])
    for i, a in enumerate(artifacts):
        w = "%s.artifacts[%d]" % (where, i)
        only(w, a, ["description", "location", "parentIndex", "offset", "length", "roles", "mimeType", "contents",
                    "encoding", "sourceLanguage", "hashes", "lastModifiedTimeUtc", "properties"])
        uri = a.get("location", {}).get("uri", "")
        if not URI_REF.match(uri):
            fail(w, "uri %r is not a URI reference" % uri)
        path = os.path.join(cwd, uri)
        if a.get("length") != os.path.getsize(path):
            fail(w, "length %r is not the size of %s" % (a.get("length"), uri))
    results = run.get("results")
    if not isinstance(results, list):
        fail(where, "results must be present")
        return
    if len(results) != len(diags):
        fail(where, "%d results for %d diagnostics" % (len(results), len(diags)))
    for i, (res, d) in enumerate(zip(results, diags)):
        w = "%s.results[%d]" % (where, i)
        only(w, res, ["ruleId", "ruleIndex", "rule", "kind", "level", "message", "analysisTarget", "locations",
                      "guid", "correlationGuid", "occurrenceCount", "partialFingerprints", "fingerprints", "stacks",
                      "codeFlows", "graphs", "graphTraversals", "relatedLocations", "suppressions",
                      "baselineState", "rank", "attachments", "hostedViewerUri", "workItemUris", "provenance",
                      "fixes", "taxa", "webRequest", "webResponse", "properties"], ["message"])
        only(w + ".message", res.get("message"), ["text", "markdown", "id", "arguments", "properties"], ["text"])
        if res.get("level") not in ("none", "note", "warning", "error"):
            fail(w, "level %r" % res.get("level"))
        if res.get("ruleId") != d["code"]:
            fail(w, "ruleId %r, the JSON code is %r" % (res.get("ruleId"), d["code"]))
        ri = res.get("ruleIndex")
        if not isinstance(ri, int) or not 0 <= ri < len(rules) or rules[ri].get("id") != res.get("ruleId"):
            fail(w, "ruleIndex %r does not point at rule %r" % (ri, res.get("ruleId")))
        if {"error": "error", "warning": "warning", "note": "note"}[d["severity"]] != res.get("level"):
            fail(w, "level %r for severity %r" % (res.get("level"), d["severity"]))
        locs = res.get("locations", [])
        if d["file"] is None:
            if locs:
                fail(w, "a location for a diagnostic without file")
            continue
        if len(locs) != 1:
            fail(w, "one location expected")
            continue
        loc = locs[0]
        only(w + ".locations[0]", loc, ["id", "physicalLocation", "logicalLocations", "message", "annotations",
                                        "relationships", "properties"])
        for ll in loc.get("logicalLocations", []):
            only(w + ".logicalLocations", ll, ["name", "index", "fullyQualifiedName", "decoratedName",
                                               "parentIndex", "kind", "properties"])
            if ll.get("fullyQualifiedName") != d["path"]:
                fail(w, "logical location %r, path %r" % (ll.get("fullyQualifiedName"), d["path"]))
        phys = loc.get("physicalLocation", {})
        only(w + ".physicalLocation", phys, ["address", "artifactLocation", "region", "contextRegion", "properties"])
        al = phys.get("artifactLocation", {})
        only(w + ".artifactLocation", al, ["uri", "uriBaseId", "index", "description", "properties"])
        idx = al.get("index")
        if not isinstance(idx, int) or not 0 <= idx < len(artifacts) or \
                artifacts[idx]["location"]["uri"] != al.get("uri"):
            fail(w, "artifactLocation.index %r does not name %r" % (idx, al.get("uri")))
        if al.get("uri") != d["file"]:
            fail(w, "uri %r, file %r" % (al.get("uri"), d["file"]))
        if d["line"] is None:
            continue
        reg = phys.get("region", {})
        only(w + ".region", reg, ["startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength",
                                  "byteOffset", "byteLength", "snippet", "message", "sourceLanguage", "properties"])
        for k in ("startLine", "startColumn", "endLine", "endColumn"):
            if k in reg and (not isinstance(reg[k], int) or reg[k] < 1):
                fail(w, "region.%s %r" % (k, reg[k]))
        if reg.get("startLine") != d["line"] or reg.get("startColumn") != d["column"]:
            fail(w, "region %s:%s, the JSON position is %s:%s" % (reg.get("startLine"), reg.get("startColumn"),
                                                                  d["line"], d["column"]))
        if reg.get("endLine", reg.get("startLine")) < reg.get("startLine", 1):
            fail(w, "endLine before startLine")
        if "endColumn" in reg and reg["endColumn"] <= reg.get("startColumn", 1):
            fail(w, "endColumn %r not after startColumn %r" % (reg["endColumn"], reg.get("startColumn")))
        with open(os.path.join(cwd, d["file"]), encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        want = lines[d["line"] - 1] if d["line"] <= len(lines) else None
        snippet = reg.get("snippet", {}).get("text")
        if snippet != want:
            fail(w, "snippet %r is not line %d %r" % (snippet, d["line"], want))
        elif "endColumn" in reg and not snippet[reg["startColumn"] - 1:reg["endColumn"] - 1].strip():
            fail(w, "the region covers no text")


GITHUB = re.compile(r"^::(error|warning|notice) (file=[^,:]+,line=\d+,endLine=\d+,col=\d+(,endColumn=\d+)?,)?"
                    r"title=[a-z0-9-]+::.+$")


def check_github(where, text, n):
    lines = text.splitlines()
    if len(lines) != n:
        fail(where, "%d annotations for %d diagnostics" % (len(lines), n))
    for i, line in enumerate(lines):
        if not GITHUB.match(line):
            fail("%s line %d" % (where, i + 1), "not a workflow command: %r" % line[:120])


def main():
    polc, golden = os.path.realpath(sys.argv[1]), sys.argv[2]
    for case, args in CASES:
        cwd = os.path.join(golden, case)
        diags = json.loads(lint(polc, cwd, "json", args))
        check_json(case + " json", diags)
        check_sarif(case + " sarif", json.loads(lint(polc, cwd, "sarif", args)), diags, cwd)
        check_github(case + " github", lint(polc, cwd, "github", args), len(diags))
        print("%s: %d diagnostics checked in json, sarif and github" % (case, len(diags)))
    for p in problems:
        print("FAIL " + p)
    print("SUMMARY lint-formats: %s" % ("ok" if not problems else "%d problems" % len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
