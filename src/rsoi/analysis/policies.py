"""The price of each policy setting (``rsoi policies``): one re-solve per setting.

Settings (each a variant of the scenario as shipped, everything else unchanged):

- ROK support rheostat: each level, none .. joint_operations (`policies.rok_support.level`,
  which overrides any rung-dependent default);
- strategic flexibility on and off;
- the U.S. troop floor hard, elastic and off;
- the USFK air share at 0, 0.25, 0.5 and 1 (the bound switched on);
- North Korea opportunistic or not (the higher deterrence floor).

`policies.csv` gives for each setting the change, against the scenario as shipped, of the
objective, of each priority class's shortfall penalty, and of the combat power apportioned to
each theater (summed over periods), ranked costliest first.

With poll data (`policies.rok_support.poll`), the expected figures when the rheostat level is
drawn from the poll are in `poll.csv`. Respondents with no stated view are treated two ways:
renormalised over the stated views (the expectation reported), and, as a pessimistic bound,
all placed at `none`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from rsoi.model.schema import SupportLevel
from rsoi.model.variant import BASELINE, Variant
from rsoi.results.tables import atomic_run_dir, write_csv

AIR_SHARES = (0.0, 0.25, 0.5, 1.0)


def policy_settings() -> list[tuple[str, str, tuple[tuple[str, Any], ...]]]:
    """(policy, setting, edits) for every setting priced."""
    p = "policies."
    out: list[tuple[str, str, tuple[tuple[str, Any], ...]]] = []
    for level in SupportLevel:
        out.append(("rok_support", level.value, ((p + "rok_support.level", level.value),)))
    for on in (True, False):
        out.append(
            (
                "strategic_flexibility",
                "on" if on else "off",
                ((p + "strategic_flexibility.allowed", on),),
            )
        )
    for mode in ("hard", "elastic"):
        out.append(
            (
                "troop_floor",
                mode,
                ((p + "troop_floor.enabled", True), (p + "troop_floor.mode", mode)),
            )
        )
    out.append(("troop_floor", "off", ((p + "troop_floor.enabled", False),)))
    for share in AIR_SHARES:
        out.append(
            (
                "usfk_air_share",
                f"{share:g}",
                ((p + "usfk_air_share.enabled", True), (p + "usfk_air_share.max_share", share)),
            )
        )
    for opportunistic in (True, False):
        out.append(
            (
                "north_korea_opportunistic",
                "yes" if opportunistic else "no",
                ((p + "deterrence_floor.north_korea_opportunistic", opportunistic),),
            )
        )
    return out


def _current(spec, path: str) -> Any:
    if path == "policies.rok_support.level":  # the level in force, by rung unless set
        from rsoi.model.schema import effective_rok_level

        return effective_rok_level(spec).value
    node: Any = spec
    for key in path.split("."):
        node = getattr(node, key)
    return getattr(node, "value", node)


def _is_shipped(spec, edits) -> bool:
    return all(_current(spec, path) == value for path, value in edits)


@dataclass
class PoliciesResult:
    table: pd.DataFrame
    baseline: VariantResult
    results: list[VariantResult]
    poll: pd.DataFrame | None
    poll_lines: list[str]


def poll_expectation(spec, by_level: dict[str, VariantResult]) -> tuple[pd.DataFrame, list[str]]:
    """Expected objective and shortfall penalties when the level is drawn from the poll."""
    poll = spec.policies.rok_support.poll
    if poll is None:
        return None, []
    shares = {level.value: float(poll.shares.get(level, 0.0)) for level in SupportLevel}
    stated = sum(shares.values())
    failed = [lv for lv, s in shares.items() if s > 0 and not by_level[lv].ok]
    if failed or stated <= 0:
        return None, [f"poll expectation not computed: level(s) {', '.join(failed)} failed"]
    classes = list(next(iter(by_level.values())).shortfall_by_class)
    measures: dict[str, dict[str, float]] = {
        lv: {
            "objective": r.objective,
            "shortfall_total": sum(r.shortfall_by_class.values()),
            **{f"shortfall:{c}": r.shortfall_by_class[c] for c in classes},
        }
        for lv, r in by_level.items()
    }
    rows = []
    for measure in measures["none"]:
        renorm = sum(shares[lv] / stated * measures[lv][measure] for lv in shares)
        pessimistic = (
            sum(shares[lv] * measures[lv][measure] for lv in shares)
            + poll.no_stated_view * measures["none"][measure]
        )
        rows.append(
            {
                "measure": measure,
                **{f"at:{lv}": measures[lv][measure] for lv in shares},
                "expected_renormalised": renorm,
                "expected_no_view_at_none": pessimistic,
            }
        )
    frame = pd.DataFrame(rows)
    total = frame.loc[frame["measure"] == "shortfall_total"].iloc[0]
    lines = [
        f"poll {poll.year} ({poll.source}): "
        + ", ".join(f"{lv} {shares[lv]:.1%}" for lv in shares)
        + f", no stated view {poll.no_stated_view:.1%}",
        f"expected shortfall penalty, level drawn from the poll: "
        f"{total['expected_renormalised']:,.2f} (no-view share renormalised over stated views); "
        f"{total['expected_no_view_at_none']:,.2f} if all with no stated view sat at none",
    ]
    return frame, lines


def policies(
    model_path: str | Path,
    scenario: str | None,
    target: Path,
    settings: Settings | None = None,
) -> PoliciesResult:
    """Re-solve once per policy setting; write policies.csv, poll.csv and report.html."""
    from rsoi.model.loader import load_model

    settings = settings or Settings()
    spec = load_model(model_path, scenario, use_default=False).spec
    catalogue = policy_settings()
    variants = [BASELINE] + [
        Variant(f"{policy}={setting}", settings=edits, description=f"{policy} {setting}")
        for policy, setting, edits in catalogue
    ]

    with atomic_run_dir(target, analysis="policies") as tmp:
        results = run_variants(model_path, scenario, variants, tmp, settings, largest_increases)
        base = results[0]
        rows = []
        for (policy, setting, edits), r in zip(catalogue, results[1:], strict=True):
            row: dict[str, Any] = {
                "policy": policy,
                "setting": setting,
                "shipped": _is_shipped(spec, edits),
                "status": r.status,
                "objective_change": tidy(r.objective - base.objective) if r.ok else float("nan"),
            }
            for cls, value in r.shortfall_by_class.items():
                row[f"shortfall_change:{cls}"] = tidy(value - base.shortfall_by_class.get(cls, 0.0))
            for theater, value in r.power_by_theater.items():
                row[f"combat_power_change:{theater}"] = tidy(
                    value - base.power_by_theater.get(theater, 0.0)
                )
            row.update(base_row(r))
            row.update(check_columns(r))
            rows.append(row)
        table = pd.DataFrame(rows)
        order = table["objective_change"].fillna(float("inf"))
        table = (
            table.assign(_o=order)
            .sort_values(["_o", "policy", "setting"], ascending=[False, True, True], kind="stable")
            .drop(columns="_o")
            .reset_index(drop=True)
        )
        table.insert(0, "rank", range(1, len(table) + 1))
        write_csv(tmp / "policies.csv", table)
        by_level = {
            level.value: r
            for (policy, setting, _), r in zip(catalogue, results[1:], strict=True)
            for level in SupportLevel
            if policy == "rok_support" and setting == level.value
        }
        poll, lines = poll_expectation(spec, by_level)
        if poll is not None:
            write_csv(tmp / "poll.csv", poll)
        _report(tmp, spec.name, scenario, base, table, poll, lines)
        write_summary(
            tmp,
            "policies",
            model_path,
            scenario,
            results,
            settings,
            {
                "baseline": {"status": base.status, "objective": base.objective},
                "poll": lines,
            },
        )
    return PoliciesResult(table, base, results[1:], poll, lines)


def _report(folder: Path, model: str, scenario, base, table, poll, lines) -> None:
    from rsoi.outputs.html import CHANGE_KEY, frame_table, page

    headers = {
        "rank": "rank",
        "policy": "policy",
        "setting": "setting",
        "shipped": "as shipped?",
        "status": "solver status",
        "objective_change": "objective change (penalty units)",
    }
    judge = {"objective_change": True}
    for c in table.columns:
        if c.startswith("shortfall_change:"):
            headers[c] = f"shortfall penalty change, {c.split(':', 1)[1]} (penalty units)"
            judge[c] = True
        elif c.startswith("combat_power_change:"):
            headers[c] = f"combat power change, {c.split(':', 1)[1]} (combat power)"
            judge[c] = False  # more power in a theater is better for it
    headers["check"] = "independent check"
    ranked = (
        "<p>Each setting re-solved with everything else as shipped; change = setting − "
        "baseline, ranked by objective change (cheapest first).</p>"
        + CHANGE_KEY
        + frame_table(table, headers, judge)
    )
    sections = [("ranked", "Ranked settings (change against the scenario as shipped)", ranked)]
    if poll is not None:
        text = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
        poll_headers = {"measure": "measure (penalty units)"}
        poll_headers.update(
            {
                c: f"at level {c.split(':', 1)[1]} (penalty units)"
                for c in poll.columns
                if c.startswith("at:")
            }
        )
        poll_headers["expected_renormalised"] = (
            "expected, no-view share renormalised (penalty units)"
        )
        poll_headers["expected_no_view_at_none"] = "expected, no view at none (penalty units)"
        sections.append(
            ("poll", "Rheostat level drawn from the poll", text + frame_table(poll, poll_headers))
        )
    note = (
        f"Model {html.escape(model)}, scenario {html.escape(str(scenario or 'base'))}; baseline "
        f"objective {base.objective:,.2f} ({html.escape(base.status)}). One re-solve per "
        "setting, everything else as shipped. Notional data."
    )
    (folder / "report.html").write_text(
        page("rsoi policies: the price of each setting", sections, note=note), encoding="utf-8"
    )
