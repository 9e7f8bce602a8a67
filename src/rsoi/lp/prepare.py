"""Derive what the LP needs from a validated model: coordinates, distances, lags, active lines.

Everything here is plain data (numpy / pandas / dataclasses); no LP objects.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from rsoi.errors import InputError, Problem
from rsoi.model import rules
from rsoi.model.loader import LoadedModel
from rsoi.model.noops import noop_warnings
from rsoi.model.rules import EventTimeline, event_timeline
from rsoi.model.schema import (
    SUPPORT_LEVEL_ORDER,
    Mode,
    ModelSpec,
    PlaceKind,
    SupportLevel,
    TaskKind,
    effective_rok_level,
)


@dataclass(frozen=True)
class RouteData:
    """A route with everything derived."""

    id: str
    origin: str
    destination: str
    mode: Mode
    capacity_t_per_period: np.ndarray  # per period, after attacks and closures
    distance_km: float
    transit_periods: int
    cost_per_t: float
    theater: str
    onward: bool
    lanes: tuple[str, ...]
    source: str


@dataclass
class Prepared:
    """A model with one scenario applied, ready for the LP builder."""

    spec: ModelSpec
    scenario: str | None
    periods: np.ndarray  # 1..T
    coords: dict[str, tuple[float, float]]  # place id -> (lon, lat)
    routes: list[RouteData]
    place_factor: dict[str, np.ndarray]  # attack factor per period (index t-1)
    korea_start: int | None
    timeline: EventTimeline  # China's rung per period, the Korean start, attack starts
    demands: list  # active Demand lines with ead/lad in absolute periods
    requirements: list  # active Requirement lines with absolute from/to
    force_arrival: dict[tuple[str, str], int]  # (force, theater) -> first period present
    force_lag: dict[tuple[str, str], int]  # (force, theater) -> periods from home to anchor
    swing_lag: dict[tuple[str, str, str], int]  # (force, from, to) -> periods in transit
    rok_level: SupportLevel = SupportLevel.rear_area
    warnings: list[str] = field(default_factory=list)

    @property
    def T(self) -> int:
        return int(self.periods[-1])

    @property
    def days(self) -> float:
        return self.spec.horizon.period_days

    @cached_property
    def place_by_id(self):
        return {p.id: p for p in self.spec.places}

    @cached_property
    def commodity_by_id(self):
        return {c.id: c for c in self.spec.commodities}

    @cached_property
    def theater_ids(self) -> list[str]:
        return [t.id for t in self.spec.theaters]

    @cached_property
    def priority_weight(self) -> dict[str, float]:
        return {c.id: c.weight for c in self.spec.settings.priority_classes}

    @cached_property
    def provider_by_id(self):
        return {u.id: u for u in self.spec.providers}

    def unit_lag(self, provider: str, origin: str, destination: str) -> int:
        """Periods a support unit of `provider` spends moving between two places (the transit
        rule of forces, ``rsoi.model.rules.transit_periods``)."""
        from rsoi.model import geo  # local: geo pulls in pyproj/shapely

        (lon1, lat1), (lon2, lat2) = self.coords[origin], self.coords[destination]
        km = geo.geodesic_km(lon1, lat1, lon2, lat2)
        speed = self.provider_by_id[provider].speed_km_per_day
        return rules.transit_periods(km, speed, self.days)

    def rok_level_allows(self, level) -> bool:
        """Is ROK support at or above `level` in force?"""
        return SUPPORT_LEVEL_ORDER.index(self.rok_level) >= SUPPORT_LEVEL_ORDER.index(level)


def periods_of_travel(km: float, speed_km_per_day: float, period_days: float) -> int:
    """The arrival rule: floor(tau + 0.5) with tau = km / (speed * period_days).

    A force counts in a period when it is there for at least half of it: a few km give 0,
    most of a period or more gives at least 1.
    """
    return math.floor(km / (speed_km_per_day * period_days) + 0.5)


def _load_geodata(model: LoadedModel) -> dict[str, tuple[float, float, dict]]:
    spec = model.spec
    if not spec.geodata:
        return {}
    path = (model.path.parent / spec.geodata).resolve()
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
    except FileNotFoundError:
        raise InputError(
            [
                model.document.problem(
                    ("geodata",),
                    f"geodata file not found: {path}",
                    "fix the path (relative to the model file)",
                )
            ]
        ) from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise Problem.about(
            str(path), "features", f"not a GeoJSON FeatureCollection: {exc}", "regenerate it"
        ) from None
    out = {}
    for i, feature in enumerate(features):
        try:
            props = feature["properties"]
            lon, lat = feature["geometry"]["coordinates"][:2]
            out[props["id"]] = (float(lon), float(lat), props)
        except (KeyError, TypeError, ValueError):
            raise Problem.about(
                str(path),
                f"features[{i}]",
                "feature needs properties.id and Point coordinates",
                "fix the feature",
            ) from None
    return out


def prepare(model: LoadedModel) -> Prepared:
    """Resolve geometry, scenario events and derived lags for the LP."""
    from rsoi.model import geo  # local: geo pulls in pyproj/shapely

    spec = model.spec
    doc = model.document
    T = spec.horizon.periods
    periods = np.arange(1, T + 1)
    problems: list[Problem] = []

    geodata = _load_geodata(model)
    coords: dict[str, tuple[float, float]] = {}
    filled = []
    for i, place in enumerate(spec.places):
        props: dict = {}
        if place.lon is not None:
            coords[place.id] = (place.lon, place.lat)
        elif place.id in geodata:
            lon, lat, props = geodata[place.id]
            coords[place.id] = (lon, lat)
        else:
            problems.append(
                doc.problem(
                    ("places", i, "id"),
                    f"place '{place.id}' has no coordinates",
                    "add it to the geodata file or give `lon` and `lat`",
                )
            )
        # Display attributes from geodata where the YAML is silent, on a copy: the loaded
        # model stays as validated (the checker reads it independently). `kind` is display
        # only: no constraint depends on it.
        update = {}
        if place.name is None:
            update["name"] = props.get("name", place.id)
        if place.kind is None and props.get("kind") in PlaceKind.__members__:
            update["kind"] = PlaceKind(props["kind"])
        if place.country is None and props.get("country"):
            update["country"] = props["country"]
        filled.append(place.model_copy(update=update) if update else place)
    if problems:
        raise InputError(problems)
    spec = spec.model_copy(update={"places": filled})

    # Scenario events (rsoi.model.rules.EventTimeline: one rule for builder and checker).
    timeline = event_timeline(spec)
    korea_start = timeline.korea_start

    factor: dict[str, np.ndarray] = {}
    for target, start, capacity_factor in timeline.attacks:
        f = factor.setdefault(target, np.ones(T))
        f[start - 1 :] = np.minimum(f[start - 1 :], capacity_factor)
    place_factor = {p.id: factor.get(p.id, np.ones(T)) for p in spec.places}

    lanes = {lane.id: lane for lane in spec.lanes}
    closed = frozenset(lane.id for lane in spec.lanes if lane.closed)
    sea_graph = None
    if spec.sea_lanes:
        sea_path = (model.path.parent / spec.sea_lanes).resolve()
        if not sea_path.exists():
            raise InputError(
                [
                    doc.problem(
                        ("sea_lanes",), f"sea-lane file not found: {sea_path}", "fix the path"
                    )
                ]
            )
        sea_graph = geo.SeaLaneGraph.from_file(sea_path, coords)

    routes: list[RouteData] = []
    warnings: list[str] = []
    place_theater = {p.id: p.theater for p in spec.places}
    rok_level = effective_rok_level(spec)
    # whom cargo may serve is the cargo ledger's business (owner, purpose, places passed:
    # rsoi.lp.build.cargo), never a route's label
    for i, r in enumerate(spec.routes):
        mode = spec.modes[r.mode]
        route_lanes = tuple(r.lanes)
        cap = np.full(T, r.capacity_t_per_day * spec.horizon.period_days) * factor.get(r.id, 1.0)
        distance = r.distance_km
        if r.mode == Mode.sea and sea_graph is not None:
            try:
                path = sea_graph.path(r.origin, r.destination, closed_straits=closed)
            except KeyError as exc:
                raise InputError(
                    [
                        doc.problem(
                            ("routes", i, "mode"),
                            f"sea route end is not on the sea-lane graph: {exc}",
                            "use a seaport or naval base, or give `distance_km` and `lanes`",
                        )
                    ]
                ) from None
            if path is None:
                path = sea_graph.path(r.origin, r.destination)
                why = (
                    f"closed straits: {', '.join(sorted(closed))}"
                    if closed and path is not None
                    else f"the sea-lane graph does not connect {r.origin} and {r.destination}"
                )
                warnings.append(f"route {r.id}: no open sea path ({why}); capacity set to 0")
                cap = np.zeros(T)
            if path is not None:
                # explicit lanes plus the modelled straits the sea path passes
                route_lanes = tuple(
                    dict.fromkeys([*r.lanes, *(s for s in path.straits if s in lanes)])
                )
                if distance is None:
                    distance = path.distance_km
        if distance is None:
            (lon1, lat1), (lon2, lat2) = coords[r.origin], coords[r.destination]
            distance = geo.geodesic_km(lon1, lat1, lon2, lat2) * mode.circuity
        if any(lanes[x].closed for x in route_lanes):
            cap = np.zeros(T)
        transit = r.transit_periods
        if transit is None:
            transit = math.ceil(
                distance / (mode.speed_km_per_day * spec.horizon.period_days) - 1e-9
            )
        theater = r.theater or place_theater[r.destination]
        if theater is None:  # the loader rejects this; guard for models built in code
            raise InputError(
                [
                    doc.problem(
                        ("routes", i, "theater"),
                        f"route '{r.id}' ends outside every theater",
                        "add `theater:`",
                    )
                ]
            )
        routes.append(
            RouteData(
                id=r.id,
                origin=r.origin,
                destination=r.destination,
                mode=r.mode,
                capacity_t_per_period=cap,
                distance_km=float(distance),
                transit_periods=int(transit),
                cost_per_t=mode.cost_per_t_km * float(distance),
                theater=theater,
                onward=r.onward,
                lanes=route_lanes,
                source=r.source,
            )
        )

    demands = []
    for d in spec.demands:
        window = timeline.window(d.ead, d.lad, d.relative_to, d.min_ladder, d.place)
        if window and d.quantity > 0:
            demands.append(d.model_copy(update={"ead": window[0], "lad": window[1]}))
    requirements = []
    for i, q in enumerate(spec.requirements):
        window = timeline.window(q.from_period, q.to_period, q.relative_to, q.min_ladder, q.place)
        if window and q.amount > 0:
            update: dict = {"from_period": window[0], "to_period": window[1]}
            if q.trade_path is not None:
                update["amount"] = q.amount * _voyage_ratio(
                    q.trade_path, sea_graph, closed, doc, ("requirements", i), warnings, q.id
                )
            requirements.append(q.model_copy(update=update))

    # One arrival rule for every force and theater, home inside the theater or not.
    anchors = {t.id: t.anchor for t in spec.theaters}
    days = spec.horizon.period_days
    force_arrival: dict[tuple[str, str], int] = {}
    force_lag: dict[tuple[str, str], int] = {}
    swing_lag: dict[tuple[str, str, str], int] = {}
    for f in spec.forces:
        for theater in f.theaters:
            lag = f.arrival_lag_periods.get(theater)
            if lag is None:
                (lon1, lat1), (lon2, lat2) = coords[f.home], coords[anchors[theater]]
                km = geo.geodesic_km(lon1, lat1, lon2, lat2)
                lag = periods_of_travel(km, f.speed_km_per_day, days)
            force_lag[(f.id, theater)] = lag
            force_arrival[(f.id, theater)] = f.ready_period + lag
        for a in f.theaters:
            for b in f.theaters:
                if a == b:
                    continue
                lag = f.swing_lag_periods
                if lag is None:
                    (lon1, lat1), (lon2, lat2) = coords[anchors[a]], coords[anchors[b]]
                    km = geo.geodesic_km(lon1, lat1, lon2, lat2)
                    lag = periods_of_travel(km, f.speed_km_per_day, days)
                swing_lag[(f.id, a, b)] = lag

    warnings.extend(noop_warnings(spec, routes))
    return Prepared(
        spec=spec,
        scenario=model.scenario,
        periods=periods,
        coords=coords,
        routes=routes,
        place_factor=place_factor,
        korea_start=korea_start,
        timeline=timeline,
        demands=demands,
        requirements=requirements,
        force_arrival=force_arrival,
        force_lag=force_lag,
        swing_lag=swing_lag,
        rok_level=rok_level,
        warnings=warnings,
    )


def _voyage_ratio(trade, sea_graph, closed, doc, where, warnings: list[str], line: str) -> float:
    """Shortest sea path between the trade's ends with the closed straits, over the same with
    every strait open (Requirement.trade_path)."""
    if sea_graph is None:
        raise InputError(
            [doc.problem((*where, "trade_path"), "trade_path needs a sea-lane graph",
                         "set `sea_lanes:` to the sea-lane GeoJSON, or drop `trade_path`")]
        )  # fmt: skip
    try:
        open_path = sea_graph.path(trade.origin, trade.destination)
    except KeyError as exc:
        end = "origin" if trade.origin not in sea_graph.coords else "destination"
        raise InputError(
            [doc.problem((*where, "trade_path", end), f"not on the sea-lane graph: {exc}",
                         "use a seaport or naval base with a sea-lane edge")]
        ) from None  # fmt: skip
    now = sea_graph.path(trade.origin, trade.destination, closed_straits=closed)
    if open_path is None or now is None or open_path.distance_km <= 0:
        warnings.append(f"requirement {line}: no open sea path for its trade; amount unscaled")
        return 1.0
    return now.distance_km / open_path.distance_km


def support_slots(prep: Prepared) -> list[tuple[str, str, str]]:
    """Every (task, place, theater) that a requirement or an enabling constraint needs.

    Requirements name their slot. Port access is needed at every place with
    `access_support_required` that a sea route of a theater touches, airfield access at every
    such place an air route touches (what the place handles decides, never its optional
    `kind`); onward transport at the origin of an onward route; escort at the escort place of
    each contested lane a route uses.
    """
    slots: set[tuple[str, str, str]] = set()
    lanes = {lane.id: lane for lane in prep.spec.lanes}
    access_task = {Mode.sea: TaskKind.port_access.value, Mode.air: TaskKind.airfield_access.value}
    for q in prep.requirements:
        slots.add((q.task.value, q.place, q.theater))
    for r in prep.routes:
        for p in (r.origin, r.destination):
            if prep.place_by_id[p].access_support_required and r.mode in access_task:
                slots.add((access_task[r.mode], p, r.theater))
        if r.onward:
            slots.add((TaskKind.onward_transport.value, r.origin, r.theater))
        for lane_id in r.lanes:
            if lanes[lane_id].contested:
                slots.add((TaskKind.sea_lane_escort.value, lanes[lane_id].escort_place, r.theater))
    return sorted(slots)
