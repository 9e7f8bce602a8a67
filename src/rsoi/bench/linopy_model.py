"""The rsoi LP written independently in linopy (benchmark baseline, see ``scripts/bench.py``).

Built from the same `rsoi.lp.prepare.Prepared` data in linopy's vectorised xarray style (masks,
`groupby().sum()`, `shift`; loops only over distinct transit lags and small entity lists),
without calling `rsoi.lp.build`: the cargo classes are derived here from the shared rules of
`rsoi.model.rules`, like the checker does. It builds every constraint family of the registry
(`rsoi.model.families`) with the same columns, bounds and objective as `rsoi.lp.build.build`,
so the column counts and the optimal objectives agree (tests/test_synthetic.py).

Dimensions: a flow is indexed by (route, stream, period) with a stream one (commodity, cargo
class group) pair; inventory and deliveries by stream too, so the class-free commodities
(class ``any``) and the ledgered ones share one balance expression whose rows are the
``flow_balance`` and ``cargo_ledger`` families.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import reduce
from operator import add
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from rsoi.lp.prepare import Prepared, support_slots
from rsoi.model import rules
from rsoi.model.schema import (
    Assignment,
    Branch,
    ConstraintMode,
    Mode,
    SupportLevel,
    TaskKind,
)


def _quiet() -> None:
    import linopy

    # legacy semantics: an absent (masked / shifted-in) term counts as 0 -- what we want
    warnings.filterwarnings("ignore", category=linopy.config.LinopySemanticsWarning)


def _sum(parts: list[Any]) -> Any | None:
    parts = [p for p in parts if p is not None]
    return reduce(add, parts) if parts else None


def _gather(
    expr: Any, routes: pd.Index, key: np.ndarray, shift: np.ndarray, dim: str, full: pd.Index
) -> Any | None:
    """Sum `expr` (over route, ..., period) into `dim` by a per-route key, shifted in period.

    `key` < 0 drops a route; `shift` moves departures to arrivals (the transit lag).
    """
    parts = []
    keep = key >= 0
    for lag in np.unique(shift[keep]):
        sel = keep & (shift == lag)
        sub = expr.sel(route=routes[sel])
        if lag:
            sub = sub.shift(period=int(lag))
        grouper = pd.Series(full[key[sel]], index=routes[sel], name=dim)
        parts.append(sub.groupby(grouper).sum().reindex({dim: full}))
    return _sum(parts)


def _group2(expr: Any, index: pd.Index, a: str, a_of: Any, b: str, b_of: Any, A: pd.Index,
            B: pd.Index) -> Any:  # fmt: skip
    """Sum `expr` over the dimension of `index` into (a, b), by each entry's (a, b) keys."""
    frame = pd.DataFrame({a: list(a_of), b: list(b_of)}, index=index)
    return (1 * expr).groupby(frame).sum().unstack("group").reindex({a: A, b: B})


def _da(values: Any, *coords: pd.Index) -> xr.DataArray:
    return xr.DataArray(np.asarray(values), coords=list(coords))


# --- the cargo ledger: streams (commodity, class group) from the shared rules ------------------


@dataclass
class Streams:
    comm: np.ndarray  # commodity position per stream
    label: list[str]  # class group label per stream (``any``: class-free commodity)
    may_be: np.ndarray  # (place, stream): the stream may be held at / leave the place
    arrive: np.ndarray  # (stream, korean destination 0/1): the stream it becomes on arrival
    accepts: np.ndarray  # (demand, stream): the stream may meet the (active) demand line
    stock: list[int]  # stream of each stock
    production: list[int]  # stream of each production line

    @property
    def ledgered(self) -> np.ndarray:
        return np.array([c != rules.ANY_CLASS for c in self.label], bool)


