"""Turn a solution into tidy tables and write a run folder atomically.

Tables have one row per index tuple, named columns, and units in the column names. Values are
written with 9 significant digits and exact zeros for |v| < 1e-9, so the same input gives
byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rsoi.errors import InputError, Problem
from rsoi.lp.build import Context
from rsoi.lp.build.units import effective_power
from rsoi.lp.interrupt import signals_deferred
from rsoi.lp.program import LinearProgram
from rsoi.lp.solve import Solution
from rsoi.model.safeio import FileRefused, require_regular_file
from rsoi.results.cargo import cargo_flows, cargo_ledger
from rsoi.results.csvcells import neutralise_cell, restore_cell  # noqa: F401 (re-exported)

ZERO = 1e-9


@dataclass
class Tables:
    """The result tables of one run."""

    allocations: pd.DataFrame
    apportionment: pd.DataFrame
    flows: pd.DataFrame
    inventory: pd.DataFrame
    shortfalls: pd.DataFrame
    duals: pd.DataFrame
    deliveries: pd.DataFrame
    production: pd.DataFrame
    cargo_flows: pd.DataFrame
    cargo_ledger: pd.DataFrame

    def items(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("allocations", self.allocations),
            ("apportionment", self.apportionment),
            ("flows", self.flows),
            ("inventory", self.inventory),
            ("deliveries", self.deliveries),
            ("production", self.production),
            ("cargo_flows", self.cargo_flows),
            ("cargo_ledger", self.cargo_ledger),
            ("shortfalls", self.shortfalls),
            ("duals", self.duals),
        ]


def _clean(values: np.ndarray) -> np.ndarray:
    out = np.where(np.abs(values) < ZERO, 0.0, values)
    return out + 0.0  # no negative zeros


def _period_start(ctx: Context, periods: pd.Series | np.ndarray) -> np.ndarray:
    """ISO date each period starts on (C-day + (t - 1) period lengths)."""
    c_day = dt.date.fromisoformat(ctx.spec.horizon.c_day)
    days = ctx.spec.horizon.period_days
    lookup = np.array(
        [(c_day + dt.timedelta(days=t * days)).isoformat() for t in range(ctx.T)], dtype=object
    )
    return lookup[np.asarray(periods, dtype=np.int64) - 1]


def _in_transit(ctx: Context, x: np.ndarray) -> pd.DataFrame:
    """Share of each force in transit per period (theater `in_transit`)."""
    prep, T = ctx.prep, ctx.T
    moving: dict[tuple[str, int], float] = {}
    for f in ctx.spec.forces:
        for t in range(1, T + 1):
            moving[(f.id, t)] = 0.0
    if ctx.deploy is not None:
        values = x[ctx.deploy.ids]
        for (f, th, t0), v in zip(
            ctx.deploy.index.itertuples(index=False, name=None), values, strict=True
        ):
            for t in range(t0, t0 + prep.force_lag[(f, th)]):
                moving[(f, t)] += float(v)
    if ctx.swing is not None:
        values = x[ctx.swing.ids]
        for (f, a, b, t0), v in zip(
            ctx.swing.index.itertuples(index=False, name=None), values, strict=True
        ):
            for t in range(t0, t0 + prep.swing_lag[(f, a, b)]):
                moving[(f, t)] += float(v)
    return pd.DataFrame(
        [(f, "in_transit", t, v) for (f, t), v in moving.items()],
        columns=["force", "theater", "period", "share"],
    )


def make_tables(lp: LinearProgram, ctx: Context, sol: Solution) -> Tables:
    """Tidy tables of allocations, apportionment, flows, inventory, shortfalls and duals."""
    x = sol.x
    spec = ctx.spec
    prep = ctx.prep
    comm = {c.id: c for c in spec.commodities}
    tasks = {t.id.value: t for t in spec.tasks}

    # allocations (non-zero)
    a = lp.variables["allocation"]
    alloc = a.index.copy()
    alloc["units_allocated"] = _clean(x[a.ids])
    alloc["capability_per_day"] = _clean(alloc["units_allocated"].to_numpy() * ctx.alloc_cap)
    alloc["capability_unit"] = alloc["task"].map(lambda t: tasks[t].unit)
    alloc["nation"] = ctx.alloc_nation
    alloc = alloc[alloc["units_allocated"] > 0]
    alloc.insert(
        alloc.columns.get_loc("period") + 1, "period_start", _period_start(ctx, alloc["period"])
    )
    alloc = alloc[
        [
            "provider",
            "nation",
            "task",
            "place",
            "theater",
            "period",
            "period_start",
            "units_allocated",
            "capability_per_day",
            "capability_unit",
        ]
    ]

    # apportionment (all tuples), plus one `in_transit` row per force and period: the share
    # that has left home or a theater and not yet arrived (it counts in no theater)
    s = lp.variables["share"]
    forces = {f.id: f for f in spec.forces}
    transit = _in_transit(ctx, x)
    app = pd.concat([s.index, transit[["force", "theater", "period"]]], ignore_index=True)
    share = _clean(np.concatenate([x[s.ids], transit["share"].to_numpy(float)]))
    app["period_start"] = _period_start(ctx, app["period"])
    app["nation"] = app["force"].map(lambda f: forces[f].nation)
    app["branch"] = app["force"].map(lambda f: forces[f].branch.value)
    app["assignment"] = app["force"].map(lambda f: forces[f].assignment.value)
    app["share"] = share
    # combat power as the LP counts it: scaled at an attacked home base (rules.at_attacked_place)
    power = np.concatenate([effective_power(ctx), transit["force"].map(
        lambda f: forces[f].combat_power).to_numpy(float)])  # fmt: skip
    app["combat_power"] = _clean(share * power)
    app["troops"] = _clean(share * app["force"].map(lambda f: forces[f].troops).to_numpy(float))
    app = app[
        [
            "force",
            "nation",
            "branch",
            "assignment",
            "theater",
            "period",
            "period_start",
            "share",
            "combat_power",
            "troops",
        ]
    ]

    # flows (non-zero), summed over cargo classes (cargo_ledger.csv has them by class)
    fb = lp.variables["flow"]
    fx = x[fb.ids]
    key = pd.DataFrame({"r": ctx.f_route, "k": ctx.f_comm, "t": ctx.f_t, "q": fx})
    key = key.groupby(["r", "k", "t"], sort=False)["q"].sum().reset_index()
    key["q"] = _clean(key["q"].to_numpy())
    key = key[key["q"] > 0]
    r_pos, k_pos = key["r"].to_numpy(np.int64), key["k"].to_numpy(np.int64)
    t_pos = key["t"].to_numpy(np.int64)
    routes = prep.routes
    flows = pd.DataFrame(
        {
            "route": [ctx.route_ids[i] for i in r_pos],
            "origin": [routes[i].origin for i in r_pos],
            "destination": [routes[i].destination for i in r_pos],
            "mode": [routes[i].mode.value for i in r_pos],
            "theater": [routes[i].theater for i in r_pos],
            "commodity": [ctx.commodity_ids[k] for k in k_pos],
            "period": t_pos,
            "period_start": _period_start(ctx, t_pos),
            "arrival_period": t_pos + ctx.r_lag[r_pos],
            "quantity": key["q"].to_numpy(),
        }
    )
    flows["unit"] = flows["commodity"].map(lambda k: comm[k].unit)
    flows["short_tons"] = _clean(flows["quantity"].to_numpy() * ctx.tons[k_pos])

    # inventory (non-zero), summed over cargo classes
    ib = lp.variables["inventory"]
    inv = ib.index[["place", "commodity", "period"]].copy()
    inv["quantity"] = x[ib.ids]
    inv["place"] = inv["place"].astype(str)
    inv["commodity"] = inv["commodity"].astype(str)
    inv = inv.groupby(["place", "commodity", "period"], sort=False)["quantity"].sum().reset_index()
    inv["quantity"] = _clean(inv["quantity"].to_numpy())
    inv = inv[inv["quantity"] > 0].copy()
    inv["unit"] = inv["commodity"].map(lambda k: comm[k].unit)
    inv["short_tons"] = _clean(
        inv["quantity"].to_numpy()
        * inv["commodity"].map(lambda k: comm[k].short_tons_per_unit).to_numpy(float)
    )

    # deliveries and production (non-zero)
    deliveries = _summed(lp.variables["delivery"], x, ["demand", "place", "commodity", "period"])
    lad = {d.id: d.lad for d in prep.demands}
    late = deliveries["period"].to_numpy() - deliveries["demand"].map(lad).to_numpy(int)
    deliveries["periods_late"] = np.maximum(late, 0)
    production = _nonzero(lp.variables["production"], x, ["line", "place", "commodity", "period"])

    return Tables(
        allocations=alloc.reset_index(drop=True),
        apportionment=app.reset_index(drop=True),
        flows=flows,
        inventory=inv.reset_index(drop=True),
        shortfalls=_shortfalls(lp, ctx, x),
        duals=_duals(lp, sol),
        deliveries=deliveries,
        production=production,
        cargo_flows=cargo_flows(ctx, x),
        cargo_ledger=cargo_ledger(lp, ctx, x),
    )


def _summed(block, x: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """Like `_nonzero`, summed over the columns not named (the cargo class)."""
    frame = block.index[columns].copy()
    frame["quantity"] = x[block.ids]
    for c in columns:
        if isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = frame[c].astype(str)
    frame = frame.groupby(columns, sort=False)["quantity"].sum().reset_index()
    frame["quantity"] = _clean(frame["quantity"].to_numpy())
    return frame[frame["quantity"] > 0].reset_index(drop=True)


def _nonzero(block, x: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """Rows of a variable block with a positive value, as index columns plus `quantity`."""
    frame = block.index[columns].copy()
    frame["quantity"] = _clean(x[block.ids])
    return frame[frame["quantity"] > 0].reset_index(drop=True)


def _shortfalls(lp: LinearProgram, ctx: Context, x: np.ndarray) -> pd.DataFrame:
    """One row per requirement (and period): required, delivered, shortfall, priority class."""
    rows = []
    prep = ctx.prep
    comm = {c.id: c for c in ctx.spec.commodities}
    # demand lines
    if prep.demands:
        short = x[lp.variables["demand_shortfall"].ids]
        deliv = lp.variables["delivery"]
        dx = x[deliv.ids]
        late = np.zeros(len(prep.demands))
        pos = {d.id: i for i, d in enumerate(prep.demands)}
        lad = np.array([d.lad for d in prep.demands])
        di = deliv.index["demand"].map(pos).to_numpy()
        np.add.at(late, di, np.where(deliv.index["period"].to_numpy() > lad[di], dx, 0.0))
        for i, d in enumerate(prep.demands):
            rows.append(
                (
                    "demand",
                    d.id,
                    d.commodity,
                    d.place,
                    ctx.spec.places[ctx.place_pos[d.place]].theater,
                    d.lad,
                    comm[d.commodity].unit,
                    d.quantity,
                    d.quantity - short[i],
                    late[i],
                    short[i],
                    d.priority,
                )
            )
    # task requirements
    if "task_shortfall" in lp.variables:
        tb = lp.variables["task_shortfall"]
        req = {q.id: q for q in prep.requirements}
        units = {t.id.value: t.unit for t in ctx.spec.tasks}
        v = x[tb.ids]
        for (rid, t), short in zip(tb.index.itertuples(index=False, name=None), v, strict=True):
            q = req[rid]
            rows.append(
                (
                    "task",
                    rid,
                    q.task.value,
                    q.place,
                    q.theater,
                    t,
                    units[q.task.value],
                    q.amount,
                    q.amount - short,
                    0.0,
                    short,
                    q.priority,
                )
            )
    if "combat_shortfall" in lp.variables:
        cb = lp.variables["combat_shortfall"]
        v = x[cb.ids]
        for (theater, t, line), short, cap in zip(
            cb.index.itertuples(index=False, name=None), v, cb.upper, strict=True
        ):
            c = ctx.spec.combat_requirements[line]
            rows.append(
                (
                    "combat_power",
                    f"combat_power:{theater}:{line}",
                    "combat_power",
                    "",
                    theater,
                    t,
                    "combat power",
                    cap,
                    cap - short,
                    0.0,
                    short,
                    c.priority,
                )
            )
    for name in ("policy_deterrence_floor", "policy_troop_floor"):
        if f"{name}_shortfall" in lp.variables:
            sb = lp.variables[f"{name}_shortfall"]
            v = x[sb.ids]
            pol = getattr(ctx.spec.policies, name.removeprefix("policy_"))
            unit = "troops" if "troop" in name else "combat power"
            for t, short, cap in zip(sb.index["period"], v, sb.upper, strict=True):
                rows.append(
                    (
                        "policy",
                        name,
                        name.removeprefix("policy_"),
                        "",
                        "korea",
                        t,
                        unit,
                        cap,
                        cap - short,
                        0.0,
                        short,
                        pol.priority,
                    )
                )
    frame = pd.DataFrame(
        rows,
        columns=[
            "family",
            "requirement",
            "item",
            "place",
            "theater",
            "period",
            "unit",
            "required",
            "delivered",
            "delivered_late",
            "shortfall",
            "priority",
        ],
    )
    for col in ("required", "delivered", "delivered_late", "shortfall"):
        frame[col] = _clean(frame[col].to_numpy(float))
    return frame


def _duals(lp: LinearProgram, sol: Solution) -> pd.DataFrame:
    """Every named constraint with its activity, bounds, shadow price, entity and source."""
    frames = []
    for block in lp.constraints.values():
        if block.size == 0:
            continue
        sl = slice(block.start, block.start + block.size)
        idx = block.index
        frame = pd.DataFrame(
            {
                "constraint": lp.row_names(block),
                "family": block.name,
                "entity_kind": block.entity,
                "entity": idx[block.entity].astype(str).to_numpy() if block.entity in idx else "",
                "period": idx["period"].to_numpy() if "period" in idx else 0,
                "activity": _clean(sol.row_activity[sl]),
                "lower": block.lower,
                "upper": block.upper,
                "shadow_price": _clean(sol.row_dual[sl]),
                "range_from": _clean(sol.row_range[0][sl]) if sol.row_range else np.nan,
                "range_to": _clean(sol.row_range[1][sl]) if sol.row_range else np.nan,
                "source": block.source,
            }
        )
        frames.append(frame)
    duals = pd.concat(frames, ignore_index=True)
    duals["binding"] = np.abs(duals["shadow_price"].to_numpy()) > 1e-9
    # the range is the bound interval over which the shadow price holds: binding rows only
    for col in ("range_from", "range_to"):
        duals[col] = duals[col].where(duals["binding"], np.nan)
    duals["lower"] = duals["lower"].replace(-np.inf, np.nan)
    duals["upper"] = duals["upper"].replace(np.inf, np.nan)
    return duals


# --- run folders ------------------------------------------------------------------------

RUN_FORMAT = "rsoi-run/1"
"""`format` in a run folder's summary.json: marks a folder rsoi wrote as a run."""
ANALYSIS_MARKER = "analysis.json"
"""File marking a folder rsoi wrote for a many-solve command (sweep, resilience, ...)."""
ANALYSIS_FORMAT = "rsoi-analysis/1"
"""`format` in ANALYSIS_MARKER."""
OWNER_FILE = ".rsoi-owner.json"
"""Inside a temporary run folder while it is built: host, pid and process start time."""
MARKER_MAX_BYTES = 1_000_000
"""A marker file larger than this is not one rsoi wrote."""


