r"""Independent solution checker: re-read a run folder and verify the plan against the model.

This module deliberately does not import ``rsoi.lp.prepare``, ``rsoi.lp.build``, ``rsoi.lp.program``,
``rsoi.lp.solve``, ``rsoi.results.tables`` or ``rsoi.pipeline``: from the validated model (``rsoi.model.loader``)
and the geometry files it derives, in its own plain loops (``derive``), the capacities after
attacks, the routes' distances, sea lanes (own Dijkstra on the sea-lane graph) and transit lags,
the force arrival periods (the arrival rule, ``force_arrival``), the active demand and requirement
lines and the access caps that apply (``access_task``); then it re-checks every constraint and
the objective against the CSV tables, following the math in the ``define_*`` docstrings of
``rsoi.lp.build``. A bug in the preparation or the LP builder therefore shows up here as a named
violation instead of a silently wrong plan.

Tables omit zero rows (flows, inventory, allocations, deliveries, production); values carry
9 significant digits, so comparisons use a relative tolerance (``REL_TOL``).
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rsoi.errors import CheckError, InputError, Problem
from rsoi.model.geo import geodesic_km
from rsoi.model.loader import LoadedModel, load_model
from rsoi.model.schema import (
    LADDER_ORDER,
    SUPPORT_LEVEL_ORDER,
    Assignment,
    Branch,
    ConstraintMode,
    Demand,
    KoreaTiming,
    Mode,
    ModelSpec,
    Place,
    Requirement,
    SupportLevel,
    TaskKind,
    effective_rok_level,
)
from rsoi.results.csvcells import restore_cell

REL_TOL = 1e-6
"""Relative tolerance of every comparison (scale: max(1, |terms|))."""
MAX_PER_FAMILY = 20
"""Violations listed per family; the rest are counted."""

TABLES: dict[str, list[str]] = {
    "flows": [
        "route", "origin", "destination", "mode", "theater", "commodity", "period",
        "period_start", "arrival_period", "quantity", "unit", "short_tons",
    ],
    "inventory": ["place", "commodity", "period", "quantity", "unit", "short_tons"],
    "deliveries": ["demand", "place", "commodity", "period", "quantity", "periods_late"],
    "production": ["line", "place", "commodity", "period", "quantity"],
    "allocations": [
        "provider", "nation", "task", "place", "theater", "period", "period_start",
        "units_allocated", "capability_per_day", "capability_unit",
    ],
    "apportionment": [
        "force", "nation", "branch", "assignment", "theater", "period", "period_start", "share",
        "combat_power", "troops",
    ],
    "shortfalls": [
        "family", "requirement", "item", "place", "theater", "period", "unit", "required",
        "delivered", "delivered_late", "shortfall", "priority",
    ],
    "duals": [
        "constraint", "family", "entity_kind", "entity", "period", "activity", "lower", "upper",
        "shadow_price", "range_from", "range_to", "source", "binding",
    ],
}  # fmt: skip
"""Tables the checker reads and the columns it needs."""
NUMERIC = {
    "period",
    "arrival_period",
    "quantity",
    "short_tons",
    "periods_late",
    "line",
    "units_allocated",
    "capability_per_day",
    "share",
    "combat_power",
    "troops",
    "required",
    "delivered",
    "shortfall",
    "activity",
    "lower",
    "upper",
    "shadow_price",
    "range_from",
    "range_to",
    "delivered_late",
}
EMPTY_OK = {"lower", "upper", "shadow_price", "range_from", "range_to"}
"""Number columns where an empty cell means 'none' (no bound, no price, no range)."""
INTEGER_COLUMNS = {"period", "arrival_period", "line", "periods_late"}
ACTIVITY_FAMILIES = ("route_capacity", "storage_capacity", "provider_availability")
"""Families whose reported activity in duals.csv is recomputed from the tables."""
DERIVED_FAMILIES = (
    "flow_balance",
    "demand",
    "route_capacity",
    "place_throughput",
    "airfield_mog",
    "storage_capacity",
    "task_requirement",
    "port_access",
    "airfield_access",
    "onward_transport",
    "sea_lane_escort",
)
"""Families whose full row set and bounds the checker derives (missing or extra rows fail)."""
KNOWN_FAMILIES = (
    *DERIVED_FAMILIES,
    "provider_availability",
    "maintenance_capacity",
    "policy_rok_support_level",
    "force_home",
    "force_position",
    "share_change",
    "combat_power",
    "policy_deterrence_floor",
    "policy_troop_floor",
    "policy_usfk_ground_stays",
    "policy_usfk_air_share",
    "policy_strategic_flexibility",
    "policy_rok_joint_operations",
)
"""Every constraint family the LP may have (duals.csv rows of other families fail)."""
PRICE_TOL = 1e-6
"""A shadow price beyond this magnitude needs its row at the matching bound."""


@dataclass
class CheckReport:
    """What the checker found."""

    folder: str
    violations: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    objective: float | None = None

    @property
    def ok(self) -> bool:
        return not self.violations


def _tol(*scales: Any) -> Any:
    """Absolute tolerance for quantities of the given magnitudes."""
    if not any(isinstance(s, np.ndarray) for s in scales):  # scalars: no numpy overhead
        return REL_TOL * max(1.0, *(abs(float(s)) for s in scales))
    scale = np.ones_like(np.asarray(scales[0], dtype=float))
    for s in scales:
        scale = np.maximum(scale, np.abs(np.asarray(s, dtype=float)))
    return REL_TOL * scale


def _fmt(value: float) -> str:
    return f"{value:,.6g}"


# --- the checker's own view of the model (no rsoi.lp.prepare: derived here, in plain loops) ------


@dataclass(frozen=True)
class CheckRoute:
    """A route as the checker derives it from the model and the geometry files."""

    id: str
    origin: str
    destination: str
    mode: Mode
    theater: str
    onward: bool
    lanes: tuple[str, ...]
    distance_km: float
    transit_periods: int
    capacity_t_per_period: np.ndarray  # index t-1, after attacks and closed lanes


@dataclass
class Derived:
    """What the checker needs from a validated model, derived without rsoi.lp.prepare/build."""

    spec: ModelSpec
    T: int
    places: dict[str, Place]  # display attributes (country) filled from geodata, on copies
    coords: dict[str, tuple[float, float]]
    factor: dict[str, np.ndarray]  # attack factor per target and period (index t-1)
    routes: dict[str, CheckRoute]
    korea_start: int | None
    demands: list[Demand]  # active lines, EAD/LAD in absolute periods
    requirements: list[Requirement]  # active lines, from/to in absolute periods
    force_arrival: dict[tuple[str, str], int]  # (force, theater) -> first period present

    @property
    def theater_ids(self) -> list[str]:
        return [t.id for t in self.spec.theaters]


def _read_geojson(path: Path, what: str) -> list[dict]:
    try:
        return list(json.loads(path.read_text(encoding="utf-8"))["features"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            [Problem(str(path), None, None, what, f"unreadable: {exc}", "fix the file")]
        ) from None


def _place_geodata(model: LoadedModel) -> dict[str, tuple[float, float, dict]]:
    """Place id -> (lon, lat, properties) from the model's geodata file (own parse)."""
    if not model.spec.geodata:
        return {}
    out: dict[str, tuple[float, float, dict]] = {}
    for feature in _read_geojson(model.path.parent / model.spec.geodata, "geodata"):
        props = feature.get("properties") or {}
        lon, lat = feature["geometry"]["coordinates"][:2]
        out[str(props["id"])] = (float(lon), float(lat), props)
    return out


def attack_factors(spec: ModelSpec, T: int) -> dict[str, np.ndarray]:
    """Remaining capacity share per target and period: the lowest factor of the attacks begun."""
    out: dict[str, np.ndarray] = {}
    for attack in spec.events.attacks:
        f = out.setdefault(attack.target, np.ones(T))
        for t in range(attack.from_period, T + 1):
            f[t - 1] = min(f[t - 1], attack.capacity_factor)
    return out


class _SeaGraph:
    """The sea-lane waypoint graph, read independently of rsoi.model.geo (plain Dijkstra)."""

    def __init__(self, path: Path, coords: dict[str, tuple[float, float]]) -> None:
        features = _read_geojson(path, "sea_lanes")
        nodes: dict[str, tuple[float, float]] = {}
        raw: list[tuple[str, str, str | None]] = []
        for feature in features:
            props = feature.get("properties") or {}
            if props.get("feature") == "waypoint":
                lon, lat = feature["geometry"]["coordinates"][:2]
                nodes[props["id"]] = (float(lon), float(lat))
            elif props.get("feature") == "edge":
                raw.append((props["from"], props["to"], props.get("strait")))
        self.adj: dict[str, list[tuple[str, float, str | None]]] = defaultdict(list)
        for a, b, strait in raw:
            for n in (a, b):
                if n not in nodes and n in coords:
                    nodes[n] = coords[n]
            if a in nodes and b in nodes:
                km = _geodesic_km(nodes[a], nodes[b])
                self.adj[a].append((b, km, strait))
                self.adj[b].append((a, km, strait))
        self.nodes = nodes

    def path(self, a: str, b: str, closed: frozenset[str]) -> tuple[float, list[str]] | None:
        """(length km, straits passed in order) of a shortest path avoiding closed straits."""
        if a not in self.nodes or b not in self.nodes:
            raise KeyError(a if a not in self.nodes else b)
        best = {a: 0.0}
        back: dict[str, tuple[str, str | None]] = {}
        heap = [(0.0, a)]
        done: set[str] = set()
        while heap:
            d, u = heapq.heappop(heap)
            if u in done:
                continue
            done.add(u)
            if u == b:
                break
            for v, km, strait in self.adj[u]:
                if strait is not None and strait in closed:
                    continue
                if d + km < best.get(v, math.inf) - 1e-9:
                    best[v] = d + km
                    back[v] = (u, strait)
                    heapq.heappush(heap, (d + km, v))
        if b not in done:
            return None
        straits: list[str] = []
        node = b
        while node != a:
            node, strait = back[node]
            if strait and strait not in straits:
                straits.insert(0, strait)
        return best[b], straits


