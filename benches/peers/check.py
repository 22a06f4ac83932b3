#!/usr/bin/env python3
"""Checks that the peers compute what bsc computes, so that timing them side
by side compares the same work.

    python3 benches/peers/check.py [--bsc target/release/bsc] DATA.csv

DATA is a file written by `gen --linear` (with `card.toml` and
`card-params.csv` beside it). The check reads the card with tomllib and
compares it with card-params.csv (ids, objectives, perspectives, weights,
baselines, targets, caps; and that every indicator is linear), then runs
`bsc evaluate card.toml --data DATA --format csv` and both peers and compares
each unit's composite to 1e-9 and the order of the units. Exit 1 on any
difference.
"""

import argparse
import csv
import io
import os
import subprocess
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))


def ranking(text: str) -> list[tuple[str, float]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return [(r["unit"], float(r["composite"])) for r in rows]


def card_matches(card_path: str, params_path: str) -> list[str]:
    """Differences between the TOML card and the parameters the peers read."""
    with open(card_path, "rb") as f:
        card = tomllib.load(f)
    errors = []
    if card.get("inputs") or any("formula" in i for i in card["indicators"]):
        errors.append("the card has inputs or formulas: generate it with gen --linear")
    cap = card["scorecard"].get("max_score", 100)
    persp = {p["id"]: p.get("weight", 1) for p in card["perspectives"]}
    objs = {o["id"]: (o["perspective"], o.get("weight", 1)) for o in card["objectives"]}
    expected = {}
    for i in card["indicators"]:
        if i.get("scoring", "linear") != "linear":
            errors.append(f"{i['id']} is not linear")
            continue
        p, ow = objs[i["objective"]]
        expected[i["id"]] = (
            i["objective"], float(ow), p, float(persp[p]), float(i.get("weight", 1)),
            float(i["baseline"]), float(i["target"]), float(i.get("max_score", cap)),
        )
    with open(params_path, newline="") as f:
        got = {
            r["id"]: (
                r["objective"], float(r["objective_weight"]), r["perspective"],
                float(r["perspective_weight"]), float(r["weight"]), float(r["baseline"]),
                float(r["target"]), float(r["max_score"]),
            )
            for r in csv.DictReader(f)
        }
    for k in sorted(set(expected) | set(got)):
        if expected.get(k) != got.get(k):
            errors.append(f"{k}: card {expected.get(k)} but params {got.get(k)}")
    return errors


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--bsc", default="target/release/bsc")
    ap.add_argument("--tolerance", type=float, default=1e-9)
    a = ap.parse_args()
    folder = os.path.dirname(a.data)
    card = os.path.join(folder, "card.toml")
    params = os.path.join(folder, "card-params.csv")

    failed = False
    for e in card_matches(card, params):
        print(f"card-params.csv: {e}")
        failed = True

    def run(cmd: list[str]) -> str:
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    bsc = ranking(run([a.bsc, "evaluate", card, "--data", a.data, "--format", "csv"]))
    want = dict(bsc)
    for name, script in [("polars", "polars_rank.py"), ("duckdb", "duckdb_rank.py")]:
        peer = ranking(run([sys.executable, os.path.join(HERE, script), a.data, params]))
        got = dict(peer)
        missing = set(want) ^ set(got)
        worst = max((abs(got[u] - c) for u, c in want.items() if u in got), default=0.0)
        order = sum(1 for (u, _), (v, _) in zip(bsc, peer) if u != v)
        ok = not missing and worst <= a.tolerance and order == 0
        failed |= not ok
        print(
            f"{name}: {len(peer)} units against bsc's {len(bsc)}, {len(missing)} not in both, "
            f"largest composite difference {worst:.3g}, {order} places ranked differently: "
            + ("same" if ok else "DIFFERENT")
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
