"""The checker's own derivation of the model's data (no rsoi.lp import): capacities after attacks,
routes, sea paths, transit and force lags, active lines, access caps."""

from __future__ import annotations

import heapq
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rsoi.errors import InputError, Problem
from rsoi.model.geo import geodesic_km
from rsoi.model.loader import LoadedModel
from rsoi.model.rules import event_timeline, sea_path_better
from rsoi.model.schema import (
    Demand,
    Mode,
    ModelSpec,
    Place,
    Requirement,
    TaskKind,
)

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
    rung: tuple  # China's rung per period (index t-1), rsoi.model.rules.EventTimeline
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
        raise Problem.about(str(path), what, f"unreadable: {exc}", "fix the file") from None


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
    for target, start, capacity_factor in event_timeline(spec).attacks:
        f = out.setdefault(target, np.ones(T))
        for t in range(start, T + 1):
            f[t - 1] = min(f[t - 1], capacity_factor)
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
        label: dict[str, tuple[str, ...]] = {a: (a,)}
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
                if v in done or (strait is not None and strait in closed):
                    continue
                nodes = (*label[u], v)
                if sea_path_better(d + km, nodes, best.get(v, math.inf), label.get(v)):
                    best[v] = d + km
                    label[v] = nodes
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
        if not open_path or any(lanes[x].closed for x in route_lanes):
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
    timeline = event_timeline(spec)  # the rule (rsoi.model.rules), shared with the builder
    korea_start = timeline.korea_start
    demands = []
    for d in spec.demands:
        w = timeline.window(d.ead, d.lad, d.relative_to, d.min_ladder, d.place)
        if w and d.quantity > 0:
            demands.append(d.model_copy(update={"ead": w[0], "lad": w[1]}))
    requirements = []
    graph = None
    closed = frozenset(lane.id for lane in spec.lanes if lane.closed)
    for q in spec.requirements:
        w = timeline.window(q.from_period, q.to_period, q.relative_to, q.min_ladder, q.place)
        if w and q.amount > 0:
            amount = q.amount
            if q.trade_path is not None and spec.sea_lanes:
                if graph is None:
                    graph = _SeaGraph(model.path.parent / spec.sea_lanes, coords)
                ends = q.trade_path.origin, q.trade_path.destination
                now, everything_open = graph.path(*ends, closed), graph.path(*ends, frozenset())
                if now is not None and everything_open is not None and everything_open[0] > 0:
                    amount = q.amount * now[0] / everything_open[0]
            update = {"from_period": w[0], "to_period": w[1], "amount": amount}
            requirements.append(q.model_copy(update=update))
    return Derived(
        spec=spec,
        T=T,
        places=places,
        coords=coords,
        factor=factor,
        routes=derive_routes(model, coords, factor),
        korea_start=korea_start,
        rung=timeline.rung,
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