def cargo_streams(prep: Prepared, places: pd.Index, comms: pd.Index) -> Streams:
    """The ledger's streams: the class groups each commodity is tracked in (rules.ledger_classes,
    cut by what every line accepts under any scenario), where each may be, and what each active
    demand line accepts under this scenario's policies (rules.accepted_classes)."""
    spec = prep.spec
    theater = {p.id: p.theater for p in spec.places}
    korean = np.array([theater[p] == rules.KOREA for p in places], bool)

    def origin_class(item) -> rules.CargoClass:
        kor = theater[item.place] == rules.KOREA
        return rules.source_class(item.owner or rules.default_owner(kor), kor)

    arms = {c.id: c.arms for c in spec.commodities}
    comm, label, members, group_of = [], [], [], {}
    for k, cid in enumerate(comms):
        sources = [origin_class(i) for i in [*spec.stocks, *spec.production] if i.commodity == cid]
        accepted = [
            a
            for d in spec.demands
            if d.commodity == cid
            for a in rules.possible_accepted(d.theater or theater[d.place], d.export_to, arms[cid])
        ]
        for lab in rules.ledger_classes(sources, bool(korean.any()), accepted):
            for c in rules.classes_of(lab):
                group_of[(k, c.value)] = len(comm)
            comm.append(k)
            label.append(lab)
            members.append(rules.classes_of(lab))
    n = len(comm)
    may_be = np.array(
        [[any(rules.class_may_be_at(c, kor) for c in m) for m in members] for kor in korean], bool
    ).reshape(len(places), n)
    arrive = np.zeros((n, 2), np.int64)
    for s in range(n):
        for kor in (0, 1):
            images = {group_of.get((comm[s], rules.class_on_arrival(c, bool(kor))), s)
                      for c in members[s]}  # fmt: skip
            if len(images) != 1:  # pragma: no cover - rules.ledger_classes closes the groups
                raise RuntimeError(f"cargo class group {label[s]} splits on arrival")
            arrive[s, kor] = images.pop()
    policy = spec.policies.rok_support
    serves = prep.rok_level_allows(policy.national_resources_min_level)
    pos = {p: i for i, p in enumerate(places)}
    accepts = np.zeros((len(prep.demands), n), bool)
    for i, d in enumerate(prep.demands):
        th = d.theater or theater[d.place]
        ok = rules.accepted_classes(
            theater=th,
            export_to=d.export_to,
            arms=arms[d.commodity],
            korea_serves_others=serves,
            conflict=rules.theater_in_armed_conflict(th, spec.events.china_action),
            arms_export_to_conflict=policy.arms_export_to_conflict,
        )
        k = comms.get_loc(d.commodity)
        for s in range(n):
            accepts[i, s] = (
                comm[s] == k
                and (label[s] == rules.ANY_CLASS or members[s] <= ok)
                and may_be[pos[d.place], s]
            )
    return Streams(
        comm=np.array(comm, np.int64),
        label=label,
        may_be=may_be,
        arrive=arrive,
        accepts=accepts,
        stock=[group_of[(comms.get_loc(s.commodity), origin_class(s).value)] for s in spec.stocks],
        production=[
            group_of[(comms.get_loc(g.commodity), origin_class(g).value)] for g in spec.production
        ],
    )


def _factor(prep: Prepared, place: str) -> np.ndarray:
    """`rules.at_attacked_place` of the place's attack factor, per period."""
    return np.array([rules.at_attacked_place(f) for f in prep.place_factor[place]])