class RunExists(FileExistsError):
    """The chosen run folder exists and `force` was not given."""


def default_run_dir(root: Path, model: str, scenario: str | None) -> Path:
    """runs/<model>-<scenario>-<UTC time>-<pid>: the process id keeps parallel runs apart."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    base = root / fit_name(f"{model}-{scenario or 'base'}", f"-{stamp}-{os.getpid()}")
    candidate, n = base, 1
    while candidate.exists():  # same second: a new folder, never an overwrite
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


NAME_BYTES = 200
"""Longest folder name rsoi makes itself (file systems allow 255 bytes; temporary names add
a prefix and suffix to the run folder's name)."""
MANIFEST_KEY = "files"
"""Key in the marker (summary.json or analysis.json): every file rsoi wrote into the folder."""


def fit_name(stem: str, tail: str = "", limit: int = NAME_BYTES) -> str:
    """`stem + tail` within `limit` bytes: a long stem is cut and given a short hash."""
    import hashlib

    name = stem + tail
    if len(os.fsencode(name)) <= limit:
        return name
    digest = hashlib.sha256(os.fsencode(stem)).hexdigest()[:8]
    room = limit - len(os.fsencode(tail)) - len(digest) - 1
    cut = os.fsencode(stem)[: max(room, 1)].decode("utf-8", "ignore")
    return f"{cut}-{digest}{tail}"


def refuse_links(path: Path, what: str = "--out") -> None:
    """InputError if any component of `path`, as given, is a symbolic link.

    rsoi never writes through a link: a link inside or above a run folder could send a write
    into the model's own data. Components above a relative path (the current directory's own
    ancestors) are not looked at.
    """
    path = Path(path)
    here = Path(path.anchor) if path.is_absolute() else Path()
    for part in path.parts[1:] if path.is_absolute() else path.parts:
        here = here / part
        if part in (".", ".."):
            continue
        if here.is_symlink():
            raise Problem.about(
                str(path),
                what,
                f"{here} is a symbolic link; rsoi never writes through a link",
                "give the real path (or remove the link), then re-run",
            )


def preflight_out(target: Path) -> None:
    """Before a solve: exit 2 now for an --out that cannot be written later.

    A link among its components, a name longer than the file system allows, or a parent folder
    that cannot be created or written (read-only file system, no permission).
    """
    target = Path(target)
    refuse_links(target)
    if len(os.fsencode(target.name)) > 255:
        raise Problem.about(
            str(target)[:80] + "...",
            "--out",
            f"the folder name is {len(os.fsencode(target.name))} bytes long; "
            "too long: file systems allow 255",
            "choose a shorter --out",
        )
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        reason = "read-only file system" if _read_only(parent) else "no permission to write"
        raise Problem.about(
            str(target),
            "--out",
            f"cannot create the folder it goes in: {reason} ({parent})",
            "choose an --out in a writable folder",
        )


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _marker(path: Path) -> dict:
    """A small regular JSON file's object, or {}."""
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MARKER_MAX_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _marker_format(path: Path) -> str:
    """The `format` field of a small regular JSON file, or ''."""
    value = _marker(path).get("format")
    return value if isinstance(value, str) else ""


def _marker_path(folder: Path) -> Path | None:
    if _marker_format(folder / "summary.json").startswith("rsoi-run/"):
        return folder / "summary.json"
    if _marker_format(folder / ANALYSIS_MARKER).startswith("rsoi-analysis/"):
        return folder / ANALYSIS_MARKER
    return None


def _files_under(folder: Path) -> list[str]:
    """Every entry below `folder` that is not a folder (files, links, FIFOs), relative, sorted."""
    found = []
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_dir():
            found.append(path.relative_to(folder).as_posix())
    return sorted(found)


def folder_manifest(folder: Path, marker_name: str) -> list[str]:
    """The files of rsoi's private temporary `folder`, its marker `marker_name` included."""
    return sorted((set(_files_under(folder)) - {OWNER_FILE}) | {marker_name})


def record_manifest(folder: Path, added: Iterable[Path] | None = None) -> None:
    """Write the list of files rsoi wrote into the folder's marker.

    With `added` (e.g. the files `map` wrote into an existing run folder), those are added to
    the list already there; without, the list is every file now in the folder (called while
    the folder is still rsoi's private temporary one).
    """
    marker = _marker_path(folder)
    if marker is None:
        return
    data = _marker(marker)
    if added is None:
        files = set(folder_manifest(folder, marker.name))
        if data.get(MANIFEST_KEY) == sorted(files):  # the marker was written with it: once
            return
    else:
        files = set(data.get(MANIFEST_KEY) or [])
        for path in added:
            path = Path(path)
            inner = [path] if path.is_symlink() or not path.is_dir() else path.rglob("*")
            files.update(
                p.relative_to(folder).as_posix() for p in inner if p.is_symlink() or not p.is_dir()
            )
    data[MANIFEST_KEY] = sorted(files | {marker.name})
    write_json(marker, data)


def unlisted_files(folder: Path) -> list[str] | None:
    """Files in an rsoi output folder that its manifest does not list (None: no manifest)."""
    marker = _marker_path(folder)
    listed = _marker(marker).get(MANIFEST_KEY) if marker is not None else None
    if not isinstance(listed, list):
        return None
    return [f for f in _files_under(folder) if f not in set(listed)]


def is_rsoi_output_dir(path: Path) -> bool:
    """True only for a real folder (not a symlink) that rsoi wrote as a run or analysis folder.

    A run folder has `summary.json` with `"format": "rsoi-run/…"`; a sweep or other analysis
    folder has `analysis.json` with `"format": "rsoi-analysis/…"`. This is the only test
    `--force` trusts before deleting anything.
    """
    path = Path(path)
    if path.is_symlink() or not path.is_dir():
        return False
    return _marker_format(path / "summary.json").startswith("rsoi-run/") or _marker_format(
        path / ANALYSIS_MARKER
    ).startswith("rsoi-analysis/")


def write_analysis_marker(folder: Path, analysis: str, **fields: object) -> None:
    """Mark `folder` as an analysis folder rsoi wrote (so `--force` may replace it)."""
    write_json(
        folder / ANALYSIS_MARKER,
        {
            "format": ANALYSIS_FORMAT,
            "analysis": analysis,
            **fields,
            MANIFEST_KEY: [ANALYSIS_MARKER],
        },
    )


def not_a_run_folder(target: Path, reason: str) -> InputError:
    return Problem.about(
        str(target),
        "--out",
        f"not a run folder: {reason}; --force replaces only a folder rsoi wrote",
        "choose another --out (nothing was changed)",
    )


def check_replaceable(target: Path, protect: Iterable[Path] = ()) -> None:
    """Raise InputError unless `--force` may replace `target`.

    Refused: a file or symlink, the current directory or any of its ancestors, an ancestor of
    a path in `protect` (the model file), and any folder without rsoi's format marker.
    """
    target = Path(target)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise not_a_run_folder(target, "it is a file, not a folder")
    if not target.exists():
        return
    real = target.resolve()
    cwd = Path.cwd().resolve()
    if cwd.is_relative_to(real):
        raise not_a_run_folder(target, "it is the current directory or one of its parents")
    for path in protect:
        if Path(path).resolve().is_relative_to(real):
            raise not_a_run_folder(target, f"it holds {path}")
    if not is_rsoi_output_dir(target):
        raise not_a_run_folder(
            target, f"it has no summary.json or {ANALYSIS_MARKER} with rsoi's format marker"
        )
    unlisted = unlisted_files(target)
    if unlisted is None:
        raise not_a_run_folder(
            target,
            "its marker lists no files rsoi wrote (a copied summary.json, or a folder of an "
            "older rsoi: remove it by hand)",
        )
    if unlisted:
        more = f" and {len(unlisted) - 5} more" if len(unlisted) > 5 else ""
        raise not_a_run_folder(
            target,
            f"it holds files rsoi did not write: {', '.join(unlisted[:5])}{more}",
        )


MAX_RUN_FILE_BYTES = 2 * 1024**3
"""A run folder's table larger than this is not one rsoi wrote (checked before reading)."""


def require_readable_run_folder(folder: Path) -> None:
    """InputError unless the run folder's summary and tables are regular files of sane size.

    `check` and `map` read them with libraries that would block forever on a FIFO put in
    place of `flows.csv`, or read `/dev/zero` behind a symlink until memory runs out.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return  # the readers say "not a folder" themselves
    problems = []
    for path in sorted(folder.glob("*")):
        if path.suffix not in (".csv", ".json"):
            continue
        try:
            require_regular_file(path, MAX_RUN_FILE_BYTES, path.name)
        except FileRefused as exc:
            problems.append(Problem(str(path), None, None, path.name, exc.message, exc.hint))
    if problems:
        raise InputError(problems)


LEFTOVER_PATTERNS = (".*.tmp-*", ".*.tmp-*-journal", ".*.tmp-*-wal", ".*.tmp-*-shm")
"""Temporary files `atomic_write` leaves when killed (SIGKILL) mid-write, SQLite's included."""


def write_leftovers(folder: Path) -> list[Path]:
    """Temporary files of an interrupted write in a run folder (and its geojson/ folder)."""
    found: set[Path] = set()
    for where in (folder, folder / "geojson"):
        if where.is_dir() and not where.is_symlink():
            for pattern in LEFTOVER_PATTERNS:
                found.update(p for p in where.glob(pattern) if p.is_symlink() or p.is_file())
    return sorted(found)


def remove_write_leftovers(folder: Path) -> list[Path]:
    """Remove what a killed `map` left (never part of a run); returns the paths removed."""
    removed = write_leftovers(folder)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _process_start(pid: int) -> str:
    """Start time of process `pid` in clock ticks since boot ('' if unknown or not running)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return text.rsplit(")", 1)[-1].split()[19]  # field 22 of stat, after the command name


def _owner() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": _process_start(os.getpid())}


def _owner_is_dead(owner: dict) -> bool:
    """Proven dead: same host, and no process with that pid started at that time."""
    if owner.get("host") != socket.gethostname() or not isinstance(owner.get("pid"), int):
        return False
    pid = owner["pid"]
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    start = owner.get("start")
    return bool(start) and _process_start(pid) not in ("", start)


def remove_stale_temp_dirs(parent: Path) -> list[Path]:
    """Remove `.NAME.tmp-*` / `.NAME.old-*` folders of runs whose process is proven dead."""
    removed: list[Path] = []
    try:
        candidates = sorted(parent.glob(".*.tmp-*")) + sorted(parent.glob(".*.old-*"))
    except OSError:
        return removed
    for folder in candidates:
        if folder.is_symlink() or not folder.is_dir():
            continue
        try:
            owner = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            continue  # not provably ours or not provably dead: leave it
        if isinstance(owner, dict) and _owner_is_dead(owner):
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                removed.append(folder)
    return removed


def _make_work_dir(parent: Path, prefix: str) -> Path:
    """A new hidden folder honouring the umask (mkdtemp would make it 0700), with an owner file."""
    for _ in range(100):
        folder = parent / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            folder.mkdir(mode=0o777)
        except FileExistsError:
            continue
        (folder / OWNER_FILE).write_text(json.dumps(_owner()), encoding="utf-8")
        return folder
    raise FileExistsError(f"no free temporary folder name in {parent}")


@contextlib.contextmanager
def atomic_run_dir(
    target: Path,
    force: bool = False,
    protect: Iterable[Path] = (),
    notify: Callable[[str], None] | None = None,
    analysis: str | None = None,
) -> Iterator[Path]:
    """Yield a temporary folder beside `target`; rename it into place only on success.

    `analysis` names the analysis that writes the folder: it is then marked as one
    (`write_analysis_marker`), so that `--force` may later replace it.

    SIGTERM is turned into KeyboardInterrupt for the duration, so an interrupted run leaves
    neither the target nor the temporary folder behind. With `force`, an existing target is
    replaced only if `check_replaceable(target, protect)` allows it. Stale temporary folders
    of killed runs in the same parent are removed first, each reported through `notify`.
    """
    target = Path(target)
    if target.exists() or target.is_symlink():
        if not force:
            raise RunExists(str(target))
        check_replaceable(target, protect)
    if target.name in ("", ".", ".."):
        raise not_a_run_folder(target, "give the run folder a name")
    preflight_out(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, no permission, read-only file system
        raise Problem.about(
            str(target),
            "--out",
            f"cannot create the folder it goes in: {exc.strerror or exc}",
            "choose an --out in a writable folder",
        ) from None
    for stale in remove_stale_temp_dirs(target.parent):
        if notify is not None:
            notify(f"removed {stale}: temporary folder of a run that was killed")
    tmp = _make_work_dir(target.parent, f".{fit_name(target.name)}.tmp-")

    def on_term(signum, frame):
        raise KeyboardInterrupt

    # keep a handler the caller installed (the CLI maps SIGTERM to its own exit code)
    own_handler = _main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    previous = signal.signal(signal.SIGTERM, on_term) if own_handler else None
    try:
        if analysis is not None:
            write_analysis_marker(tmp, analysis)
        yield tmp
        (tmp / OWNER_FILE).unlink(missing_ok=True)
        record_manifest(tmp)
        _fsync_tree(tmp)
        if target.exists() or target.is_symlink():  # appeared meanwhile, or --force
            if not force:
                raise RunExists(str(target))
            check_replaceable(target, protect)  # again: it may have changed meanwhile
            trash = _make_work_dir(target.parent, f".{fit_name(target.name)}.old-")
            os.replace(target, trash / "run")
            os.replace(tmp, target)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            with signals_deferred():  # a second Ctrl-C must not stop the cleanup halfway
                shutil.rmtree(tmp, ignore_errors=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """One CSV with floats as `%.9g` text (formatted up front: 2-3x faster than pandas' own).

    Text cells that a spreadsheet would run as a formula are neutralised (`neutralise_cell`);
    numeric columns are written as numbers, negative ones included.
    """
    out = frame.copy(deep=False)
    for col in out.columns:
        kind = out[col].dtype.kind
        if kind == "f":
            out[col] = [format(v, ".9g") if v == v else "" for v in out[col].to_numpy().tolist()]
        elif kind in "OSU":
            out[col] = [neutralise_cell(v) if isinstance(v, str) else v for v in out[col].tolist()]
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    out.to_csv(path, index=False, lineterminator="\n")


def write_tables(folder: Path, tables: Tables) -> None:
    """One CSV per result table."""
    for name, frame in tables.items():
        write_csv(folder / f"{name}.csv", frame)


def strict_json(value):
    """`value` as strict JSON allows (RFC 8259 has no NaN or Infinity): NaN becomes null,
    an infinite float the string "infinite" or "-infinite"."""
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None if np.isnan(value) else ("infinite" if value > 0 else "-infinite")
    return value


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically: a full disk leaves the previous file, never a truncated one."""
    path = Path(path)
    text = (
        json.dumps(strict_json(data), indent=2, sort_keys=True, default=_json_default,
                   allow_nan=False)
        + "\n"
    )  # fmt: skip
    tmp = path.with_name(f".{fit_name(path.name)}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))
