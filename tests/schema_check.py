#!/usr/bin/env python3
"""Checks the JSON Schemas printed by `bsc schema` (scorecards) and `bsc
schema --measurements` against the examples.

Usage: python3 tests/schema_check.py path/to/bsc

Every scorecards/*.toml with a `[scorecard]` table must validate against
the schema (Draft 2020-12, whatever `$schema` the output declares), and a
deliberately broken copy must be rejected, so the check proves something:
an indicator with the unknown key `wieght`, and one with `weight = "x"`;
a measurements file with the unknown key `valeus`, and a target "high".
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


if __name__ == "__main__":
    sys.exit(main())