def _korea_only(spec: ModelSpec) -> bool:
    """Below `national_resources_min_level` Korean routes serve Korea only (issue 9 §4)."""
    floor = spec.policies.rok_support.national_resources_min_level
    level = effective_rok_level(spec)
    return SUPPORT_LEVEL_ORDER.index(level) < SUPPORT_LEVEL_ORDER.index(floor)


def _geodesic_km(p: tuple[float, float], q: tuple[float, float]) -> float:
    return geodesic_km(p[0], p[1], q[0], q[1])


def derive_routes(
    model: LoadedModel, coords: dict[str, tuple[float, float]], factor: dict[str, np.ndarray]
) -> dict[str, CheckRoute]:
    """Distances, lags, lanes and capacities per period of every route (own derivation)."""
    spec = model.spec
    T, days = spec.horizon.periods, spec.horizon.period_days
    lanes = {lane.id: lane for lane in spec.lanes}
    closed = frozenset(lane.id for lane in spec.lanes if lane.closed)
    graph = _SeaGraph(model.path.parent / spec.sea_lanes, coords) if spec.sea_lanes else None
    theater_of = {p.id: p.theater for p in spec.places}
    korea_only_level = _korea_only(spec)
    out: dict[str, CheckRoute] = {}
    for r in spec.routes:
        mode = spec.modes[r.mode]
        route_lanes = list(r.lanes)
        distance = r.distance_km
        open_path = True
        if r.mode == Mode.sea and graph is not None:
            try:
                found = graph.path(r.origin, r.destination, closed)
            except KeyError:  # not on the graph: prepare refuses such a model
                found = None
                open_path = True
            if found is None and r.origin in graph.nodes and r.destination in graph.nodes:
                open_path = False
                found = graph.path(r.origin, r.destination, frozenset())
            if found is not None:
                route_lanes += [s for s in found[1] if s in lanes and s not in route_lanes]
                if distance is None:
                    distance = found[0]
        if distance is None:
            distance = _geodesic_km(coords[r.origin], coords[r.destination]) * mode.circuity
        lag = r.transit_periods
        if lag is None:
            lag = math.ceil(distance / (mode.speed_km_per_day * days) - 1e-9)
        cap = np.array(
            [r.capacity_t_per_day * days * (factor[r.id][t] if r.id in factor else 1.0)
             for t in range(T)]
        )  # fmt: skip
        theater = r.theater or theater_of[r.destination]
        touches_korea = "korea" in (theater_of[r.origin], theater_of[r.destination])
        korea_only = korea_only_level and theater != "korea" and touches_korea
        if not open_path or korea_only or any(lanes[x].closed for x in route_lanes):
            cap = np.zeros(T)
        out[r.id] = CheckRoute(
            id=r.id,
            origin=r.origin,
            destination=r.destination,
            mode=r.mode,
            theater=theater,
            onward=r.onward,
            lanes=tuple(route_lanes),
            distance_km=float(distance),
            transit_periods=int(lag),
            capacity_t_per_period=cap,
        )
    return out


def derive_force_lags(
    spec: ModelSpec, coords: dict[str, tuple[float, float]]
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str, str], int]]:
    """First period each force counts in each of its theaters, and its swing lags (the arrival rule).

    lag = floor(geodesic_km(home, anchor) / (speed_km_per_day * period_days) + 0.5) for every
    force and theater, home inside the theater or not; `arrival_lag_periods[theater]` overrides
    it; first period = ready_period + lag. A share moving from theater a to b is in transit
    floor(geodesic_km(anchor_a, anchor_b) / (speed * period_days) + 0.5) periods, unless
    `swing_lag_periods` is given.
    """
    anchor = {t.id: t.anchor for t in spec.theaters}
    days = spec.horizon.period_days

    def periods(a: str, b: str, speed: float) -> int:
        return math.floor(_geodesic_km(coords[a], coords[b]) / (speed * days) + 0.5)

    arrival: dict[tuple[str, str], int] = {}
    swing: dict[tuple[str, str, str], int] = {}
    for f in spec.forces:
        for theater in f.theaters:
            lag = f.arrival_lag_periods.get(theater)
            if lag is None:
                lag = periods(f.home, anchor[theater], f.speed_km_per_day)
            arrival[(f.id, theater)] = f.ready_period + int(lag)
            for other in f.theaters:
                if other != theater:
                    lag = f.swing_lag_periods
                    if lag is None:
                        lag = periods(anchor[theater], anchor[other], f.speed_km_per_day)
                    swing[(f.id, theater, other)] = int(lag)
    return arrival, swing


def force_arrival(
    spec: ModelSpec, coords: dict[str, tuple[float, float]]
) -> dict[tuple[str, str], int]:
    """First period each force counts in each of its theaters (`derive_force_lags`)."""
    return derive_force_lags(spec, coords)[0]


def derive(model: LoadedModel) -> Derived:
    """The checker's own derivation of everything it compares the tables against."""
    spec = model.spec
    T = spec.horizon.periods
    geodata = _place_geodata(model)
    coords: dict[str, tuple[float, float]] = {}
    places: dict[str, Place] = {}
    for p in spec.places:
        props: dict = {}
        if p.id in geodata:
            props = geodata[p.id][2]
        if p.lon is not None and p.lat is not None:
            coords[p.id] = (p.lon, p.lat)
        elif p.id in geodata:
            coords[p.id] = geodata[p.id][:2]
        else:
            raise InputError(
                [model.document.problem(("places",), f"place '{p.id}' has no coordinates")]
            )
        country = p.country if p.country is not None else props.get("country")
        places[p.id] = p.model_copy(update={"country": country})
    factor = attack_factors(spec, T)
    events = spec.events
    rank = LADDER_ORDER.index(events.china_action)
    korea_start = {
        KoreaTiming.none: None,
        KoreaTiming.simultaneous: 1,
        KoreaTiming.sequential: 1 + events.korea_conflict.delay_periods,
    }[events.korea_conflict.timing]
    if korea_start is not None and korea_start > T:
        korea_start = None

    def window(first: int, last: int | None, relative_to: str) -> tuple[int, int] | None:
        last = T if last is None else last
        if relative_to == "korea_conflict":
            if korea_start is None:
                return None
            first, last = first + korea_start - 1, last + korea_start - 1
        return None if first > T else (first, min(last, T))

    demands = []
    for d in spec.demands:
        w = window(d.ead, d.lad, d.relative_to)
        if w and rank >= LADDER_ORDER.index(d.min_ladder) and d.quantity > 0:
            demands.append(d.model_copy(update={"ead": w[0], "lad": w[1]}))
    requirements = []
    for q in spec.requirements:
        w = window(q.from_period, q.to_period, q.relative_to)
        if w and rank >= LADDER_ORDER.index(q.min_ladder) and q.amount > 0:
            requirements.append(q.model_copy(update={"from_period": w[0], "to_period": w[1]}))
    return Derived(
        spec=spec,
        T=T,
        places=places,
        coords=coords,
        factor=factor,
        routes=derive_routes(model, coords, factor),
        korea_start=korea_start,
        demands=demands,
        requirements=requirements,
        force_arrival=force_arrival(spec, coords),
    )


def access_task(route: CheckRoute, place: Place) -> str | None:
    """The access task capping `route`'s cargo at `place`: by what the place handles (sea or
    air cargo) wherever `access_support_required` is set; never by the place's `kind`."""
    if not place.access_support_required:
        return None
    return {Mode.sea: TaskKind.port_access.value, Mode.air: TaskKind.airfield_access.value}.get(
        route.mode
    )


