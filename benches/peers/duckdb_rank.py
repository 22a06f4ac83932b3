#!/usr/bin/env python3
"""Runs duckdb_rank.sql on a file: the ranking of
`bsc evaluate card.toml --data FILE --format csv` for a linear-only card.

    python3 benches/peers/duckdb_rank.py DATA.csv [PARAMS.csv] > ranking.csv

PARAMS defaults to the `card-params.csv` beside DATA. Prints `rank,unit,composite`
(composites with 17 significant digits, enough to round-trip a double).
"""

import csv
import os
import sys

import duckdb


def literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def main() -> None:
    data = sys.argv[1]
    params = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(data), "card-params.csv")
    sql = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "duckdb_rank.sql")).read()
    con = duckdb.connect()
    con.execute(f"SET VARIABLE data = {literal(data)}")
    con.execute(f"SET VARIABLE params = {literal(params)}")
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["rank", "unit", "composite"])
    for rank, unit, composite in con.sql(sql).fetchall():
        out.writerow([rank, unit, repr(composite)])


if __name__ == "__main__":
    main()
