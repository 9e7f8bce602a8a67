"""A finished run, read back once: the one source the map, the GeoPackage and the report read.

`load_run` reads the run folder's result CSVs and ``summary.json`` and the prepared model
(re-loaded from ``model_file``, or handed over in memory by ``solve``). Every run-derived
quantity the outputs share (period dates, place loads and capacities, the title) lives here,
so `gis`, `mapping` and `report` never import one another for data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rsoi.errors import Problem
from rsoi.lp.prepare import Prepared

RUN_TABLES = ("allocations", "apportionment", "flows", "shortfalls", "duals")
IN_TRANSIT = "in_transit"  # apportionment "theater" of a share on its way between theaters
STRING_COLUMNS = [
    "provider",
    "nation",
    "task",
    "place",
    "theater",
    "period_start",
    "capability_unit",
    "force",
    "branch",
    "assignment",
    "route",
    "origin",
    "destination",
    "mode",
    "commodity",
    "unit",
    "family",
    "requirement",
    "item",
    "priority",
    "constraint",
    "entity_kind",
    "entity",
    "source",
]


@dataclass
class RunData:
    """A finished run, read back: its folder, summary, result tables and prepared model."""

    folder: Path
    summary: dict
    tables: dict[str, pd.DataFrame]
    prep: Prepared
    model_path: Path
    model_changed: bool  # the model file's hash differs from the run's input_hash

    @property
    def days(self) -> float:
        return float(self.prep.days)

    @property
    def periods(self) -> np.ndarray:
        """1 .. T."""
        return np.arange(1, self.prep.T + 1)

    @property
    def geodata_dir(self) -> Path:
        """The folder of the model's geodata (see `rsoi.model.loader.geodata_dir`)."""
        from rsoi.model.loader import geodata_dir

        return geodata_dir(self.model_path, self.prep.spec)

    @property
    def c_day(self) -> pd.Timestamp:
        """C-day, midnight UTC."""
        return pd.Timestamp(self.prep.spec.horizon.c_day, tz="UTC")

    def period_start(self, periods: pd.Series) -> pd.Series:
        """Start datetime (UTC) of each period: C-day + (t-1) x period length."""
        offset = pd.to_timedelta((periods.astype(float) - 1) * self.days, unit="D")
        return (self.c_day + offset).astype("datetime64[ms, UTC]")

    def horizon_end(self) -> pd.Timestamp:
        """End of the last period (UTC)."""
        return self.c_day + pd.Timedelta(days=self.prep.T * self.days)


def load_run(folder: Path, prep: Prepared | None = None, summary: dict | None = None) -> RunData:
    """Read a run folder and re-load its model and scenario; InputError if something is missing.

    `prep` and `summary` are the run's own prepared model and summary when the caller has them
    in memory (during `solve`, before summary.json is written): then neither is read again.
    """
    folder = Path(folder)
    summary_path = folder / "summary.json"
    if summary is None:
        if not summary_path.is_file():
            raise Problem.about(
                summary_path,
                "summary.json",
                "not a run folder",
                "give a folder written by rsoi solve",
            )
        from rsoi.results.check import load_summary

        summary = load_summary(folder)  # exit 2 naming a malformed field, never a crash later
    tables = {}
    for name in RUN_TABLES:
        path = folder / f"{name}.csv"
        if not path.is_file():
            raise Problem.about(path, name, "result table missing", "re-run `rsoi solve`")
        tables[name] = pd.read_csv(
            path, dtype={c: str for c in STRING_COLUMNS}, keep_default_na=False, na_values=[""]
        )
    raw = summary.get("model_file")
    model_path = Path(raw) if raw else Path()
    if not model_path.is_absolute():
        model_path = Path.cwd() / model_path
    if not raw or not model_path.is_file():
        raise Problem.about(
            summary_path,
            "model_file",
            f"model file not found: {raw!r} (relative paths resolve against {Path.cwd()})",
            "run from the folder the run was solved in, or set `model_file` in summary.json "
            "to the model's path",
        )
    if prep is not None:
        return RunData(folder, summary, tables, prep, model_path, False)
    from rsoi.lp.prepare import prepare
    from rsoi.model.loader import load_model

    scenario = summary.get("scenario")
    model = load_model(model_path, scenario, use_default=False)
    changed = bool(summary.get("input_hash")) and summary["input_hash"] != model.input_hash
    return RunData(folder, summary, tables, prepare(model), model_path, changed)


def map_title(run: RunData) -> str:
    """Model, scenario and horizon, for map and report titles."""
    s = run.summary
    spec = run.prep.spec
    start = dt.date.fromisoformat(spec.horizon.c_day)
    end = start + dt.timedelta(days=run.prep.T * run.days)
    return (
        f"{s.get('model', spec.name)} · scenario {s.get('scenario') or 'base'} · "
        f"{start.isoformat()} to {end.isoformat()} (notional)"
    )


# --- loads and capacities ---------------------------------------------------------------


def period_loads(run: RunData, mode: str | None = None) -> pd.DataFrame:
    """Short tons handled per (place, period): arrivals at arrival period plus departures."""
    flows = run.tables["flows"]
    if mode is not None:
        flows = flows[flows["mode"] == mode]
    arrive = flows[flows["arrival_period"] <= run.prep.T]
    both = pd.concat(
        [
            pd.DataFrame(
                {
                    "place": arrive["destination"],
                    "period": arrive["arrival_period"],
                    "t": arrive["short_tons"],
                }
            ),
            pd.DataFrame(
                {"place": flows["origin"], "period": flows["period"], "t": flows["short_tons"]}
            ),
        ],
        ignore_index=True,
    )
    return both.groupby(["place", "period"], as_index=False)["t"].sum()


def cargo_capacity(run: RunData, place: str) -> np.ndarray | None:
    """Cargo handling capacity (short tons) per period after attacks; None if unlimited."""
    p = run.prep.place_by_id[place]
    if p.cargo_t_per_day is None:
        return None
    return p.cargo_t_per_day * run.days * run.prep.place_factor[place]


def mog_capacity(run: RunData, place: str) -> np.ndarray | None:
    """Air cargo (short tons) per period the MOG allows after attacks; None if not limited."""
    p = run.prep.place_by_id[place]
    air = run.prep.spec.modes.get("air")
    if p.mog is None or air is None or air.payload_t_per_sortie is None:
        return None
    per_day = p.mog * air.sorties_per_slot_per_day * air.payload_t_per_sortie
    return per_day * run.days * run.prep.place_factor[place]


def place_utilisation(run: RunData) -> pd.DataFrame:
    """Per place with a cargo limit and period with traffic: tons, capacity and utilisation."""
    rows = []
    for place, group in period_loads(run).groupby("place"):
        cap = cargo_capacity(run, place)
        if cap is None:
            continue
        for t, tons in zip(group["period"], group["t"], strict=True):
            rows.append((place, int(t), tons, cap[t - 1]))
    frame = pd.DataFrame(rows, columns=["place", "period", "tons", "capacity_t"])
    frame["utilisation"] = np.divide(
        frame["tons"], frame["capacity_t"], out=np.zeros(len(frame)), where=frame["capacity_t"] > 0
    )
    return frame.sort_values(["place", "period"], ignore_index=True)