class _Checker:
    """Holds the model, the tables and the violations found so far."""

    def __init__(
        self,
        prep: Derived,
        tables: dict[str, pd.DataFrame],
        summary: dict,
        folder: Path = Path("."),
    ) -> None:
        self.folder = folder
        self.prep = prep  # the checker's own derivation (see `derive`), not rsoi.lp.prepare's
        self.spec = prep.spec
        self.t = tables
        self.summary = summary
        self.T = int(prep.T)
        self.days = float(self.spec.horizon.period_days)
        self.violations: list[str] = []
        self.checked: list[str] = []
        self._count: dict[str, int] = defaultdict(int)
        self.tons = {c.id: c.short_tons_per_unit for c in self.spec.commodities}
        self.places = prep.places
        self.routes = prep.routes
        self.forces = {f.id: f for f in self.spec.forces}
        self.providers = {u.id: u for u in self.spec.providers}
        self.class_weight = {c.id: c.weight for c in self.spec.settings.priority_classes}
        self.factor = prep.factor

    # --- reporting ---------------------------------------------------------------------

    def fail(self, family: str, message: str) -> None:
        self._count[family] += 1
        if self._count[family] <= MAX_PER_FAMILY:
            self.violations.append(message)
        elif self._count[family] == MAX_PER_FAMILY + 1:
            self.violations.append(f"{family}: further violations not listed")

    def leq(self, family: str, item: str, lhs: float, rhs: float, what: str) -> None:
        """Record `item` if lhs <= rhs fails beyond tolerance."""
        if not (lhs - rhs <= _tol(lhs, rhs)):
            self.fail(family, f"{item}: {what} {_fmt(lhs)} exceeds {_fmt(rhs)}")

    def equal(self, family: str, item: str, a: float, b: float, what: str, scale=1.0) -> None:
        if not (abs(a - b) <= _tol(a, b, scale)):
            self.fail(family, f"{item}: {what} {_fmt(a)} differs from {_fmt(b)}")

    # --- derived model data (own code) ---------------------------------------------------

    def phi(self, target: str, t: int) -> float:
        f = self.factor.get(target)
        return 1.0 if f is None else float(f[t - 1])

    def rok_allows(self, level: SupportLevel) -> bool:
        current = effective_rok_level(self.spec)
        return SUPPORT_LEVEL_ORDER.index(current) >= SUPPORT_LEVEL_ORDER.index(level)

    # --- table sanity ----------------------------------------------------------------------

    def sane(self, name: str, ids: dict[str, Iterable[str]], nonneg: list[str]) -> pd.DataFrame:
        """Rows with known ids, periods in the horizon, finite non-negative values."""
        frame = self.t[name]
        bad = np.zeros(len(frame), bool)
        for col, known in ids.items():
            unknown_ids(self.folder, frame, name, col, known)  # InputError: a malformed table
        if "period" in frame:
            p = frame["period"].to_numpy(float)
            out = ~((p >= 1) & (p <= self.T) & (p == np.round(p)))
            for i in np.flatnonzero(out):
                self.fail(name, f"{name}.csv row {i + 2}: period {p[i]} outside 1..{self.T}")
            bad |= out
        for col in nonneg:
            v = frame[col].to_numpy(float)
            neg = ~np.isfinite(v) | (v < -_tol(v))
            for i in np.flatnonzero(neg):
                self.fail(
                    name, f"{name}.csv row {i + 2}: {col} = {v[i]} is not a finite value >= 0"
                )
            bad |= neg
        good = frame[~bad].copy()
        for col in INTEGER_COLUMNS & set(good.columns):
            v = good[col].to_numpy(float)
            if np.all(np.isfinite(v) & (v == np.round(v))):
                good[col] = v.astype(np.int64)
        return good

    # --- flows and capacities ----------------------------------------------------------------

    def check_flows(self) -> pd.DataFrame:
        self.checked.append("flows: routes, lags, tons")
        f = self.sane(
            "flows",
            {"route": self.routes, "commodity": self.tons},
            ["quantity", "short_tons"],
        ).copy()
        dup = f.duplicated(["route", "commodity", "period"])
        for row in f[dup].itertuples():
            self.fail(
                "flows",
                f"flows.csv: duplicate row for flow[{row.route},{row.commodity},{row.period}]",
            )
        f = f[~dup]
        lag = f["route"].map(lambda r: self.routes[r].transit_periods).to_numpy(int)
        t = f["period"].to_numpy(int)
        f["tons"] = f["quantity"].to_numpy(float) * f["commodity"].map(self.tons).to_numpy(float)
        f["arrive"] = t + lag
        for row in f.itertuples():
            item = f"flow[{row.route},{row.commodity},{row.period}]"
            r = self.routes[row.route]
            if row.arrival_period != row.arrive:
                self.fail("flows", f"{item}: arrival period {row.arrival_period} != {row.arrive}")
            if row.arrive > self.T:
                self.fail("flows", f"{item}: arrives in {row.arrive}, after the horizon")
            self.equal("flows", item, row.short_tons, row.tons, "short_tons")
            for col, expected in (
                ("origin", r.origin),
                ("destination", r.destination),
                ("mode", r.mode.value),
                ("theater", r.theater),
            ):
                if col in f and str(getattr(row, col)) != expected:
                    self.fail("flows", f"{item}: {col} '{getattr(row, col)}' != '{expected}'")
        return f

    def check_route_capacity(self, f: pd.DataFrame) -> dict[tuple[str, int], float]:
        self.checked.append("route capacity per period (attacks, closed lanes)")
        load = f.groupby(["route", "period"])["tons"].sum()
        for (route, t), tons in load.items():
            cap = float(self.routes[route].capacity_t_per_period[t - 1])
            self.leq("route_capacity", f"route_capacity[{route},{t}]", tons, cap, "short tons")
        return {k: float(v) for k, v in load.items()}

    def place_loads(self, f: pd.DataFrame, mask: np.ndarray | None = None) -> pd.Series:
        """Tons handled per (place, period): arrivals at arrival period plus departures."""
        g = f if mask is None else f[mask]
        arr = pd.DataFrame(
            {"place": g["route"].map(lambda r: self.routes[r].destination), "period": g["arrive"]}
        )
        dep = pd.DataFrame(
            {"place": g["route"].map(lambda r: self.routes[r].origin), "period": g["period"]}
        )
        both = pd.concat([arr, dep], ignore_index=True)
        both["tons"] = np.concatenate([g["tons"].to_numpy(), g["tons"].to_numpy()])
        return both.groupby(["place", "period"])["tons"].sum()

    def check_places(self, f: pd.DataFrame) -> None:
        self.checked.append("place cargo throughput (attacks), airfield MOG")
        for (place, t), tons in self.place_loads(f).items():
            p = self.places[place]
            if p.cargo_t_per_day is not None:
                cap = p.cargo_t_per_day * self.days * self.phi(place, t)
                self.leq(
                    "place_throughput", f"place_throughput[{place},{t}]", tons, cap, "short tons"
                )
        air = self.spec.modes.get(Mode.air)
        if air is None or air.payload_t_per_sortie is None or f.empty:
            return
        is_air = f["route"].map(lambda r: self.routes[r].mode == Mode.air).to_numpy(bool)
        for (place, t), tons in self.place_loads(f, is_air).items():
            p = self.places[place]
            if p.mog is not None:
                sorties = tons / air.payload_t_per_sortie
                cap = p.mog * air.sorties_per_slot_per_day * self.days * self.phi(place, t)
                self.leq("airfield_mog", f"airfield_mog[{place},{t}]", sorties, cap, "sorties")

    # --- inventory, production, deliveries --------------------------------------------------

    def check_balance(self, f: pd.DataFrame) -> dict[tuple[str, int], float]:
        self.checked.append("flow conservation with transit lags, storage, production windows")
        P = {p: i for i, p in enumerate(self.places)}
        K = {k: i for i, k in enumerate(self.tons)}
        T = self.T
        shape = (len(P), len(K), T + 1)
        inv, prod, arr, dep, out = (np.zeros(shape) for _ in range(5))
        for s in self.spec.stocks:
            inv[P[s.place], K[s.commodity], 0] += s.quantity

        def add(arr_: np.ndarray, places, comms, periods, values) -> None:
            np.add.at(
                arr_,
                (
                    np.asarray([P[p] for p in places], dtype=np.int64),
                    np.asarray([K[k] for k in comms], dtype=np.int64),
                    np.asarray(periods, dtype=np.int64),
                ),
                np.asarray(values, dtype=float),
            )

        i = self.sane("inventory", {"place": P, "commodity": K}, ["quantity"])
        for row in i[i.duplicated(["place", "commodity", "period"])].itertuples():
            self.fail(
                "inventory",
                f"inventory.csv: duplicate row {row.place},{row.commodity},{row.period}",
            )
        add(inv, i["place"], i["commodity"], i["period"], i["quantity"])
        g = self.check_production(K)
        add(prod, g["place"], g["commodity"], g["period"], g["quantity"])
        add(
            arr,
            f["route"].map(lambda r: self.routes[r].destination),
            f["commodity"],
            f["arrive"],
            f["quantity"],
        )
        add(
            dep,
            f["route"].map(lambda r: self.routes[r].origin),
            f["commodity"],
            f["period"],
            f["quantity"],
        )
        d = self.deliveries = self.check_deliveries()
        add(out, d["place"], d["commodity"], d["period"], d["quantity"])
        now, before = inv[:, :, 1:], inv[:, :, :-1]
        gap = now - before - prod[:, :, 1:] - arr[:, :, 1:] + dep[:, :, 1:] + out[:, :, 1:]
        scale = now + before + prod[:, :, 1:] + arr[:, :, 1:] + dep[:, :, 1:] + out[:, :, 1:]
        names_p, names_k = list(P), list(K)
        for p, k, t in zip(*np.nonzero(np.abs(gap) > _tol(scale)), strict=True):
            self.fail(
                "flow_balance",
                f"flow_balance[{names_p[p]},{names_k[k]},{t + 1}]: inflow and outflow differ by "
                f"{_fmt(gap[p, k, t])} units",
            )
        # storage
        w = np.array([self.tons[k] for k in K])
        stored = np.einsum("pkt,k->pt", now, w)
        for place, pi in P.items():
            cap = self.places[place].storage_t
            if cap is None:
                continue
            for t in range(1, T + 1):
                self.leq(
                    "storage_capacity",
                    f"storage_capacity[{place},{t}]",
                    stored[pi, t - 1],
                    cap,
                    "short tons stored",
                )
        return {(p, t): float(stored[P[p], t - 1]) for p in P for t in range(1, T + 1)}

    def check_production(self, K: dict[str, int]) -> pd.DataFrame:
        g = self.sane("production", {"place": self.places, "commodity": K}, ["quantity", "line"])
        lines = self.spec.production
        keep = []
        for idx, row in zip(g.index, g.itertuples(), strict=True):
            item = f"production[{row.line},{row.period}]"
            j = int(row.line)
            if j != row.line or not 0 <= j < len(lines):
                self.fail("production", f"{item}: no production line {row.line}")
                continue
            line = lines[j]
            keep.append(idx)
            if (row.place, row.commodity) != (line.place, line.commodity):
                self.fail("production", f"{item}: place/commodity differ from the model")
            last = min(line.to_period or self.T, self.T)
            if not line.from_period <= row.period <= last:
                self.fail("production", f"{item}: outside the window {line.from_period}..{last}")
            self.leq("production", item, row.quantity, line.quantity_per_day * self.days, "output")
        for row in g[g.duplicated(["line", "period"])].itertuples():
            self.fail("production", f"production.csv: duplicate row {row.line},{row.period}")
        self.production = g.loc[keep]
        return self.production

    def check_deliveries(self) -> pd.DataFrame:
        demands = {d.id: d for d in self.prep.demands}
        d = self.sane("deliveries", {"demand": demands}, ["quantity"])
        for row in d[d.duplicated(["demand", "period"])].itertuples():
            self.fail("deliveries", f"deliveries.csv: duplicate row {row.demand},{row.period}")
        for row in d.itertuples():
            line = demands[row.demand]
            item = f"delivery[{row.demand},{row.period}]"
            if (row.place, row.commodity) != (line.place, line.commodity):
                self.fail("deliveries", f"{item}: place/commodity differ from the demand line")
            if row.period < line.ead:
                self.fail("deliveries", f"{item}: delivered before EAD {line.ead}")
            if row.periods_late != max(row.period - line.lad, 0):
                self.fail("deliveries", f"{item}: periods_late {row.periods_late} is wrong")
        return d

    # --- shortfalls and objective -----------------------------------------------------------

    def expected_requirements(self) -> dict[tuple[str, str, int], tuple[float, float, str]]:
        """(family, requirement, period) -> (required, objective weight per unit, class)."""
        spec, prep = self.spec, self.prep
        out: dict[tuple[str, str, int], tuple[float, float, str]] = {}
        for d in prep.demands:
            weight = self.class_weight[d.priority] * self.tons[d.commodity]
            out[("demand", d.id, d.lad)] = (d.quantity, weight, d.priority)
        penalty = {t.id: t.penalty_weight for t in spec.tasks}
        for q in prep.requirements:
            for t in range(q.from_period, q.to_period + 1):
                weight = self.class_weight[q.priority] * penalty[q.task] * self.days
                out[("task", q.id, t)] = (q.amount, weight, q.priority)
        action = spec.events.china_action
        for i, c in enumerate(spec.combat_requirements):
            for t in range(1, self.T + 1):
                amount = c.amount_by_ladder.get(action, 0.0)
                if prep.korea_start is not None and t >= prep.korea_start:
                    amount += c.korea_conflict_amount
                if amount > 0:
                    key = ("combat_power", f"combat_power:{c.theater}:{i}", t)
                    out[key] = (
                        amount,
                        self.class_weight[c.priority] * c.penalty_weight * self.days,
                        c.priority,
                    )
        pol = spec.policies
        floors = [
            (
                "deterrence_floor",
                pol.deterrence_floor,
                pol.deterrence_floor.opportunistic_combat_power
                if pol.deterrence_floor.north_korea_opportunistic
                else pol.deterrence_floor.combat_power,
                pol.deterrence_floor.penalty_weight,
            ),
            (
                "troop_floor",
                pol.troop_floor,
                pol.troop_floor.troops,
                pol.troop_floor.penalty_per_troop,
            ),
        ]
        for name, p, floor, penalty_w in floors:
            if p.enabled and p.mode == ConstraintMode.elastic:
                for t in range(1, self.T + 1):
                    weight = self.class_weight[p.priority] * penalty_w * self.days
                    out[("policy", f"policy_{name}", t)] = (floor, weight, p.priority)
        return out

    def check_shortfalls(self, deliveries: pd.DataFrame) -> dict[str, float]:
        """Requirement - delivered = shortfall >= 0 for every line; returns objective parts."""
        self.checked.append("shortfall = requirement - delivered >= 0; completeness")
        s = self.t["shortfalls"]
        for col in ("required", "delivered", "shortfall"):
            bad = ~np.isfinite(s[col].to_numpy(float))
            for i in np.flatnonzero(bad):
                self.fail("shortfalls", f"shortfalls.csv row {i + 2}: {col} is not a number")
        expected = self.expected_requirements()
        described = self.expected_shortfall_text()
        delivered = deliveries.groupby("demand")["quantity"].sum().to_dict()
        lad = {x.id: x.lad for x in self.prep.demands}
        late_rows = deliveries[
            deliveries["period"].to_numpy(int) > deliveries["demand"].map(lad).to_numpy(int)
        ]
        delivered_late = late_rows.groupby("demand")["quantity"].sum().to_dict()
        seen: set[tuple[str, str, int]] = set()
        parts: dict[str, float] = defaultdict(float)
        self.short: dict[tuple[str, str, int], float] = {}
        for row in s.itertuples():
            key = (str(row.family), str(row.requirement), int(row.period))
            item = f"shortfall[{key[1]},{key[2]}]"
            if key not in expected:
                self.fail("shortfalls", f"{item}: not a requirement of this scenario")
                continue
            if key in seen:
                self.fail("shortfalls", f"{item}: listed twice")
                continue
            seen.add(key)
            required, weight, cls = expected[key]
            self.equal("shortfalls", item, row.required, required, "required")
            for column, value in described.get(key, {}).items():
                self.text("shortfalls", item, column, getattr(row, column), value)
            late = delivered_late.get(key[1], 0.0) if key[0] == "demand" else 0.0
            self.equal("shortfalls", item, row.delivered_late, late, "delivered_late", required)
            self.equal(
                "shortfalls",
                item,
                row.required - row.delivered,
                row.shortfall,
                "required - delivered",
                row.required,
            )
            if row.shortfall < -_tol(row.required) or row.shortfall > required + _tol(required):
                self.fail(
                    "shortfalls",
                    f"{item}: shortfall {_fmt(row.shortfall)} outside [0, {_fmt(required)}]",
                )
            if key[0] == "demand":
                got = delivered.get(key[1], 0.0)
                self.equal(
                    "demand",
                    f"demand[{key[1]}]",
                    got + row.shortfall,
                    required,
                    "delivered + shortfall",
                )
            self.short[key] = float(row.shortfall)
            parts[f"shortfall:{cls}"] += weight * float(row.shortfall)
        for key in expected.keys() - seen:
            self.fail("shortfalls", f"shortfall[{key[1]},{key[2]}]: missing from shortfalls.csv")
        return parts

    def objective_parts(
        self, f: pd.DataFrame, d: pd.DataFrame, parts: dict[str, float]
    ) -> dict[str, float]:
        settings = self.spec.settings
        if settings.transport_cost_weight > 0 and len(f):
            cost = (
                f["route"]
                .map(
                    lambda r: (
                        self.spec.modes[self.routes[r].mode].cost_per_t_km
                        * self.routes[r].distance_km
                    )
                )
                .to_numpy(float)
            )
            parts["transport_cost"] = float(
                settings.transport_cost_weight * np.sum(cost * f["tons"].to_numpy())
            )
        if settings.lateness_weight > 0 and len(d):
            lad = {x.id: x.lad for x in self.prep.demands}
            late = np.maximum(d["period"].to_numpy(int) - d["demand"].map(lad).to_numpy(int), 0)
            w = d["commodity"].map(self.tons).to_numpy(float)
            parts["lateness"] = float(
                settings.lateness_weight
                * self.days
                * np.sum(late * w * d["quantity"].to_numpy(float))
            )
        beta = settings.apportionment_stability_weight
        if beta > 0:
            parts["stability"] = beta * self.share_changes()
        return dict(parts)

    def share_changes(self) -> float:
        """Sum over forces and theaters of |share(t) - share(t-1)| (apportionment.csv)."""
        a = self.t["apportionment"]
        a = a[a["theater"] != "in_transit"].sort_values(["force", "theater", "period"])
        total = 0.0
        for _, group in a.groupby(["force", "theater"], sort=True):
            period = group["period"].to_numpy(int)
            share = group["share"].to_numpy(float)
            consecutive = period[1:] == period[:-1] + 1
            total += float(np.abs(np.diff(share))[consecutive].sum())
        return total

    def check_objective(self, parts: dict[str, float]) -> float:
        self.checked.append("objective recomputed from the tables")
        reported = self.summary.get("objective_parts") or {}
        for name in sorted(set(parts) | set(reported)):
            mine, theirs = parts.get(name, 0.0), float(reported.get(name, 0.0))
            self.equal("objective", f"objective part {name}", theirs, mine, "reported value")
        total = float(sum(parts.values()))
        reported_total = self.summary.get("objective")
        if reported_total is None or not math.isfinite(float(reported_total)):
            self.fail("objective", "summary.json: objective missing or not finite")
        else:
            scale = sum(abs(v) for v in parts.values())
            self.equal(
                "objective", "objective", float(reported_total), total, "reported value", scale
            )
        return total

    # --- support allocation -----------------------------------------------------------------

    def check_allocations(self, f: pd.DataFrame) -> None:
        self.checked.append(
            "provider availability, serves, task coverage, enabling tasks, ROK rheostat"
        )
        tasks = {t.id.value: t for t in self.spec.tasks}
        a = self.sane(
            "allocations",
            {
                "provider": self.providers,
                "task": tasks,
                "place": self.places,
                "theater": set(self.prep.theater_ids),
            },
            ["units_allocated", "capability_per_day"],
        ).copy()
        dup = a.duplicated(["provider", "task", "place", "theater", "period"])
        for row in a[dup].itertuples():
            self.fail(
                "allocations",
                f"allocations.csv: duplicate row {row.provider},{row.task},{row.place},"
                f"{row.theater},{row.period}",
            )
        a = a[~dup]
        kappa = []
        for row in a.itertuples():
            u = self.providers[row.provider]
            item = f"allocation[{row.provider},{row.task},{row.place},{row.theater},{row.period}]"
            k = u.capability.get(TaskKind(row.task))
            kappa.append(k or 0.0)
            if k is None:
                self.fail("allocations", f"{item}: provider cannot perform {row.task}")
                continue
            serves = set(u.serves) if u.serves else {self.places[u.home].country}
            if row.place not in serves and self.places[row.place].country not in serves:
                self.fail("allocations", f"{item}: provider does not serve {row.place}")
            last = min(u.available_to or self.T, self.T)
            if not u.available_from <= row.period <= last:
                self.fail("allocations", f"{item}: provider unavailable in period {row.period}")
            if row.nation != u.nation:
                self.fail("allocations", f"{item}: nation '{row.nation}' != '{u.nation}'")
            self.equal(
                "allocations",
                item,
                row.capability_per_day,
                row.units_allocated * k,
                "capability_per_day",
            )
            if (
                self.spec.settings.integer_units
                and abs(row.units_allocated - round(row.units_allocated)) > 1e-6
            ):
                self.fail(
                    "allocations", f"{item}: {row.units_allocated} is not a whole number of units"
                )
            blocked = not self.rok_allows(tasks[row.task].min_rok_level)
            if (
                u.nation == "ROK"
                and row.theater != "korea"
                and blocked
                and row.units_allocated > 1e-9
            ):
                self.fail(
                    "policy_rok_support_level",
                    f"policy_rok_support_level[{row.task}]: {item} is above the ROK support level "
                    f"'{effective_rok_level(self.spec).value}'",
                )
        a["cap"] = np.asarray(kappa, dtype=float) * a["units_allocated"].to_numpy(float)
        self.provider_use = a.groupby(["provider", "period"])["units_allocated"].sum()
        for (provider, t), units in self.provider_use.items():
            self.leq(
                "provider_availability",
                f"provider_availability[{provider},{t}]",
                units,
                self.providers[provider].count,
                "units",
            )
        cap = a.groupby(["task", "place", "theater", "period"])["cap"].sum().to_dict()
        self._task_coverage(cap)
        self._maintenance(cap)
        self._enabling(f, cap)

    def _task_coverage(self, cap: dict) -> None:
        need: dict[tuple, float] = defaultdict(float)
        short: dict[tuple, float] = defaultdict(float)
        for q in self.prep.requirements:
            for t in range(q.from_period, q.to_period + 1):
                key = (q.task.value, q.place, q.theater, t)
                need[key] += q.amount
                short[key] += self.short.get(("task", q.id, t), 0.0)
        for key, amount in need.items():
            have = cap.get(key, 0.0) + short[key]
            self.leq(
                "task_requirement",
                f"task_requirement[{','.join(map(str, key))}]",
                amount,
                have,
                "required capability vs provided + shortfall",
            )

    def _maintenance(self, cap: dict) -> None:
        per: dict[tuple[str, int], float] = defaultdict(float)
        for (task, place, _theater, t), value in cap.items():
            if task == TaskKind.maintenance.value:
                per[(place, t)] += value
        for (place, t), value in per.items():
            limit = self.places[place].maintenance_capacity
            if limit is not None:
                self.leq(
                    "maintenance_capacity",
                    f"maintenance_capacity[{place},{t}]",
                    value,
                    limit,
                    "maintenance work",
                )

    def _enabling(self, f: pd.DataFrame, cap: dict) -> None:
        """Port/airfield access, onward transport and escort capacity cover their flows."""
        need: dict[tuple[str, str, str, int], float] = defaultdict(float)
        contested = {lane.id: lane.escort_place for lane in self.spec.lanes if lane.contested}
        for row in f.itertuples():
            r = self.routes[row.route]
            ends = ((r.destination, row.arrive), (r.origin, row.period))
            for place, t in ends:
                task = access_task(r, self.places[place])
                if task is not None:
                    need[(task, place, r.theater, t)] += row.tons
            if r.onward:
                need[(TaskKind.onward_transport.value, r.origin, r.theater, row.period)] += row.tons
            for area in sorted({contested[x] for x in r.lanes if x in contested}):
                need[(TaskKind.sea_lane_escort.value, area, r.theater, row.period)] += row.tons
        for key, tons in need.items():
            have = self.days * cap.get(key, 0.0)
            self.leq(
                key[0],
                f"{key[0]}[{key[1]},{key[2]},{key[3]}]",
                tons,
                have,
                "short tons vs assigned capacity",
            )

    # --- forces -----------------------------------------------------------------------------

    def force_lags(self) -> tuple[dict, dict]:
        """Arrival periods per (force, theater) and swing lags per (force, from, to) (the arrival rule)."""
        return derive_force_lags(self.spec, self.prep.coords)

    def check_apportionment(self) -> None:
        self.checked.append(
            "apportionment: arrival rule, no teleporting, shares, combat power, floors, bounds"
        )
        s = self.sane(
            "apportionment",
            {"force": self.forces, "theater": {*(t.id for t in self.spec.theaters), "in_transit"}},
            ["share", "combat_power", "troops"],
        ).copy()
        for row in s[s.duplicated(["force", "theater", "period"])].itertuples():
            self.fail(
                "apportionment",
                f"apportionment.csv: duplicate row {row.force},{row.theater},{row.period}",
            )
        arrival, swing = self.force_lags()
        for row in s.itertuples():
            force = self.forces[row.force]
            item = f"share[{row.force},{row.theater},{row.period}]"
            if row.share <= 1e-12:
                continue
            if row.theater != "in_transit":
                if row.theater not in force.theaters:
                    self.fail("apportionment", f"{item}: force is not apportioned to {row.theater}")
                    continue
                first = arrival[(row.force, row.theater)]
                if row.period < first:
                    self.fail(
                        "apportionment", f"{item}: before the force can arrive (period {first})"
                    )
            self.leq("apportionment", item, row.share, 1.0, "share")
            self.equal(
                "apportionment",
                item,
                row.combat_power,
                row.share * force.combat_power,
                "combat_power",
            )
            self.equal("apportionment", item, row.troops, row.share * force.troops, "troops")
        total = s.groupby(["force", "period"])["share"].sum()
        for (force, t), value in total.items():
            self.leq(
                "force_home", f"force_home[{force},{t}]", value, 1.0, "theater + transit shares"
            )
        z = {
            (r.force, r.theater, int(r.period)): float(r.share)
            for r in s.itertuples()
            if r.theater != "in_transit"
        }
        moving = {
            (r.force, int(r.period)): float(r.share)
            for r in s.itertuples()
            if r.theater == "in_transit"
        }
        self._no_teleport(z, moving, arrival, swing)
        self._home_share = {
            (f.id, t): 1.0
            - moving.get((f.id, t), 0.0)
            - sum(z.get((f.id, th, t), 0.0) for th in f.theaters)
            for f in self.spec.forces
            for t in range(1, self.T + 1)
        }
        self._combat_power(z)
        self._floors(z)
        self._force_bounds(z)

    def _no_teleport(self, z: dict, moving: dict, arrival: dict, swing: dict) -> None:
        """A share that appears in a theater at t was outside every theater (at home, or in
        transit) in the periods before: from home, in every earlier period; from another
        theater, for the swing lag. So a gain at t is at most the share outside every theater
        in t-1 .. t-m, m the shortest swing lag into the theater (all earlier periods when the
        force serves one theater)."""
        for f in self.spec.forces:
            for th in f.theaters:
                swings = [swing[(f.id, o, th)] for o in f.theaters if o != th]
                if swings and min(swings) == 0:
                    continue  # an instant swing from another theater is allowed
                for t in range(1, self.T + 1):
                    m = min(swings) if swings else t - 1
                    gain = z.get((f.id, th, t), 0.0) - z.get((f.id, th, t - 1), 0.0)
                    if gain <= 1e-9:
                        continue
                    for k in range(1, m + 1):
                        if t - k < 1:
                            break  # before C-day everything is at home
                        away = 1.0 - sum(z.get((f.id, o, t - k), 0.0) for o in f.theaters)
                        self.leq(
                            "force_position",
                            f"force_position[{f.id},{th},{t}]",
                            gain,
                            away,
                            f"share arriving vs share outside every theater {k} period(s) earlier",
                        )

    def _combat_power(self, z: dict) -> None:
        power: dict[tuple[str, int], float] = defaultdict(float)
        for (force, theater, t), share in z.items():
            power[(theater, t)] += self.forces[force].combat_power * share
        need: dict[tuple[str, int], float] = defaultdict(float)
        short: dict[tuple[str, int], float] = defaultdict(float)
        for (family, req, t), value in self.short.items():
            if family == "combat_power":
                short[(req.split(":")[1], t)] += value
        for (family, req, t), (amount, _w, _c) in self.expected_requirements().items():
            if family == "combat_power":
                need[(req.split(":")[1], t)] += amount
        for (theater, t), amount in need.items():
            self.leq(
                "combat_power",
                f"combat_power[{theater},{t}]",
                amount,
                power[(theater, t)] + short[(theater, t)],
                "required vs provided + shortfall",
            )

    def _floors(self, z: dict) -> None:
        pol = self.spec.policies
        det = pol.deterrence_floor
        floors = [
            (
                "policy_deterrence_floor",
                det,
                det.opportunistic_combat_power
                if det.north_korea_opportunistic
                else det.combat_power,
                lambda f: f.combat_power,
            ),
            (
                "policy_troop_floor",
                pol.troop_floor,
                pol.troop_floor.troops,
                lambda f: f.troops if f.nation == "US" else 0.0,
            ),
        ]
        for name, p, floor, coef in floors:
            if not p.enabled:
                continue
            for t in range(1, self.T + 1):
                have = sum(
                    coef(self.forces[f]) * share
                    for (f, th, tt), share in z.items()
                    if th == "korea" and tt == t
                )
                if name == "policy_troop_floor":  # troops physically in Korea, at home there
                    have += sum(
                        coef(f) * self._home_share[(f.id, t)]
                        for f in self.spec.forces
                        if self.places[f.home].theater == "korea"
                    )
                if p.mode == ConstraintMode.elastic:
                    have += self.short.get(("policy", name, t), 0.0)
                self.leq(
                    name,
                    f"{name}[{t}]",
                    floor,
                    have,
                    "floor vs provided"
                    + (" + shortfall" if p.mode == ConstraintMode.elastic else ""),
                )

    def _force_bounds(self, z: dict) -> None:
        pol = self.spec.policies
        away: dict[str, float] = defaultdict(float)
        for (force, theater, _t), share in z.items():
            if theater != "korea":
                away[force] += share
        usfk = {f.id for f in self.spec.forces if f.assignment == Assignment.usfk}
        rules = []
        if pol.usfk_ground_stays.enabled:
            ground = {f for f in usfk if self.forces[f].branch == Branch.ground}
            rules.append(("policy_usfk_ground_stays", ground))
        rok = pol.rok_support
        withdrawn = rok.none_withdraws_flexibility and (
            effective_rok_level(self.spec) == SupportLevel.none
        )
        if not pol.strategic_flexibility.allowed or withdrawn:
            rules.append(("policy_strategic_flexibility", usfk))
        if not self.rok_allows(SupportLevel.joint_operations):
            rules.append(
                (
                    "policy_rok_joint_operations",
                    {f.id for f in self.spec.forces if f.nation == "ROK"},
                )
            )
        for name, forces in rules:
            for force in sorted(forces):
                self.leq(name, f"{name}[{force}]", away.get(force, 0.0), 0.0, "share outside Korea")
        if pol.usfk_air_share.enabled:
            air = {f: self.forces[f].aircraft for f in usfk if self.forces[f].branch == Branch.air}
            if air:
                limit = pol.usfk_air_share.max_share * sum(air.values())
                per_t: dict[int, float] = defaultdict(float)
                for (force, theater, t), share in z.items():
                    if force in air and theater != "korea":
                        per_t[t] += air[force] * share
                for t, value in sorted(per_t.items()):
                    self.leq(
                        "policy_usfk_air_share",
                        f"policy_usfk_air_share[{t}]",
                        value,
                        limit,
                        "aircraft outside Korea",
                    )

    # --- text columns -------------------------------------------------------------------------

    def period_start(self, t: int) -> str:
        """ISO date period t starts on: C-day plus (t - 1) period lengths (whole days)."""
        c_day = dt.date.fromisoformat(self.spec.horizon.c_day)
        return (c_day + dt.timedelta(days=(t - 1) * self.days)).isoformat()

    def text(self, table: str, item: str, column: str, written: Any, expected: str | None) -> None:
        """Fail unless a text cell is `expected` (None: an empty cell). `read_tables` has
        already undone the writer's CSV-injection guard."""
        got = str(written)
        expected = "" if expected is None else expected
        if got == expected:
            return
        self.fail(f"{table}:{column}", f"{item}: {column} '{got}' != '{expected}'")

    def check_text_columns(self, f: pd.DataFrame) -> None:
        """Every descriptive column of the tables, recomputed from the model."""
        self.checked.append("text columns: period_start, units, nations, branches, route ends")
        units = {c.id: c.unit for c in self.spec.commodities}
        for row in f.itertuples():
            item = f"flow[{row.route},{row.commodity},{row.period}]"
            self.text("flows", item, "unit", row.unit, units[row.commodity])
            self.text(
                "flows", item, "period_start", row.period_start, self.period_start(row.period)
            )
        inv = self.t["inventory"]
        for row in inv.itertuples():
            if row.commodity not in units:
                continue
            item = f"inventory[{row.place},{row.commodity},{row.period}]"
            self.text("inventory", item, "unit", row.unit, units[row.commodity])
            self.equal(
                "inventory", item, row.short_tons, row.quantity * self.tons[row.commodity],
                "short_tons",
            )  # fmt: skip
        task_unit = {t.id.value: t.unit for t in self.spec.tasks}
        for row in self.t["allocations"].itertuples():
            if row.task not in task_unit or not 1 <= row.period <= self.T:
                continue
            item = f"allocation[{row.provider},{row.task},{row.place},{row.theater},{row.period}]"
            self.text("allocations", item, "capability_unit", row.capability_unit,
                      task_unit[row.task])  # fmt: skip
            self.text("allocations", item, "period_start", row.period_start,
                      self.period_start(int(row.period)))  # fmt: skip
        for row in self.t["apportionment"].itertuples():
            force = self.forces.get(row.force)
            if force is None or not 1 <= row.period <= self.T:
                continue
            item = f"share[{row.force},{row.theater},{int(row.period)}]"
            self.text("apportionment", item, "nation", row.nation, force.nation)
            self.text("apportionment", item, "branch", row.branch, force.branch.value)
            self.text("apportionment", item, "assignment", row.assignment, force.assignment.value)
            self.text("apportionment", item, "period_start", row.period_start,
                      self.period_start(int(row.period)))  # fmt: skip

    def expected_shortfall_text(self) -> dict[tuple[str, str, int], dict[str, str]]:
        """(family, requirement, period) -> the descriptive columns of its shortfalls.csv row."""
        spec = self.spec
        units = {c.id: c.unit for c in spec.commodities}
        task_unit = {t.id.value: t.unit for t in spec.tasks}
        out: dict[tuple[str, str, int], dict[str, str]] = {}
        for d in self.prep.demands:
            out[("demand", d.id, d.lad)] = {
                "item": d.commodity,
                "place": d.place,
                "theater": self.places[d.place].theater,
                "unit": units[d.commodity],
                "priority": d.priority,
            }
        for q in self.prep.requirements:
            for t in range(q.from_period, q.to_period + 1):
                out[("task", q.id, t)] = {
                    "item": q.task.value,
                    "place": q.place,
                    "theater": q.theater,
                    "unit": task_unit[q.task.value],
                    "priority": q.priority,
                }
        for key in self.expected_requirements():
            if key[0] == "combat_power":
                _, theater, line = key[1].split(":")
                out[key] = {
                    "item": "combat_power",
                    "place": "",
                    "theater": theater,
                    "unit": "combat power",
                    "priority": spec.combat_requirements[int(line)].priority,
                }
            elif key[0] == "policy":
                name = key[1].removeprefix("policy_")
                out[key] = {
                    "item": name,
                    "place": "",
                    "theater": "korea",
                    "unit": "troops" if "troop" in name else "combat power",
                    "priority": getattr(spec.policies, name).priority,
                }
        return out

    # --- duals table ------------------------------------------------------------------------

    def expected_rows(self) -> dict[str, tuple[str, float, float, str | None]]:
        """Constraint name -> (family, lower, upper, source) for the families in DERIVED_FAMILIES.

        Derived from the model alone: a row the LP lacks (e.g. a dropped access cap) or has in
        excess shows up as a missing or unknown row of duals.csv.
        """
        spec, T, days = self.spec, self.T, self.days
        inf = math.inf
        out: dict[str, tuple[str, float, float, str | None]] = {}
        stock: dict[tuple[str, str], float] = defaultdict(float)
        for s in spec.stocks:
            stock[(s.place, s.commodity)] += s.quantity
        for p in self.places:
            for k in self.tons:
                for t in range(1, T + 1):
                    rhs = stock.get((p, k), 0.0) if t == 1 else 0.0
                    out[f"flow_balance[{p},{k},{t}]"] = ("flow_balance", rhs, rhs, None)
        for d in self.prep.demands:
            out[f"demand[{d.id}]"] = ("demand", d.quantity, d.quantity, d.source)
        source_of = {r.id: r.source for r in spec.routes}
        for r in self.routes.values():
            for t in range(1, T - r.transit_periods + 1):
                out[f"route_capacity[{r.id},{t}]"] = (
                    "route_capacity", -inf, float(r.capacity_t_per_period[t - 1]),
                    source_of[r.id],
                )  # fmt: skip
        air = spec.modes.get(Mode.air)
        for p in self.places.values():
            for t in range(1, T + 1):
                phi = self.phi(p.id, t)
                if p.cargo_t_per_day is not None:
                    cap = p.cargo_t_per_day * days * phi
                    out[f"place_throughput[{p.id},{t}]"] = ("place_throughput", -inf, cap, p.source)
                if p.mog is not None and air is not None and air.payload_t_per_sortie is not None:
                    cap = p.mog * air.sorties_per_slot_per_day * days * phi
                    out[f"airfield_mog[{p.id},{t}]"] = ("airfield_mog", -inf, cap, p.source)
                if p.storage_t is not None:
                    out[f"storage_capacity[{p.id},{t}]"] = (
                        "storage_capacity", -inf, p.storage_t, p.source,
                    )  # fmt: skip
        need: dict[str, list] = {}
        for q in self.prep.requirements:
            for t in range(q.from_period, q.to_period + 1):
                name = f"task_requirement[{q.task.value},{q.place},{q.theater},{t}]"
                entry = need.setdefault(name, [0.0, q.source])
                entry[0] += q.amount
        for name, (amount, source) in need.items():
            out[name] = ("task_requirement", amount, inf, source)
        for task, place, theater in self.enabling_slots():
            for t in range(1, T + 1):
                out[f"{task}[{place},{theater},{t}]"] = (task, -inf, 0.0, None)
        return out

    def enabling_slots(self) -> set[tuple[str, str, str]]:
        """(task, place, theater) of every access, onward and escort cap the model implies."""
        contested = {lane.id: lane.escort_place for lane in self.spec.lanes if lane.contested}
        slots: set[tuple[str, str, str]] = set()
        has_flows = any(r.transit_periods < self.T for r in self.routes.values())
        for r in self.routes.values():
            for place in (r.origin, r.destination):
                task = access_task(r, self.places[place])
                if task is not None:
                    slots.add((task, place, r.theater))
            if r.onward:
                slots.add((TaskKind.onward_transport.value, r.origin, r.theater))
            if has_flows:
                for lane in r.lanes:
                    if lane in contested:
                        slots.add((TaskKind.sea_lane_escort.value, contested[lane], r.theater))
        return slots

    def check_duals(self, route_load: dict, stored: dict) -> None:
        self.checked.append(
            "duals.csv: every row present once, bounds, activities, sign and complementary "
            "slackness of shadow prices, binding flags, ranging intervals"
        )
        d = self.t["duals"]
        names = d["constraint"].astype(str).to_numpy()
        fam = d["family"].astype(str).to_numpy()
        act = d["activity"].to_numpy(float)
        lo = d["lower"].to_numpy(float)
        up = d["upper"].to_numpy(float)
        price = d["shadow_price"].to_numpy(float)
        dup = pd.Series(names).duplicated().to_numpy()
        for i in np.flatnonzero(dup):
            self.fail("duals", f"duals.csv: {names[i]} listed twice")
        known_family = np.isin(fam, KNOWN_FAMILIES)
        for i in np.flatnonzero(~known_family):
            self.fail("duals", f"duals.csv: {names[i]}: unknown family '{fam[i]}'")
        matches = np.array(
            [n.startswith(f + "[") or n == f for n, f in zip(names, fam, strict=True)], dtype=bool
        )
        for i in np.flatnonzero(known_family & ~matches):
            self.fail("duals", f"duals.csv: {names[i]}: name does not match family {fam[i]}")
        expected = self.expected_rows()
        row_of = {n: i for i, n in enumerate(names)}
        for name in sorted(expected.keys() - row_of.keys()):
            self.fail("duals", f"{name}: missing from duals.csv")
        for i in np.flatnonzero(np.isin(fam, DERIVED_FAMILIES)):
            if names[i] not in expected:
                self.fail("duals", f"{names[i]}: not a constraint of this model (duals.csv)")
        src = d["source"].astype(str).to_numpy()
        exp_names = list(expected)
        exp_family, exp_lo, exp_up, _ = (
            map(np.asarray, zip(*expected.values(), strict=True)) if expected else ([],) * 4
        )
        exp = np.column_stack([exp_lo, exp_up]).astype(float).reshape(-1, 2)
        first = np.flatnonzero(~dup)
        hit = pd.Index(names[first]).get_indexer(exp_names)
        rows = np.where(hit >= 0, first[np.maximum(hit, 0)], -1) if len(first) else hit
        found = rows >= 0
        found[found] &= fam[rows[found]] == exp_family[found]
        for col, (what, theirs_all) in enumerate((("lower", lo), ("upper", up))):
            mine = exp[found, col]
            theirs = theirs_all[rows[found]]
            same_inf = np.isinf(mine) & np.isnan(theirs)
            finite = np.isfinite(mine) & np.isfinite(theirs)
            close = np.zeros(len(mine), bool)
            close[finite] = np.abs(theirs[finite] - mine[finite]) <= _tol(mine[finite])
            for j in np.flatnonzero(~(same_inf | close)):
                name = exp_names[np.flatnonzero(found)[j]]
                self.fail(
                    "duals",
                    f"{name}: {what} bound {theirs[j]} differs from the model's "
                    f"{'none' if math.isinf(mine[j]) else _fmt(mine[j])}",
                )
        for j in np.flatnonzero(found):
            source = expected[exp_names[j]][3]
            if source is not None and src[rows[j]] != source:
                self.text("duals", exp_names[j], "source", src[rows[j]], source)
        # activities within bounds; prices only on active bounds, with the right sign
        tol = _tol(act, np.nan_to_num(lo), np.nan_to_num(up))
        below = np.isfinite(lo) & (act < lo - tol)
        above = np.isfinite(up) & (act > up + tol)
        for i in np.flatnonzero(below | above):
            self.fail("duals", f"{names[i]}: activity {_fmt(act[i])} outside [{lo[i]}, {up[i]}]")
        at_lo = np.isfinite(lo) & (np.abs(act - lo) <= tol)
        at_up = np.isfinite(up) & (np.abs(act - up) <= tol)
        known = np.isfinite(price)
        pos = known & (price > PRICE_TOL)
        neg = known & (price < -PRICE_TOL)
        for i in np.flatnonzero((pos & ~at_lo) | (neg & ~at_up)):
            side = "lower" if price[i] > 0 else "upper"
            self.fail(
                "duals",
                f"{names[i]}: shadow price {_fmt(price[i])} needs the row at its {side} bound "
                "(wrong sign, or not binding: complementary slackness)",
            )
        binding = np.abs(np.nan_to_num(price)) > 1e-9
        flag = d["binding"].astype(str).str.lower().to_numpy()
        for i in np.flatnonzero(flag != np.where(binding, "true", "false")):
            self.fail("duals", f"{names[i]}: binding flag '{flag[i]}' but shadow price {price[i]}")
        r_from = d["range_from"].to_numpy(float)
        r_to = d["range_to"].to_numpy(float)
        has_range = np.isfinite(r_from) | np.isfinite(r_to)
        for i in np.flatnonzero(has_range & ~binding):
            self.fail("duals", f"{names[i]}: a ranging interval on a row that is not binding")
        bound = np.where(at_up & ~(pos & at_lo), up, lo)
        for i in np.flatnonzero(has_range & binding):
            low = r_from[i] if np.isfinite(r_from[i]) else -math.inf
            high = r_to[i] if np.isfinite(r_to[i]) else math.inf
            slack = _tol(bound[i])
            if not (low - slack <= bound[i] <= high + slack):
                self.fail(
                    "duals",
                    f"{names[i]}: ranging interval [{r_from[i]}, {r_to[i]}] does not contain "
                    f"the bound {bound[i]}",
                )
        recomputed = {
            "route_capacity": route_load,
            "storage_capacity": stored,
            "provider_availability": {k: float(v) for k, v in self.provider_use.items()},
        }
        ent = d["entity"].astype(str).to_numpy()
        per = d["period"].to_numpy(float)
        for i in np.flatnonzero(np.isin(fam, ACTIVITY_FAMILIES)):
            mine = recomputed[fam[i]].get((ent[i], int(per[i])), 0.0)
            self.equal("duals", names[i], act[i], mine, "reported activity vs recomputed")
        unique = ~dup
        self.price_series = pd.Series(np.nan_to_num(price[unique]), index=names[unique])
        self.price = self.price_series.to_dict()

    def _prices(self, names: np.ndarray) -> np.ndarray:
        """Shadow prices of the named rows (0 for rows the LP does not have)."""
        return self.price_series.reindex(names).fillna(0.0).to_numpy(float)

    def _flow_reduced_costs(self, f: pd.DataFrame, judge_all) -> None:
        """Reduced costs of every flow column, vectorised over (route, commodity, period)."""
        spec, T = self.spec, self.T
        gamma = spec.settings.transport_cost_weight
        air = spec.modes.get(Mode.air)
        per_sortie = 1.0 / air.payload_t_per_sortie if air and air.payload_t_per_sortie else None
        contested = {lane.id: lane.escort_place for lane in spec.lanes if lane.contested}
        items, keys, costs = [], [], []
        term_col, term_coef, term_name = [], [], []  # one entry per (column, row) coefficient
        n_cols = 0
        for r in self.routes.values():
            n = T - r.transit_periods
            if n <= 0:
                continue
            mode_cost = spec.modes[r.mode].cost_per_t_km * r.distance_km
            t = np.arange(1, n + 1)
            ts, as_ = t.astype(str), (t + r.transit_periods).astype(str)
            for k, w in self.tons.items():
                terms: list[tuple[float, str, np.ndarray]] = [
                    (1.0, f"flow_balance[{r.origin},{k},", ts),
                    (-1.0, f"flow_balance[{r.destination},{k},", as_),
                    (w, f"route_capacity[{r.id},", ts),
                    (w, f"place_throughput[{r.origin},", ts),
                    (w, f"place_throughput[{r.destination},", as_),
                ]
                if r.mode == Mode.air and per_sortie is not None:
                    terms.append((w * per_sortie, f"airfield_mog[{r.origin},", ts))
                    terms.append((w * per_sortie, f"airfield_mog[{r.destination},", as_))
                for place, when in ((r.origin, ts), (r.destination, as_)):
                    task = access_task(r, self.places[place])
                    if task is not None:
                        terms.append((w, f"{task}[{place},{r.theater},", when))
                if r.onward:
                    terms.append((w, f"onward_transport[{r.origin},{r.theater},", ts))
                for area in sorted({contested[x] for x in r.lanes if x in contested}):
                    terms.append((w, f"sea_lane_escort[{area},{r.theater},", ts))
                col = np.arange(n_cols, n_cols + n)
                for coef, prefix, when in terms:
                    term_col.append(col)
                    term_coef.append(np.full(n, coef))
                    term_name.append(np.char.add(np.char.add(prefix, when), "]"))
                items.append(np.char.add(np.char.add(f"flow[{r.id},{k},", ts), "]"))
                keys.extend((r.id, k, int(x)) for x in t)
                costs.append(np.full(n, gamma * mode_cost * w if gamma > 0 else 0.0))
                n_cols += n
        if not n_cols:
            return
        value = np.concatenate(term_coef) * self._prices(np.concatenate(term_name))
        where = np.concatenate(term_col)
        dual_sum = np.zeros(n_cols)
        dual_abs = np.zeros(n_cols)
        np.add.at(dual_sum, where, value)
        np.maximum.at(dual_abs, where, np.abs(value))
        flow_x = {(r.route, r.commodity, int(r.period)): float(r.quantity) for r in f.itertuples()}
        x = np.array([flow_x.get(k, 0.0) for k in keys])
        judge_all(
            np.concatenate(items),
            np.concatenate(costs),
            dual_sum,
            dual_abs,
            x,
            np.full(n_cols, math.inf),
        )

    def check_reduced_costs(self, f: pd.DataFrame) -> None:
        """Dual feasibility of flow, delivery, shortfall, inventory and production columns.

        Reduced cost d_j = c_j - sum_i a_ij y_i from the model's coefficients and the shadow
        prices in duals.csv: d = 0 for a column strictly between its bounds, d >= 0 at its
        lower bound, d <= 0 at its upper bound. A scaled or swapped shadow price breaks this
        for the columns of its row. Only for optimal weighted LP runs (lexicographic and MIP
        runs report the last stage's or the fixed LP's prices).
        """
        s = self.summary
        if (
            s.get("status") != "optimal"
            or s.get("mip")
            or s.get("objective_mode", "weighted") != "weighted"
            or not np.isfinite(self.t["duals"]["shadow_price"].to_numpy(float)).all()
        ):
            return
        self.checked.append("reduced costs of flows, deliveries, shortfalls, inventory, production")
        y = self.price.get
        spec, T, days = self.spec, self.T, self.days

        def judge(item: str, cost: float, terms: list[float], x: float, upper: float) -> None:
            red = cost - sum(terms)
            tol = 1e-6 * max(1.0, abs(cost), *(abs(v) for v in terms))
            at_lower = x <= 1e-9
            at_upper = upper != math.inf and x >= upper - _tol(upper)
            if at_lower and at_upper:  # a fixed column (e.g. zero capacity): any reduced cost
                return
            bad = red < -tol if at_lower else red > tol if at_upper else abs(red) > tol
            if bad:
                self.fail(
                    "reduced_cost",
                    f"{item}: reduced cost {_fmt(red)} at value {_fmt(x)} contradicts the "
                    "shadow prices of its rows in duals.csv",
                )

        def judge_all(items, cost, dual_sum, dual_abs, x, upper) -> None:
            red = cost - dual_sum
            tol = 1e-6 * np.maximum(1.0, np.maximum(np.abs(cost), dual_abs))
            at_lower = x <= 1e-9
            at_upper = np.isfinite(upper) & (
                x >= upper - _tol(np.where(np.isinf(upper), 0.0, upper))
            )
            inside = ~at_lower & ~at_upper
            bad = (inside & (np.abs(red) > tol)) | (at_upper & ~at_lower & (red > tol))
            bad |= at_lower & ~at_upper & (red < -tol)
            for i in np.flatnonzero(bad):
                self.fail(
                    "reduced_cost",
                    f"{items[i]}: reduced cost {_fmt(red[i])} at value {_fmt(x[i])} contradicts "
                    "the shadow prices of its rows in duals.csv",
                )

        self._flow_reduced_costs(f, judge_all)
        deliv = self.deliveries
        dx = {(r.demand, int(r.period)): float(r.quantity) for r in deliv.itertuples()}
        lam = spec.settings.lateness_weight
        for d in self.prep.demands:
            w = self.tons[d.commodity]
            for t in range(d.ead, T + 1):
                cost = lam * days * (t - d.lad) * w if lam > 0 and t > d.lad else 0.0
                terms = [
                    y(f"flow_balance[{d.place},{d.commodity},{t}]", 0.0),
                    y(f"demand[{d.id}]", 0.0),
                ]
                judge(f"delivery[{d.id},{t}]", cost, terms, dx.get((d.id, t), 0.0), math.inf)
            short = self.short.get(("demand", d.id, d.lad), 0.0)
            judge(
                f"demand_shortfall[{d.id}]", self.class_weight[d.priority] * w,
                [y(f"demand[{d.id}]", 0.0)], short, math.inf,
            )  # fmt: skip
        inv = self.t["inventory"]
        ix = {(r.place, r.commodity, int(r.period)): float(r.quantity) for r in inv.itertuples()}
        for p, place in self.places.items():
            for k, w in self.tons.items():
                for t in range(1, T + 1):
                    terms = [y(f"flow_balance[{p},{k},{t}]", 0.0)]
                    if t < T:
                        terms.append(-y(f"flow_balance[{p},{k},{t + 1}]", 0.0))
                    if place.storage_t is not None:
                        terms.append(w * y(f"storage_capacity[{p},{t}]", 0.0))
                    judge(f"inventory[{p},{k},{t}]", 0.0, terms, ix.get((p, k, t), 0.0), math.inf)
        gx = {(int(r.line), int(r.period)): float(r.quantity) for r in self.production.itertuples()}
        for j, line in enumerate(spec.production):
            for t in range(line.from_period, min(line.to_period or T, T) + 1):
                terms = [-y(f"flow_balance[{line.place},{line.commodity},{t}]", 0.0)]
                cap = line.quantity_per_day * days
                judge(f"production[{j},{t}]", 0.0, terms, gx.get((j, t), 0.0), cap)


