#!/usr/bin/env python3
"""Checks the JSON Schemas printed by `bsc schema` (scorecards), `bsc
schema --measurements` and `bsc schema --output` (the JSON output of `bsc
evaluate --format json`) against the examples.

Usage: python3 tests/schema_check.py path/to/bsc

Every scorecards/*.toml with a `[scorecard]` table must validate against
the schema (Draft 2020-12, whatever `$schema` the output declares), and a
deliberately broken copy must be rejected, so the check proves something:
an indicator with the unknown key `wieght`, and one with `weight = "x"`;
a measurements file with the unknown key `valeus`, and a target "high".
The JSON output of every example (its latest quarter alone, with the one
before, with all its quarters, a year-ago comparison and a roll-up, as
`json` and `jsonl`, and the `--data` array of the regional example, element
by element) must validate against `bsc schema --output`, and broken copies
must be rejected each at its place: a required key missing, a score as a
string, an unknown status, a renamed key, an extra top-level key.
Prints one line per check; exits 1 on any failure, 2 on a usage error.

Needs Python 3.11+ (tomllib) and the `jsonschema` package.
"""

import copy
import datetime
import json
import pathlib
import subprocess
import sys
import tomllib

try:
    import jsonschema
except ImportError:
    sys.exit("schema_check: the `jsonschema` package is needed (pip install jsonschema)")

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "scorecards"


