#!/usr/bin/env python3
"""`bsc validate --format sarif` against the official SARIF 2.1.0 JSON Schema
(vendored in tests/sarif/, see its README) with an independent validator, and
`--format junit` through an XML parser.

Usage: python3 tests/sarif_check.py target/debug/bsc
Run from the repository root. Exit 0 when every check passes."""

import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import jsonschema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BSC = os.path.abspath(sys.argv[1])
with open(os.path.join(ROOT, "tests/sarif/sarif-schema-2.1.0.json"), encoding="utf-8") as f:
    SCHEMA = json.load(f)
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)
# A relative URI reference, or a file URI: unreserved characters, `/` and
# percent-escapes only (bsc encodes everything else).
URI = re.compile(r"^(file:///)?[A-Za-z0-9._~%/-]+$")

failures = 0


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}")


def bsc(args, cwd=ROOT):
    p = subprocess.run([BSC, "validate", *args], cwd=cwd, capture_output=True, text=True)
    return p.returncode, p.stdout


def check_sarif(label, args, expect_exit, cwd=ROOT, expect_uri=None):
    code, out = bsc([*args, "--format", "sarif"], cwd)
    if code != expect_exit:
        fail(f"{label}: exit {code}, expected {expect_exit}")
    log = json.loads(out)
    errors = sorted(VALIDATOR.iter_errors(log), key=lambda e: list(e.path))
    for e in errors[:5]:
        fail(f"{label}: schema: {'/'.join(map(str, e.path))}: {e.message}")
    # The same findings as the JSON output, in the same order.
    _, js = bsc([*args, "--format", "json"], cwd)
    diags = json.loads(js)
    run = log["runs"][0]
    results = run["results"]
    rules = run["tool"]["driver"]["rules"]
    if len(results) != len(diags):
        fail(f"{label}: {len(results)} results, {len(diags)} diagnostics")
    for r, d in zip(results, diags):
        if r["ruleId"] != d["code"] or rules[r["ruleIndex"]]["id"] != d["code"]:
            fail(f"{label}: rule {r['ruleId']} / index {r['ruleIndex']} for {d['code']}")
        if r["level"] != d["severity"]:
            fail(f"{label}: level {r['level']} for a {d['severity']}")
        if not r["message"]["text"].startswith(d["message"]):
            fail(f"{label}: message {r['message']['text']!r}")
        if d["file"] is None:
            continue
        loc = r["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        if not URI.match(uri):
            fail(f"{label}: uri {uri!r} is not a clean URI reference")
        if expect_uri is not None and uri != expect_uri:
            fail(f"{label}: uri {uri!r}, expected {expect_uri!r}")
        if d["line"] is not None:
            reg = loc["region"]
            got = (reg["startLine"], reg["startColumn"], reg["endLine"], reg["endColumn"])
            want = (d["line"], d["column"], d["end_line"], d["end_column"])
            if got != want:
                fail(f"{label}: region {got}, JSON says {want}")
            if (reg["endLine"], reg["endColumn"]) < (reg["startLine"], reg["startColumn"]):
                fail(f"{label}: region ends before it starts: {got}")
    if len({r["id"] for r in rules}) != len(rules):
        fail(f"{label}: a rule is listed twice")
    return log


def check_junit(label, args, expect_files, cwd=ROOT):
    code, out = bsc([*args, "--format", "junit"], cwd)
    _, js = bsc([*args, "--format", "json"], cwd)
    errors = sum(1 for d in json.loads(js) if d["severity"] == "error")
    try:
        root = ET.fromstring(out)
    except ET.ParseError as e:
        fail(f"{label}: junit is not XML: {e}")
        return
    suites = root.findall("testsuite")
    if root.tag != "testsuites" or len(suites) < expect_files:
        fail(f"{label}: {root.tag} with {len(suites)} suites, expected >= {expect_files}")
    got = len(root.findall("./testsuite/testcase/failure"))
    if got != errors or int(root.get("failures")) != errors:
        fail(f"{label}: {got} failures (header {root.get('failures')}), {errors} errors")
    for s in suites:
        cases = s.findall("testcase")
        if len(cases) != 1 or int(s.get("failures")) != len(cases[0].findall("failure")):
            fail(f"{label}: suite {s.get('name')} counts")


# Clean examples: a valid log with no results; every file a passing case.
log = check_sarif("scorecards", ["scorecards/"], 0)
if log["runs"][0]["results"]:
    fail("scorecards: clean examples gave results")
check_junit("scorecards", ["scorecards/"], 10)

# Every broken fixture of the CLI cases: most codes bsc has.
log = check_sarif("fixtures", ["tests/cmd/validate"], 1)
codes = {r["ruleId"] for r in log["runs"][0]["results"]}
if len(codes) < 30:
    fail(f"fixtures: only {len(codes)} distinct codes: {sorted(codes)}")
check_junit("fixtures", ["tests/cmd/validate"], 100)

with tempfile.TemporaryDirectory() as tmp:
    # Past 100 diagnostics in a file: the rest become a notification.
    many = os.path.join(tmp, "many errors 绩效.toml")
    with open(many, "w", encoding="utf-8") as f:
        f.write('[scorecard]\nid = "x"\nname = "<x & y>"\n')
        f.write("".join(f"bogus{i} = 1\n" for i in range(150)))
    log = check_sarif("many", ["many errors 绩效.toml"], 1, cwd=tmp,
                      expect_uri="many%20errors%20%E7%BB%A9%E6%95%88.toml")
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    if len(notes) != 1 or "more errors not shown" not in notes[0]["message"]["text"]:
        fail(f"many: notifications {notes}")
    check_junit("many", ["many errors 绩效.toml"], 1, cwd=tmp)
    # A file outside the working directory: an absolute file URI.
    sub = os.path.join(tmp, "sub")
    os.mkdir(sub)
    check_sarif("outside", [many], 1, cwd=sub,
                expect_uri="file:///" + "/".join(
                    p for p in many.replace("many errors 绩效.toml", "many%20errors%20%E7%BB%A9%E6%95%88.toml").split("/") if p))

if failures:
    print(f"sarif_check: {failures} failed")
    sys.exit(1)
print("sarif_check: SARIF valid against the 2.1.0 schema, JUnit well-formed")
