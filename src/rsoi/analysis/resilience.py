"""Resilience: the cost of losing one friendly logistics node.

One variant per friendly node (a place in South Korea with cargo or aircraft capacity): the
scenario with that node's capacity lost from a given period (the single-node-loss
sensitivity of the alliance's own network, in the spirit of the attacker-defender models in
GLOSSARY.md). `resilience.csv` ranks nodes by the objective increase; a node whose variant
failed keeps its row with its status and error.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rsoi.analysis.common import (
    Settings,
    base_row,
    check_columns,
    largest_increases,
    run_variants,
    write_summary,
)
from rsoi.analysis.warm import VariantResult, tidy
from rsoi.model.variant import BASELINE, Variant
from rsoi.results.tables import atomic_run_dir, write_csv


def friendly_nodes(spec) -> list[str]:
    """Places in South Korea with cargo or aircraft capacity: the nodes a resilience run removes."""
    return sorted(
        p.id
        for p in spec.places
        if p.country == "KR" and (p.cargo_t_per_day is not None or p.mog is not None)
    )


def node_variant(node: str, from_period: int) -> Variant:
    return Variant(
        f"loss-{node}",
        attacks=((node, from_period, 0.0),),
        description=f"{node} lost from period {from_period}",
    )


def _ranked(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    order = table["objective_increase"].fillna(float("inf"))  # failed members first
    table = table.assign(_order=order).sort_values(["_order", "node"], ascending=[False, True])
    return table.drop(columns="_order").reset_index(drop=True)


def resilience(
    model_path: str | Path,
    scenario: str | None,
    target: Path,
    nodes: list[str],
    from_period: int = 1,
    settings: Settings | None = None,
) -> tuple[pd.DataFrame, VariantResult]:
    """Rank `nodes` by how much losing each raises the objective; write `target/` atomically."""
    settings = settings or Settings()
    variants = [BASELINE, *(node_variant(n, from_period) for n in nodes)]

    with atomic_run_dir(target, analysis="resilience") as tmp:
        results = run_variants(model_path, scenario, variants, tmp, settings, largest_increases)
        base = results[0]
        rows = []
        for node, r in zip(nodes, results[1:], strict=True):
            row = {"node": node, **base_row(r)}
            row["objective_increase"] = tidy(r.objective - base.objective) if r.ok else float("nan")
            rows.append({**row, **check_columns(r)})
        columns = ["node", "status", "objective_increase"]
        table = _ranked(rows) if rows else pd.DataFrame(columns=[*columns, "error", "check"])
        table = table[columns + [c for c in table.columns if c not in columns]]
        write_csv(tmp / "resilience.csv", table)
        write_summary(
            tmp,
            "resilience",
            model_path,
            scenario,
            results,
            settings,
            {
                "from_period": from_period,
                "baseline": {"status": base.status, "objective": base.objective},
                "baseline_check": base.checked,
            },
        )
    return table, base