def read_tables(folder: Path) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The CSV tables of a run folder with numeric columns parsed.

    A missing table is a violation (the run folder is incomplete). A malformed one (a missing
    column, text in a number column) is an InputError naming the table, line and column.
    """
    tables: dict[str, pd.DataFrame] = {}
    problems: list[str] = []
    bad: list[Problem] = []
    for name, columns in TABLES.items():
        path = folder / f"{name}.csv"
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except FileNotFoundError:
            problems.append(f"{name}.csv: missing from the run folder")
            continue
        except (
            pd.errors.ParserError,
            pd.errors.EmptyDataError,
            UnicodeDecodeError,
            OSError,
        ) as exc:
            bad.append(
                Problem(
                    str(path),
                    None,
                    None,
                    name,
                    f"unreadable table ({str(exc).splitlines()[0][:120]})",
                    "re-run the solve",
                )
            )
            continue
        missing = [c for c in columns if c not in frame.columns]
        for col in missing:
            bad.append(
                Problem(str(path), 1, None, col, f"column '{col}' is missing", "re-run the solve")
            )
        if missing:
            continue
        for col in frame.columns:
            if col not in NUMERIC:  # undo the CSV-injection guard of the writer
                frame[col] = frame[col].map(restore_cell)
        for col in frame.columns:
            if col in NUMERIC:
                raw = frame[col]
                num = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
                empty_ok = col in EMPTY_OK
                wrong = num.isna() & ((raw != "") | (not empty_ok))
                for i in np.flatnonzero(wrong.to_numpy())[:MAX_PER_FAMILY]:
                    bad.append(
                        Problem(
                            str(path),
                            _csv_line(path, int(i)),
                            columns.index(col) + 1 if col in columns else None,
                            col,
                            f"'{raw.iloc[i]}' is not a number",
                            "re-run the solve (run folders are not meant to be edited)",
                        )
                    )
                frame[col] = num.astype(float)
        tables[name] = frame
    if bad:
        raise InputError(bad)
    return tables, problems


def _csv_line(path: Path, row: int) -> int | None:
    """File line (1-based) where data row `row` (0-based) starts, quoted newlines included."""
    import csv

    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            start = reader.line_num + 1
            for i, _ in enumerate(reader):
                if i == row:
                    return start
                start = reader.line_num + 1
    except (OSError, csv.Error, UnicodeDecodeError):
        return None
    return None


def unknown_ids(folder: Path, frame: pd.DataFrame, name: str, col: str, known) -> None:
    """InputError naming table, line and column when a table holds ids the model lacks."""
    known = set(known)
    miss = np.flatnonzero(~frame[col].isin(known).to_numpy())
    if not len(miss):
        return
    path = folder / f"{name}.csv"
    columns = list(frame.columns)
    raise InputError(
        [
            Problem(
                str(path),
                _csv_line(path, int(i)) if path.exists() else int(i) + 2,
                columns.index(col) + 1 if col in columns else None,
                col,
                f"unknown {col} '{frame[col].iloc[i]}' (not in the model)",
                "check the run against its own model, or re-run the solve",
            )
            for i in miss[:MAX_PER_FAMILY]
        ]
    )


def load_summary(folder: Path) -> dict:
    """summary.json of a run folder (InputError if the folder is not a run folder)."""
    folder = Path(folder)
    path = folder / "summary.json"
    if not folder.is_dir():
        raise InputError(
            [
                Problem(
                    str(folder),
                    None,
                    None,
                    "RUN_DIR",
                    "not a folder",
                    "give a run folder written by `rsoi solve`",
                )
            ]
        )
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    "RUN_DIR",
                    "not a run folder (no summary.json)",
                    "give a run folder written by `rsoi solve`",
                )
            ]
        ) from None
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise InputError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    "summary.json",
                    f"unreadable: {str(exc)[:120]}",
                    "re-run the solve",
                )
            ]
        ) from None
    if not isinstance(summary, dict):
        raise InputError(
            [
                Problem(
                    str(path), None, None, "summary.json", "not a JSON object", "re-run the solve"
                )
            ]
        )
    return summary


def check_run(
    folder: str | Path,
    summary: dict | None = None,
    model_path: str | Path | None = None,
    allow_outside_paths: bool | None = None,
    model: LoadedModel | None = None,
) -> CheckReport:
    """Verify a run folder against its model; the report lists every violation found.

    `summary` defaults to the folder's summary.json (pass it while the run is being written);
    `model_path` defaults to the `model_file` recorded in the summary. `model` is an already
    loaded model (the pipeline passes the one it parsed, to spare a second YAML parse); the
    checker still derives everything else from it itself. Its input hash must match the run's.
    Malformed tables (unknown ids, text in a number column, a missing column) raise
    InputError naming the table, line and column.
    """
    folder = Path(folder)
    summary = load_summary(folder) if summary is None else summary
    report = CheckReport(str(folder))
    if model is not None:
        return _check_loaded(folder, summary, model, report)
    path = Path(model_path or summary.get("model_file") or "")
    if not path.is_file():
        raise InputError(
            [
                Problem(
                    str(folder / "summary.json"),
                    None,
                    None,
                    "model_file",
                    f"model file not found: '{path}' (relative paths start at {Path.cwd()})",
                    "run from the folder the solve ran in, or pass --model PATH",
                )
            ]
        )
    model = load_model(
        path, summary.get("scenario"), use_default=False, allow_outside_paths=allow_outside_paths
    )
    return _check_loaded(folder, summary, model, report)


def _check_loaded(
    folder: Path, summary: dict, model: LoadedModel, report: CheckReport
) -> CheckReport:
    if isinstance(summary.get("variant"), dict):  # an analysis variant: the same edits
        from rsoi.model.variant import Variant, apply_variant

        model = apply_variant(model, Variant.from_json(summary["variant"]))
    recorded = summary.get("input_hash")
    if not recorded:
        report.violations.append(
            "input_hash: missing from summary.json, so the run cannot be tied to its model; "
            "re-run the solve"
        )
        return report
    if recorded != model.input_hash:
        report.violations.append(
            f"input_hash: the model file {model.path} changed since the run, or is not the "
            f"run's model (scenario {summary.get('scenario')!r}; hash differs); check the run "
            "against its own model, or re-run the solve"
        )
        return report
    status = summary.get("status")
    if status not in ("optimal", "time_limit_feasible"):
        report.violations.append(f"status: '{status}' is not a solved status")
    tables, problems = read_tables(folder)
    report.violations.extend(problems)
    if problems:
        return report
    checker = _Checker(derive(model), tables, summary, folder)
    flows = checker.check_flows()
    route_load = checker.check_route_capacity(flows)
    checker.check_places(flows)
    stored = checker.check_balance(flows)
    deliveries = checker.deliveries
    parts = checker.check_shortfalls(deliveries)
    parts = checker.objective_parts(flows, deliveries, parts)
    report.objective = checker.check_objective(parts)
    checker.check_allocations(flows)
    checker.check_apportionment()
    checker.check_text_columns(flows)
    checker.check_duals(route_load, stored)
    checker.check_reduced_costs(flows)
    report.violations.extend(checker.violations)
    report.checked = checker.checked
    return report


def verify_run(folder: str | Path, **kwargs: Any) -> CheckReport:
    """`check_run`, raising CheckError when anything is violated."""
    report = check_run(folder, **kwargs)
    if report.violations:
        raise CheckError(report.violations, report.folder)
    return report