def build_linopy(prep: Prepared) -> Any:
    """The rsoi LP of `prep` as a `linopy.Model` (minimise the weighted objective)."""
    import linopy

    _quiet()
    spec, T, days = prep.spec, prep.T, prep.days
    m = linopy.Model()
    periods = pd.RangeIndex(1, T + 1, name="period")
    per = xr.DataArray(np.arange(1, T + 1), coords=[periods])
    places = pd.Index([p.id for p in spec.places], name="place")
    pos = {p: i for i, p in enumerate(places)}
    theater_of = {p.id: p.theater for p in spec.places}
    comms = pd.Index([c.id for c in spec.commodities], name="commodity")
    st = cargo_streams(prep, places, comms)
    S = pd.RangeIndex(len(st.comm), name="stream")
    tons_k = np.array([c.short_tons_per_unit for c in spec.commodities])
    tons = _da(tons_k[st.comm], S)  # short tons per unit, per stream
    weight = prep.priority_weight
    R = pd.Index([r.id for r in prep.routes], name="route")
    lag = np.array([r.transit_periods for r in prep.routes], dtype=np.int64)
    origin = np.array([pos[r.origin] for r in prep.routes], dtype=np.int64)
    dest = np.array([pos[r.destination] for r in prep.routes], dtype=np.int64)
    theater = np.array([r.theater for r in prep.routes], dtype=object)
    mode = np.array([r.mode for r in prep.routes], dtype=object)
    zero = np.zeros(len(R), dtype=np.int64)
    korean = np.array([theater_of[p] == rules.KOREA for p in places], bool)
    always = per > 0
    objective = []

    # --- network ---------------------------------------------------------------------------
    # flows x[route, stream, period]: the stream may leave the origin, t + lag <= T
    rmask = per + _da(lag, R) <= T
    x = m.add_variables(
        lower=0,
        coords=[R, S, periods],
        name="flow",
        mask=(rmask & _da(st.may_be[origin], R, S)).transpose("route", "stream", "period"),
    )
    cost = _da([r.cost_per_t for r in prep.routes], R)
    objective.append((spec.settings.transport_cost_weight * cost * tons * x).sum())
    xe = 1 * x
    ft = (tons * x).sum("stream")  # tons departing per (route, period)

    # inventory s[place, stream, period] where the stream may be; the balance per stream
    held = _da(st.may_be, places, S)
    s = m.add_variables(
        lower=0,
        coords=[places, S, periods],
        name="inventory",
        mask=(held & always).transpose("place", "stream", "period"),
    )
    balance = s - s.shift(period=1)
    arrivals = []
    for kor in (0, 1):
        key = np.where(korean[dest] == bool(kor), dest, -1)
        inn = _gather(xe, R, key, lag, "place", places)
        becomes = st.arrive[:, kor]
        if inn is not None and (becomes != np.arange(len(S))).any():
            # a U.S. ton arriving at a Korean place has passed Korea (rules.class_on_arrival)
            inn = (
                inn.groupby(pd.Series(becomes, index=S, name="into"))
                .sum()
                .rename(into="stream")
                .reindex(stream=S)
            )
        arrivals.append(inn)
    inn = _sum(arrivals)
    out = _gather(xe, R, origin, zero, "place", places)
    if out is not None:
        balance = balance + out - inn
    if spec.production:
        lines = pd.RangeIndex(len(spec.production), name="line")
        first = _da([g.from_period for g in spec.production], lines)
        last = _da([min(g.to_period or T, T) for g in spec.production], lines)
        cap = _da([g.quantity_per_day * days for g in spec.production], lines)
        g = m.add_variables(
            lower=0,
            upper=cap.broadcast_like(per),
            coords=[lines, periods],
            name="production",
            mask=((per >= first) & (per <= last)).transpose("line", "period"),
        )
        balance = balance - _group2(
            g, lines, "place", [q.place for q in spec.production], "stream", st.production,
            places, S,
        )  # fmt: skip
    demands = prep.demands
    if demands:
        D = pd.Index([d.id for d in demands], name="demand")
        ead = _da([d.ead for d in demands], D)
        y = m.add_variables(
            lower=0,
            coords=[D, S, periods],
            name="delivery",
            mask=(_da(st.accepts, D, S) & (per >= ead)).transpose("demand", "stream", "period"),
        )
        at = pd.Series([d.place for d in demands], index=D, name="place")
        balance = balance + y.to_linexpr().groupby(at).sum().reindex(place=places)
        u = m.add_variables(lower=0, coords=[D], name="demand_shortfall")
        qty = _da([d.quantity for d in demands], D)
        m.add_constraints(y.sum(["stream", "period"]) + u == qty, name="demand")
        dtons = _da([prep.commodity_by_id[d.commodity].short_tons_per_unit for d in demands], D)
        w = _da([weight[d.priority] for d in demands], D)
        objective.append((w * dtons * u).sum())
        lad = _da([d.lad for d in demands], D)
        late = np.maximum(per - lad, 0)
        objective.append((spec.settings.lateness_weight * days * late * dtons * y).sum())
    stock = xr.DataArray(0.0, coords=[places, S, periods]).copy()
    for item, stream in zip(spec.stocks, st.stock, strict=True):
        stock.loc[item.place, stream, 1] += item.quantity
    ledgered = _da(st.ledgered, S)
    for name, rows in (("flow_balance", held & ~ledgered), ("cargo_ledger", held & ledgered)):
        if bool(rows.any()):
            m.add_constraints(
                balance == stock, name=name, mask=(rows & always).transpose(*stock.dims)
            )

    # route capacity
    caps = np.stack([r.capacity_t_per_period for r in prep.routes]) if len(R) else None
    if len(R):
        m.add_constraints(ft <= _da(caps, R, periods), name="route_capacity", mask=rmask)

    # place throughput and airfield MOG
    def place_limit(name: str, cap: dict[str, float], route_mask: np.ndarray, scale: float):
        ids = pd.Index([p for p in places if p in cap], name="place")
        if not len(ids):
            return
        row = {p: i for i, p in enumerate(ids)}
        code = np.array([row.get(p, -1) for p in places], dtype=np.int64)
        o = np.where(route_mask, code[origin], -1)
        d = np.where(route_mask, code[dest], -1)
        total = _sum([_gather(ft, R, d, lag, "place", ids), _gather(ft, R, o, zero, "place", ids)])
        if total is None:
            return
        upper = np.stack([cap[p] * days * prep.place_factor[p] for p in ids])
        m.add_constraints(scale * total <= _da(upper, ids, periods), name=name)

    place_limit(
        "place_throughput",
        {p.id: p.cargo_t_per_day for p in spec.places if p.cargo_t_per_day is not None},
        np.ones(len(R), bool),
        1.0,
    )
    air = spec.modes.get(Mode.air)
    if air is not None and air.payload_t_per_sortie is not None:
        place_limit(
            "airfield_mog",
            {p.id: p.mog * air.sorties_per_slot_per_day for p in spec.places if p.mog is not None},
            mode == Mode.air,
            1.0 / air.payload_t_per_sortie,
        )

    # storage
    store = pd.Index([p.id for p in spec.places if p.storage_t is not None], name="place")
    if len(store):
        limit = _da([prep.place_by_id[p].storage_t for p in store], store)
        m.add_constraints(
            (tons * s.sel(place=store)).sum("stream") <= limit.broadcast_like(per),
            name="storage_capacity",
        )

    # --- support: allocation a[assign, period] over (provider, slot) pairs -------------------
    slots = support_slots(prep)
    pairs = []  # (provider, slot position)
    for up in spec.providers:
        serves = set(up.serves) if up.serves else {prep.place_by_id[up.home].country}
        for j, (task, place, _th) in enumerate(slots):
            if task in up.capability and (
                place in serves or prep.place_by_id[place].country in serves
            ):
                pairs.append((up, j))
    A = pd.RangeIndex(len(pairs), name="assign")
    p_prov = np.array([up.id for up, _ in pairs], dtype=object)
    p_nation = np.array([up.nation for up, _ in pairs], dtype=object)
    p_slot = np.array([j for _, j in pairs], dtype=np.int64)
    p_task = np.array([slots[j][0] for j in p_slot], dtype=object)
    p_place = np.array([slots[j][1] for j in p_slot], dtype=object)
    p_theater = np.array([slots[j][2] for j in p_slot], dtype=object)
    p_cap = np.array([up.capability[slots[j][0]] for up, j in pairs], dtype=float)
    p_first = np.array([up.available_from for up, _ in pairs], dtype=np.int64)
    p_last = np.array([min(up.available_to or T, T) for up, _ in pairs], dtype=np.int64)
    # (pair, period): the provider is available
    p_on = (p_first[:, None] <= np.arange(1, T + 1)) & (np.arange(1, T + 1) <= p_last[:, None])
    a = None
    if pairs:
        a = m.add_variables(
            lower=0,
            coords=[A, periods],
            name="allocation",
            mask=_da(p_on, A, periods),
            integer=spec.settings.integer_units,
        )
        provs = pd.Index(sorted(set(p_prov)), name="provider")
        count = _da([prep.provider_by_id[p].count for p in provs], provs)
        by_prov = pd.Series(p_prov, index=A, name="provider")
        m.add_constraints(
            a.to_linexpr().groupby(by_prov).sum() <= count, name="provider_availability"
        )

    def pick(sel: np.ndarray, coef: Any = None) -> Any:
        """Allocation terms of the selected pairs (times capability unless `coef` is given)."""
        sub = a.sel(assign=A[sel])
        return (coef if coef is not None else _da(p_cap[sel], A[sel])) * sub

    def by(expr: Any, sel: np.ndarray, key: np.ndarray, dim: str, full: pd.Index) -> Any:
        """Sum selected pair terms into `dim` by each pair's key."""
        return expr.groupby(pd.Series(key, index=A[sel], name=dim)).sum().reindex({dim: full})

    # task requirements
    reqs = prep.requirements
    if reqs:
        Q = pd.Index([q.id for q in reqs], name="requirement")
        amount = _da([q.amount for q in reqs], Q)
        on = (per >= _da([q.from_period for q in reqs], Q)) & (
            per <= _da([q.to_period for q in reqs], Q)
        )
        v = m.add_variables(
            lower=0,
            upper=amount.broadcast_like(on),
            coords=[Q, periods],
            name="task_shortfall",
            mask=on.transpose("requirement", "period"),
        )
        rslots = sorted({(q.task.value, q.place, q.theater) for q in reqs})
        rs = pd.Index(np.arange(len(rslots)), name="rslot")
        rcode = {sl: i for i, sl in enumerate(rslots)}
        rq = np.array([rcode[(q.task.value, q.place, q.theater)] for q in reqs])
        need = (amount * on).groupby(xr.DataArray(rq, coords=[Q], name="rslot")).sum()
        lhs = v.to_linexpr().groupby(pd.Series(rq, index=Q, name="rslot")).sum()
        to_r = np.array([rcode.get(sl, -1) for sl in slots], dtype=np.int64)
        sel = to_r[p_slot] >= 0 if pairs else np.zeros(0, bool)
        if sel.any():
            lhs = lhs + by(pick(sel), sel, to_r[p_slot[sel]], "rslot", rs)
        m.add_constraints(lhs >= need.reindex(rslot=rs), name="task_requirement", mask=need > 0)
        penalty = {t.id.value: t.penalty_weight for t in spec.tasks}
        wq = _da([weight[q.priority] * penalty[q.task.value] * days for q in reqs], Q)
        objective.append((wq * v).sum())

    # maintenance facilities: assigned maintenance work at most the place's capacity
    mcap = {p.id: p.maintenance_capacity for p in spec.places if p.maintenance_capacity is not None}
    sel = (p_task == TaskKind.maintenance.value) & np.isin(p_place, list(mcap))
    if sel.any():
        ids = pd.Index([p for p in places if p in set(p_place[sel])], name="place")
        busy = np.zeros((len(ids), T), bool)  # rows where some unit may work
        np.logical_or.at(busy, ids.get_indexer(p_place[sel]), p_on[sel])
        m.add_constraints(
            by(pick(sel), sel, p_place[sel], "place", ids) <= _da([mcap[p] for p in ids], ids),
            name="maintenance_capacity",
            mask=_da(busy, ids, periods),
        )

    # enabling constraints: flow tons at a slot <= days * assigned capability
    def assigned(task: str, cells: dict[tuple[str, str], int], dim: str, full: pd.Index):
        """Days x capability assigned per (slot cell of `task`, period)."""
        key = np.array([cells.get((p, th), -1) for p, th in zip(p_place, p_theater, strict=True)],
                       dtype=np.int64)  # fmt: skip
        sel = (p_task == task) & (key >= 0)
        return by(pick(sel), sel, key[sel], dim, full) if sel.any() else None

    def enabling(name: str, task: TaskKind, route_mask: np.ndarray, both_ends: bool) -> None:
        own = [(p, th) for tk, p, th in slots if tk == task.value]
        if not own:
            return
        ids = pd.Index(np.arange(len(own)), name="slot")
        cells = {sl: i for i, sl in enumerate(own)}
        ends = [(origin, zero), (dest, lag)] if both_ends else [(origin, zero)]
        parts = []
        for where, shift in ends:
            key = np.array([cells.get((places[i], th), -1) for i, th in zip(where, theater,
                            strict=True)], dtype=np.int64)  # fmt: skip
            parts.append(_gather(ft, R, np.where(route_mask, key, -1), shift, "slot", ids))
        cap_expr = assigned(task.value, cells, "slot", ids)
        parts.append(None if cap_expr is None else -days * cap_expr)
        total = _sum(parts)
        if total is not None:
            m.add_constraints(total <= 0, name=name)

    enabling("port_access", TaskKind.port_access, mode == Mode.sea, True)
    enabling("airfield_access", TaskKind.airfield_access, mode == Mode.air, True)
    onward = np.array([r.onward for r in prep.routes], dtype=bool)
    enabling("onward_transport", TaskKind.onward_transport, onward, False)

    # sea-lane escort: tons on routes through contested lanes, one pool per escort place
    contested = {lane.id: lane.escort_place for lane in spec.lanes if lane.contested}
    areas = [sorted({contested[x] for x in r.lanes if x in contested}) for r in prep.routes]
    if contested and int((x.labels >= 0).sum()) and any(areas):
        esc = sorted({(p, r.theater) for r, ps in zip(prep.routes, areas, strict=True) for p in ps})
        E = pd.Index(np.arange(len(esc)), name="escort")
        cells = {sl: i for i, sl in enumerate(esc)}
        parts = []
        for k in range(max(len(ps) for ps in areas)):  # a route counts once per escort place
            key = np.array([cells[(ps[k], r.theater)] if len(ps) > k else -1
                            for r, ps in zip(prep.routes, areas, strict=True)], dtype=np.int64)  # fmt: skip
            parts.append(_gather(ft, R, key, zero, "escort", E))
        cap_expr = assigned(TaskKind.sea_lane_escort.value, cells, "escort", E)
        parts.append(None if cap_expr is None else -days * cap_expr)
        m.add_constraints(_sum(parts) <= 0, name="sea_lane_escort")

    # the ROK rheostat: no ROK capability for another theater in a task above the level
    blocked = [t.id.value for t in spec.tasks if not prep.rok_level_allows(t.min_rok_level)]
    sel = (p_nation == "ROK") & (p_theater != rules.KOREA) & np.isin(p_task, blocked)
    if sel.any():
        ids = pd.Index(sorted(set(p_task[sel])), name="task")
        m.add_constraints(
            by(pick(sel), sel, p_task[sel], "task", ids).sum("period") <= 0,
            name="policy_rok_support_level",
        )

    # Korean territory at level none: no U.S. unit on it serves another theater
    rok = spec.policies.rok_support
    if rules.korean_territory_closed(prep.rok_level.value, rok.none_withdraws_flexibility):
        home_th = np.array([theater_of[up.home] for up, _ in pairs], dtype=object)
        sel = np.array(
            [nat == "US" and th != rules.KOREA and rules.on_korean_territory(h, theater_of[p])
             for nat, th, h, p in zip(p_nation, p_theater, home_th, p_place, strict=True)],
            dtype=bool,
        )  # fmt: skip
        if sel.any():
            ids = pd.Index(sorted(set(p_prov[sel])), name="provider")
            m.add_constraints(
                by(pick(sel), sel, p_prov[sel], "provider", ids).sum("period") <= 0,
                name="policy_korean_territory",
            )

    # --- forces: share z[force, theater, period] from arrival ---------------------------------
    forces = spec.forces
    pol = spec.policies
    F = pd.Index([f.id for f in forces], name="force")
    TH = pd.Index([t.id for t in spec.theaters], name="theater")
    h = None
    if forces:
        arrive = np.full((len(F), len(TH)), T + 1)
        ok = np.zeros((len(F), len(TH)), bool)
        flag = np.zeros((len(F), len(TH)), np.int64)
        for i, f in enumerate(forces):
            for th in f.theaters:
                arrive[i, TH.get_loc(th)] = prep.force_arrival[(f.id, th)]
                ok[i, TH.get_loc(th)] = True
                flag[i, TH.get_loc(th)] = prep.force_lag[(f.id, th)]
        arriveA = _da(arrive, F, TH)
        present = (per >= arriveA).transpose("force", "theater", "period")
        # no upper bounds (as rsoi.lp.build): the balances keep every share within [0, 1]
        z = m.add_variables(lower=0, coords=[F, TH, periods], name="share", mask=present)
        # movements: home share h, deploys d (home -> theater, lag L), swings w (theater ->
        # theater, lag S); in transit a share counts nowhere
        okA, lagA = _da(ok, F, TH), _da(flag, F, TH)
        ready = _da([f.ready_period for f in forces], F)
        h = m.add_variables(lower=0, coords=[F, periods], name="force_home")
        dmask = (okA & (per >= ready) & (per + lagA <= T)).transpose("force", "theater", "period")
        d = m.add_variables(lower=0, coords=[F, TH, periods], name="deploy", mask=dmask)
        OR = pd.Index(TH.values, name="origin")
        swing = np.zeros((len(F), len(TH), len(TH)), np.int64)
        sok = np.zeros((len(F), len(TH), len(TH)), bool)
        for i, f in enumerate(forces):
            for o in f.theaters:
                for b in f.theaters:
                    if o != b:
                        swing[i, TH.get_loc(o), TH.get_loc(b)] = prep.swing_lag[(f.id, o, b)]
                        sok[i, TH.get_loc(o), TH.get_loc(b)] = True
        SW = _da(swing, F, OR, TH)
        w = m.add_variables(
            lower=0,
            coords=[F, OR, TH, periods],
            name="swing",
            mask=(
                _da(sok, F, OR, TH)
                & (per >= arriveA.rename(theater="origin"))
                & (per + SW >= arriveA)
                & (per + SW <= T)
            ).transpose("force", "origin", "theater", "period"),
        )
        first = _da((periods.to_numpy() == 1).astype(float), periods)
        m.add_constraints(h - h.shift(period=1) + d.sum("theater") == first, name="force_home")
        arrivals = [d.where(lagA == L).shift(period=int(L)) for L in np.unique(flag[ok])]
        arrivals += [
            w.where(k == SW).shift(period=int(k)).sum("origin") for k in np.unique(swing[sok])
        ]
        leaving = w.sum("theater").rename(origin="theater")
        position = z - z.shift(period=1) - reduce(add, arrivals) + leaving
        m.add_constraints(position == 0, name="force_position", mask=present)

        beta = spec.settings.apportionment_stability_weight
        if beta > 0:  # |z_t - z_{t-1}| for consecutive periods with a share
            again = (per > arriveA).transpose("force", "theater", "period")
            if bool(again.any()):
                c = m.add_variables(lower=0, coords=[F, TH, periods], name="share_change",
                                    mask=again)  # fmt: skip
                sign = _da([-1.0, 1.0], pd.Index(["up", "down"], name="direction"))
                m.add_constraints(c + sign * (z - z.shift(period=1)) >= 0, name="share_change",
                                  mask=again & (sign != 0))  # fmt: skip
                objective.append(beta * c.sum())

        # combat power: a share reached with arrival lag 0 still operates from its home base
        # and counts at the home place's attack factor (rules.operates_from_home)
        base = np.stack([_factor(prep, f.home) for f in forces])  # (force, period)
        from_home = np.array([[rules.operates_from_home(int(L)) for L in row] for row in flag])
        eff = np.array([f.combat_power for f in forces])[:, None, None] * np.where(
            (from_home & ok)[:, :, None], base[:, None, :], 1.0
        )
        power = _da(eff, F, TH, periods)
        troops = _da([f.troops for f in forces], F)
        rung = prep.timeline.rung
        cr = spec.combat_requirements
        amt = np.zeros((len(cr), T))
        for i, line in enumerate(cr):
            for t in range(1, T + 1):
                amt[i, t - 1] = line.amount_by_ladder.get(rung[t - 1], 0.0)
                if prep.korea_start is not None and t >= prep.korea_start:
                    amt[i, t - 1] += line.korea_conflict_amount
        if (amt > 0).any():
            CL = pd.RangeIndex(len(cr), name="cline")
            amtA = _da(amt, CL, periods)
            e = m.add_variables(lower=0, upper=amtA, coords=[CL, periods],
                                name="combat_shortfall", mask=amtA > 0)  # fmt: skip
            cth = pd.Series([line.theater for line in cr], index=CL, name="theater")
            need = amtA.groupby(xr.DataArray(cth.to_numpy(), coords=[CL], name="theater")).sum()
            need = need.reindex(theater=TH, fill_value=0.0)
            lhs = (power * z).sum("force") + e.to_linexpr().groupby(cth).sum().reindex(theater=TH)
            m.add_constraints(lhs >= need, name="combat_power", mask=need > 0)
            wc = _da([weight[line.priority] * line.penalty_weight * days for line in cr], CL)
            objective.append((wc * e).sum())

        def floor(name: str, lhs: Any, value: float, mode_: ConstraintMode, priority: str,
                  penalty: float) -> None:  # fmt: skip
            if mode_ == ConstraintMode.elastic:
                short = m.add_variables(
                    lower=0, upper=max(value, 0.0), coords=[periods], name=f"{name}_shortfall"
                )
                lhs = lhs + short
                objective.append((weight[priority] * penalty * days * short).sum())
            m.add_constraints(lhs >= value, name=name)

        in_korea = rules.KOREA in TH
        korea = z.sel(theater=rules.KOREA) if in_korea else None
        dfl = pol.deterrence_floor
        if dfl.enabled:
            value = dfl.opportunistic_combat_power if dfl.north_korea_opportunistic else (
                dfl.combat_power)  # fmt: skip
            lhs = (power.sel(theater=rules.KOREA) * korea).sum("force") if in_korea else 0 * h.sum(
                "force")  # fmt: skip
            floor("policy_deterrence_floor", lhs, value, dfl.mode, dfl.priority,
                  dfl.penalty_weight)  # fmt: skip
        tfl = pol.troop_floor
        if tfl.enabled:
            # USFK air read as assigned strength counts wherever it is (rules.troops_count_assigned)
            assigned = [f.nation == "US" and rules.troops_count_assigned(
                f.assignment.value, f.branch.value, tfl.usfk_air_counts_assigned) for f in forces]  # fmt: skip
            by_presence = _da([f.nation == "US" and not a for f, a in zip(forces, assigned,
                               strict=True)], F)  # fmt: skip
            at_home = _da([theater_of[f.home] == rules.KOREA for f in forces], F)
            lhs = (troops * by_presence * at_home * h).sum("force")
            if in_korea:
                lhs = lhs + (troops * by_presence * korea).sum("force")
            value = tfl.troops - sum(f.troops for f, a in zip(forces, assigned, strict=True) if a)
            floor("policy_troop_floor", lhs, value, tfl.mode, tfl.priority, tfl.penalty_per_troop)
        away = TH[TH != rules.KOREA]
        reach = {f.id: any(arrive[i, TH.get_loc(th)] <= T for th in away) for i, f in
                 enumerate(forces)}  # fmt: skip

        def stays(name: str, ids: list[str]) -> None:
            ids = [f for f in ids if reach[f]]
            if ids:
                m.add_constraints(
                    z.sel(force=ids, theater=away).sum(["theater", "period"]) <= 0, name=name
                )

        if pol.usfk_ground_stays.enabled:
            stays("policy_usfk_ground_stays", [f.id for f in forces if f.assignment ==
                  Assignment.usfk and f.branch == Branch.ground])  # fmt: skip
        if pol.usfk_air_share.enabled and len(away):
            airf = {f.id: f.aircraft for f in forces
                    if f.assignment == Assignment.usfk and f.branch == Branch.air}  # fmt: skip
            if airf:
                ac = _da(list(airf.values()), pd.Index(list(airf), name="force"))
                m.add_constraints(
                    (ac * z.sel(force=list(airf), theater=away)).sum(["force", "theater"])
                    <= pol.usfk_air_share.max_share * sum(airf.values()),
                    name="policy_usfk_air_share",
                )
        withdrawn = rok.none_withdraws_flexibility and prep.rok_level == SupportLevel.none
        if not pol.strategic_flexibility.allowed or withdrawn:
            stays("policy_strategic_flexibility",
                  [f.id for f in forces if f.assignment == Assignment.usfk])  # fmt: skip
        if not prep.rok_level_allows(SupportLevel.joint_operations):
            stays("policy_rok_joint_operations", [f.id for f in forces if f.nation == "ROK"])

        # a base under attack launches only the factor x the share still there
        home_factor = _da(base, F, periods)
        launch = dmask.any("theater") & (home_factor < 1.0)
        if bool(launch.any()):
            m.add_constraints(
                d.sum("theater") - home_factor * h.shift(period=1) <= home_factor * first,
                name="unit_launch",
                mask=launch,
            )

    # --- units: one asset, one position ------------------------------------------------------
    by_id = prep.provider_by_id
    works = p_on.any(axis=1)  # the pair has an allocation column
    tracked = [u for u in spec.providers if u.speed_km_per_day is not None and u.count > 0]
    UT = pd.Index([u.id for u in tracked], name="provider")
    q = None
    if tracked:
        # stations: home and every place the provider may work
        station = np.zeros((len(UT), len(places)), bool)
        for i, u in enumerate(tracked):
            station[i, pos[u.home]] = True
            station[i, [pos[p] for p in p_place[works & (p_prov == u.id)]]] = True
        q = m.add_variables(lower=0, coords=[UT, places, periods], name="unit_at",
                            mask=(_da(station, UT, places) & always).transpose(
                                "provider", "place", "period"))  # fmt: skip
        OP = pd.Index(places.values, name="origin")
        DP = pd.Index(places.values, name="destination")
        ulag = np.zeros((len(UT), len(places), len(places)), np.int64)
        uok = station[:, :, None] & station[:, None, :] & ~np.eye(len(places), dtype=bool)
        for i, o, b in zip(*np.nonzero(uok), strict=True):
            ulag[i, o, b] = prep.unit_lag(UT[i], places[o], places[b])
        ulagA = _da(ulag, UT, OP, DP)
        since = _da([u.available_from for u in tracked], UT)
        mv = m.add_variables(
            lower=0,
            coords=[UT, OP, DP, periods],
            name="unit_move",
            mask=(_da(uok, UT, OP, DP) & (per >= since) & (per + ulagA <= T)).transpose(
                "provider", "origin", "destination", "period"
            ),
        )
        come = [
            mv.where(ulagA == L).shift(period=int(L)).sum("origin").rename(destination="place")
            for L in np.unique(ulag[uok])
        ]
        go = mv.sum("destination").rename(origin="place")
        start = xr.DataArray(0.0, coords=[UT, places, periods]).copy()
        for u in tracked:
            start.loc[u.id, u.home, 1] = u.count
        m.add_constraints(
            q - q.shift(period=1) + go - _sum(come) == start,
            name="unit_position",
            mask=(_da(station, UT, places) & always).transpose(*start.dims),
        )

    # units work where they are; an attack hits the units at the place (rules.at_attacked_place)
    if pairs:
        UP = pd.Index(sorted(set(p_prov)), name="provider")
        there = _group2(a, A, "provider", list(p_prov), "place", list(p_place), UP, places)
        busy = np.zeros((len(UP), len(places), T), bool)
        np.logical_or.at(busy, (UP.get_indexer(p_prov), [pos[p] for p in p_place]), p_on)
        phi = _da(np.stack([_factor(prep, p) for p in places]), places, periods)
        is_tracked = _da([p in UT for p in UP], UP)
        count = _da([by_id[p].count for p in UP], UP)
        rows = _da(busy, UP, places, periods) & (is_tracked | (phi < 1.0))
        if bool(rows.any()):
            lhs = there if q is None else there - (phi * q).reindex(provider=UP)
            m.add_constraints(
                lhs <= phi * count * ~is_tracked,
                name="unit_station",
                mask=rows.transpose("provider", "place", "period"),
            )

    # the share of a force its support units use (units away from home or working, over N_u)
    parts = {}
    for up in spec.providers:
        if up.part_of is not None and up.count > 0:
            parts.setdefault(up.part_of, []).append(up)
    part_of = {up.id: up.part_of for ps in parts.values() for up in ps}

    def unit_share(ids: pd.Index, pair_sel: np.ndarray, place_w: Any) -> Any:
        """Per (force, period): allocations of the selected pairs over N_u, plus for tracked
        providers place_w(provider, place) x units at the place over N_u."""
        terms = []
        sel = pair_sel & np.isin(p_prov, list(part_of)) & works
        if sel.any():
            inv = _da([1.0 / by_id[p].count for p in p_prov[sel]], A[sel])
            terms.append(by(pick(sel, inv), sel, [part_of[p] for p in p_prov[sel]], "force",
                            ids))  # fmt: skip
        mine = [u for u in UT if u in part_of]
        if mine and q is not None:
            inv = _da([1.0 / by_id[u].count for u in mine], pd.Index(mine, name="provider"))
            units = (inv * place_w.sel(provider=mine) * q.sel(provider=mine)).sum("place")
            grouper = pd.Series([part_of[u] for u in mine], index=pd.Index(mine, name="provider"),
                                name="force")  # fmt: skip
            terms.append(units.groupby(grouper).sum().reindex(force=ids))
        return _sum(terms)

    home_pos = np.array([pos[by_id[p].home] for p in p_prov], dtype=np.int64) if pairs else None
    if parts and h is not None:
        PF = pd.Index(sorted(parts), name="force")
        is_home = (
            _da([[p == by_id[u].home for p in places] for u in UT], UT, places) if tracked else None
        )
        # untracked: every allocation; tracked: N_u - units at home + allocations at home
        sel = (~np.isin(p_prov, UT) | (np.array([pos[p] for p in p_place]) == home_pos)
               if pairs else np.zeros(0, bool))  # fmt: skip
        used = unit_share(PF, sel, None if is_home is None else -1.0 * is_home)
        n_tracked = _da([sum(u.id in UT for u in parts[f]) for f in PF], PF)
        lhs = -1 * h.sel(force=PF) if used is None else used - h.sel(force=PF)
        m.add_constraints(lhs <= -n_tracked.broadcast_like(per), name="unit_split")

    # how much of each ROK force may leave Korea
    abroad = rok.forces_abroad
    rf = [f for f in forces if f.nation == "ROK"]
    if abroad is not None and rf:
        cap = rules.rok_forces_abroad_cap(
            {k.value: v for k, v in abroad.max_share_by_level.items()}, prep.rok_level.value
        )
        RF = pd.Index([f.id for f in rf], name="force")
        away = TH[TH != rules.KOREA]
        outside = np.array([rules.outside_korea(theater_of[p]) for p in places])
        p_out = outside[[pos[p] for p in p_place]] if pairs else np.zeros(0, bool)
        terms = [z.sel(force=RF, theater=away).sum("theater")] if len(away) else []
        out_w = _da(np.tile(outside, (len(UT), 1)), UT, places) if tracked else None
        used = unit_share(RF, p_out & ~np.isin(p_prov, UT), out_w)
        terms.append(used)
        # rows where some term exists
        has = np.zeros((len(RF), T), bool)
        for i, f in enumerate(rf):
            for th in f.theaters:
                if th != rules.KOREA:
                    has[i, prep.force_arrival[(f.id, th)] - 1 :] = True
            for up in parts.get(f.id, []):
                if up.id in UT:
                    if (station[UT.get_loc(up.id)] & outside).any():
                        has[i] = True
                else:
                    has[i] |= p_on[(p_prov == up.id) & p_out].any(axis=0)
        if has.any():
            m.add_constraints(_sum(terms) <= cap, name="policy_rok_forces_abroad",
                              mask=_da(has, RF, periods))  # fmt: skip

    m.add_objective(reduce(add, objective))
    return m


