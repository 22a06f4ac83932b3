#!/usr/bin/env python3
"""The ranking of `bsc evaluate card.toml --data FILE --format csv`, in polars,
for a card of linear indicators only (`gen --linear`).

    python3 benches/peers/polars_rank.py DATA.csv [PARAMS.csv] > ranking.csv

PARAMS is the `card-params.csv` that `gen --linear` writes beside the card
(default: beside DATA): one row per indicator with its objective,
perspective, weights, baseline, target and cap. The latest period is
evaluated (the greatest label: gen's labels `2025-Q4 < 2026-Q1` sort as text
as bsc sorts them); scores are the linear rule of docs/format.md,
clamp(100 * (actual - baseline) / (target - baseline), 0, cap); weighted means
go up objective -> perspective -> composite, leaving out indicators without a
value (the card's `missing = "renormalize"`); units are ranked by composite,
highest first, ties by unit name. Prints `rank,unit,composite`.
"""

import os
import sys

import polars as pl


def main() -> None:
    data = sys.argv[1]
    params = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(data), "card-params.csv")
    card = pl.read_csv(
        params,
        schema_overrides={
            "objective_weight": pl.Float64,
            "perspective_weight": pl.Float64,
            "weight": pl.Float64,
            "baseline": pl.Float64,
            "target": pl.Float64,
            "max_score": pl.Float64,
        },
    ).lazy()
    rows = pl.scan_csv(
        data,
        schema={"period": pl.String, "unit": pl.String, "id": pl.String, "value": pl.Float64},
    )
    latest = rows.filter(pl.col("period") == pl.col("period").max())
    score = (100 * (pl.col("value") - pl.col("baseline")) / (pl.col("target") - pl.col("baseline"))).clip(
        0, pl.col("max_score")
    )
    scored = latest.join(card, on="id").with_columns(score=score)
    # Weights of the children that have a score only (renormalize).
    w = pl.col("weight").filter(pl.col("score").is_not_null())
    objectives = scored.group_by("unit", "objective").agg(
        score=(pl.col("score") * pl.col("weight")).sum() / w.sum(),
        weight=pl.col("objective_weight").first(),
        perspective=pl.col("perspective").first(),
        perspective_weight=pl.col("perspective_weight").first(),
    )
    perspectives = objectives.group_by("unit", "perspective").agg(
        score=(pl.col("score") * pl.col("weight")).sum() / w.sum(),
        weight=pl.col("perspective_weight").first(),
    )
    composite = perspectives.group_by("unit").agg(
        composite=(pl.col("score") * pl.col("weight")).sum() / w.sum(),
    )
    ranked = (
        composite.sort(["composite", "unit"], descending=[True, False])
        .with_row_index("rank", offset=1)
        .collect()
    )
    ranked.write_csv(sys.stdout, float_precision=None)


if __name__ == "__main__":
    main()