def to_json(value):
    """TOML data as JSON data: date-times become ISO strings."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


def describe(error):
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"


def all_errors(validator, instance):
    """Every error, including those nested under anyOf/oneOf."""
    stack = list(validator.iter_errors(instance))
    out = []
    while stack:
        e = stack.pop()
        out.append(e)
        stack.extend(e.context or [])
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    bsc = sys.argv[1]
    run = subprocess.run([bsc, "schema"], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"FAIL `{bsc} schema` exited {run.returncode}: {run.stderr.strip()}")
        return 1
    try:
        schema = json.loads(run.stdout)
    except json.JSONDecodeError as e:
        print(f"FAIL `{bsc} schema` did not print JSON: {e}")
        return 1

    failures = 0
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        print(f"ok   schema is a valid Draft 2020-12 schema (declares {schema.get('$schema', 'no $schema')})")
    except jsonschema.SchemaError as e:
        print(f"FAIL schema itself is invalid: {e.message}")
        return 1
    validator = jsonschema.Draft202012Validator(schema)

    cards = []
    for path in sorted(EXAMPLES.glob("*.toml")):
        name = path.relative_to(ROOT)
        with open(path, "rb") as f:
            data = tomllib.load(f)
        if not isinstance(data.get("scorecard"), dict):
            continue  # a measurements file
        data = to_json(data)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            failures += 1
            print(f"FAIL {name}")
            for e in errors:
                print(f"       {describe(e)}")
        else:
            print(f"ok   {name}")
            cards.append((name, data))

    if not cards:
        print(f"FAIL no valid scorecard found in {EXAMPLES.relative_to(ROOT)}/")
        return 1

    # The schema must reject what the validator rejects, or it proves nothing.
    name, base = cards[0]
    if not base.get("indicators"):
        print(f"FAIL {name} has no indicators to break")
        return 1
    broken = [
        ("unknown key `wieght` in an indicator", "wieght", 2),
        ("`weight = \"x\"` in an indicator", "weight", "x"),
    ]
    for what, key, value in broken:
        data = copy.deepcopy(base)
        data["indicators"][0][key] = value
        errors = all_errors(validator, data)
        # The rejection must be about that indicator, not something else.
        relevant = [
            e for e in errors
            if list(e.absolute_path)[:2] == ["indicators", 0] and (key in e.message or key in e.absolute_path)
        ]
        if relevant:
            print(f"ok   broken copy of {name} rejected: {what} ({describe(relevant[0])})")
        else:
            failures += 1
            print(f"FAIL broken copy of {name} accepted: {what}")
            for e in errors:
                print(f"       {describe(e)}")

    failures += check_measurements(bsc)
    failures += check_output(bsc)
    if failures:
        print(f"{failures} schema check(s) failed")
        return 1
    return 0


def check_measurements(bsc):
    """Every measurements example validates against `bsc schema
    --measurements`; broken copies are rejected. Returns the failures."""
    run = subprocess.run([bsc, "schema", "--measurements"], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"FAIL `{bsc} schema --measurements` exited {run.returncode}")
        return 1
    schema = json.loads(run.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = 0
    files = []
    for path in sorted(EXAMPLES.glob("*.toml")):
        with open(path, "rb") as f:
            data = tomllib.load(f)
        if isinstance(data.get("scorecard"), dict):
            continue
        name = path.relative_to(ROOT)
        errors = list(validator.iter_errors(to_json(data)))
        if errors:
            failures += 1
            print(f"FAIL {name}")
            for e in errors:
                print(f"       {describe(e)}")
        else:
            print(f"ok   {name} (measurements)")
            files.append((name, to_json(data)))
    if not files:
        print("FAIL no measurements example found")
        return failures + 1
    name, base = files[0]
    for what, change in [
        ("unknown key `valeus`", lambda d: d.__setitem__("valeus", {"x": 1})),
        ("a target \"high\"", lambda d: d.setdefault("targets", {}).__setitem__("x", "high")),
    ]:
        data = copy.deepcopy(base)
        change(data)
        if list(validator.iter_errors(data)):
            print(f"ok   broken copy of {name} rejected: {what}")
        else:
            failures += 1
            print(f"FAIL broken copy of {name} accepted: {what}")
    return failures


def evaluations(bsc):
    """(what, evaluation object) for the JSON output of every example:
    each card with its latest quarter, the last two, all of them, a
    year-ago comparison and a roll-up where it has the quarters, as
    `--format json` and `jsonl`; and each unit of the `--data` example."""
    runs = []
    for card in sorted(EXAMPLES.glob("*.toml")):
        with open(card, "rb") as f:
            if not isinstance(tomllib.load(f).get("scorecard"), dict):
                continue
        card_rel = str(card.relative_to(ROOT))
        quarters = [str(p.relative_to(ROOT)) for p in sorted(EXAMPLES.glob(f"{card.stem}-*.toml"))]
        if not quarters:
            runs.append((card_rel, None, []))
            continue
        # The latest quarter alone, with the one before, with all of them.
        for n in sorted({1, min(2, len(quarters)), len(quarters)}):
            runs.append((card_rel, quarters[-n:], []))
        if len(quarters) >= 5:
            runs.append((card_rel, quarters, ["--compare", "year-ago"]))
            runs.append((card_rel, quarters, ["--from", "2026-Q1", "--to", "2026-Q3"]))
    out = []
    for card, files, extra in runs:
        if files is None:
            out.append((f"{card} has no example quarter to evaluate", None))
            continue
        what = f"evaluate {card} {' '.join(files)} {' '.join(extra)}".strip()
        for fmt in ["json", "jsonl"]:
            run = subprocess.run([bsc, "evaluate", card, *files, *extra, "--format", fmt],
                                 capture_output=True, text=True, cwd=ROOT)
            if run.returncode != 0:
                out.append((f"{what} --format {fmt} (exit {run.returncode}: {run.stderr.strip()})", None))
                continue
            docs = [json.loads(run.stdout)] if fmt == "json" else [json.loads(l) for l in run.stdout.splitlines()]
            out += [(f"{what} --format {fmt}", d) for d in docs]
    data = EXAMPLES / "data" / "crm-regions.csv"
    run = subprocess.run([bsc, "evaluate", "scorecards/crm.toml", "--data", str(data.relative_to(ROOT)),
                          "--format", "json"], capture_output=True, text=True, cwd=ROOT)
    if run.returncode != 0:
        out.append((f"evaluate --data (exit {run.returncode}: {run.stderr.strip()})", None))
    else:
        array = json.loads(run.stdout)
        if not isinstance(array, list) or not array:
            out.append(("evaluate --data --format json is not a non-empty array", None))
        out += [(f"evaluate --data {data.name}, unit {e.get('unit')}", e) for e in array]
    return out


def check_output(bsc):
    """The JSON output of every example validates against `bsc schema
    --output`; broken copies are rejected at the broken place. Returns the
    failures."""
    run = subprocess.run([bsc, "schema", "--output"], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"FAIL `{bsc} schema --output` exited {run.returncode}: {run.stderr.strip()}")
        return 1
    schema = json.loads(run.stdout)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        print(f"FAIL the output schema itself is invalid: {e.message}")
        return 1
    validator = jsonschema.Draft202012Validator(schema)
    failures = 0
    checked = []
    for what, e in evaluations(bsc):
        if e is None:
            failures += 1
            print(f"FAIL {what}")
            continue
        errors = list(validator.iter_errors(e))
        if errors:
            failures += 1
            print(f"FAIL {what}")
            for err in errors[:10]:
                print(f"       {describe(err)}")
        else:
            print(f"ok   {what} (output)")
            checked.append((what, e))
    # The richest output (previous_* keys, history, initiatives) to break.
    rich = [c for c in checked if "previous_score" in c[1]["composite"] and c[1].get("history")
            and c[1]["initiatives"]]
    if not rich:
        print("FAIL no example output with previous scores, history and initiatives to break")
        return failures + 1
    name, base = rich[0]

    def drop(path):
        def change(d):
            *parents, key = path
            for p in parents:
                d = d[p]
            del d[key]
        return change

    def put(path, value):
        def change(d):
            *parents, key = path
            for p in parents:
                d = d[p]
            d[key] = value
        return change

    def rename(path, new):
        def change(d):
            *parents, key = path
            for p in parents:
                d = d[p]
            d[new] = d.pop(key)
        return change

    score = base["indicators"][0]["score"]
    broken = [
        ("a required key missing (`composite.coverage`)", drop(["composite", "coverage"]),
         ["composite"], "coverage"),
        ("a required key missing (`indicators[0].effective_weight`)", drop(["indicators", 0, "effective_weight"]),
         ["indicators", 0], "effective_weight"),
        ("a score as a string", put(["indicators", 0, "score"], str(score)),
         ["indicators", 0, "score"], "is not of type"),
        ("an unknown status (`yellow`)", put(["perspectives", 0, "status"], "yellow"),
         ["perspectives", 0, "status"], "yellow"),
        ("an unknown initiative status", put(["initiatives", 0, "status"], "stalled"),
         ["initiatives", 0, "status"], "stalled"),
        ("a renamed key (`previous_score` as `previousScore`)", rename(["composite", "previous_score"], "previousScore"),
         ["composite"], "previousScore"),
        ("an extra top-level key", put(["extra"], 1), [], "extra"),
        ("a band target with three bounds", put(["indicators", 0, "target"], [1, 2, 3]),
         ["indicators", 0, "target"], ""),
        ("a coverage above 1", put(["composite", "coverage"], 1.5), ["composite", "coverage"], "1.5"),
    ]
    for what, change, at, word in broken:
        data = copy.deepcopy(base)
        change(data)
        errors = all_errors(validator, data)
        relevant = [e for e in errors if list(e.absolute_path) == at and word in e.message]
        if relevant:
            print(f"ok   broken output rejected: {what} ({describe(relevant[0])})")
        else:
            failures += 1
            print(f"FAIL broken output accepted: {what}")
            for e in errors:
                print(f"       {describe(e)}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