def to_highs(m: Any, algorithm: str = "choose") -> Any:
    """linopy's own in-memory hand-over: `linopy.io.to_highspy` (no LP file)."""
    import linopy.io

    from rsoi.lp.highs_io import SIMPLEX_SCALE_STRATEGY

    h = linopy.io.to_highspy(m)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("simplex_scale_strategy", SIMPLEX_SCALE_STRATEGY)  # as rsoi's solves
    if algorithm != "choose":
        h.setOptionValue("solver", algorithm)
    return h


def solution_frames(m: Any, h: Any, x: np.ndarray | None = None) -> dict[str, pd.DataFrame]:
    """Per-variable tables of non-zero values (the linopy user's "tables" step).

    `x` overrides HiGHS's column values (benchmark without a solve).
    """
    values = np.asarray(h.getSolution().col_value if x is None else x, dtype=float)
    vlabels = m.matrices.vlabels
    size = 1 + max(int(v.labels.max()) for _, v in m.variables.items())
    by_label = np.full(size, np.nan)
    by_label[vlabels] = values
    out = {}
    for name, var in m.variables.items():
        labels = var.labels
        frame = labels.to_dataframe(name="label").reset_index()
        lab = frame["label"].to_numpy()
        ok = lab >= 0
        frame = frame.loc[ok].drop(columns="label")
        frame["value"] = by_label[lab[ok]]
        out[name] = frame[frame["value"].abs() > 1e-9]
    return out
