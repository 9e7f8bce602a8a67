"""The rsoi LP written independently in linopy (benchmark baseline, see ``scripts/bench.py``).

Built from the same `rsoi.lp.prepare.Prepared` data in linopy's vectorised xarray style (masks,
`groupby().sum()`, `shift`; loops only over distinct transit lags and small entity lists). It
covers the families the synthetic generator triggers (see `rsoi.bench.synthetic`); a model that
needs another family raises `NotImplementedError`. Same variables, bounds, constraints and
objective as `rsoi.lp.build.build`, so the optimal objectives agree.
"""

from __future__ import annotations

import warnings
from functools import reduce
from operator import add
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from rsoi.lp.prepare import Prepared, support_slots
from rsoi.model.schema import (
    Assignment,
    Branch,
    ConstraintMode,
    Mode,
    TaskKind,
    effective_rok_level,
)


def _quiet() -> None:
    import linopy

    # legacy semantics: an absent (masked / shifted-in) term counts as 0 -- what we want
    warnings.filterwarnings("ignore", category=linopy.config.LinopySemanticsWarning)


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
    return reduce(add, parts) if parts else None


def _unstack_pk(expr: Any, places: pd.Index, comms: pd.Index) -> Any:
    return expr.unstack("group").reindex(place=places, commodity=comms)


def _check_supported(prep: Prepared) -> None:
    spec = prep.spec
    pol = spec.policies
    if spec.settings.integer_units:
        raise NotImplementedError("integer_units")
    if any(p.maintenance_capacity is not None for p in spec.places):
        raise NotImplementedError("maintenance_capacity is not in the linopy formulation")
    if (
        effective_rok_level(spec).value != "joint_operations"
        or not pol.strategic_flexibility.allowed
    ):
        raise NotImplementedError("ROK support level / strategic flexibility policies")
    if any(lane.contested for lane in spec.lanes):
        raise NotImplementedError("sea_lane_escort is not in the linopy formulation")
    if spec.settings.apportionment_stability_weight > 0:
        raise NotImplementedError(
            "share_change (apportionment stability) is not in the linopy formulation"
        )


def build_linopy(prep: Prepared) -> Any:
    """The rsoi LP of `prep` as a `linopy.Model` (minimise the weighted objective)."""
    import linopy

    _quiet()
    _check_supported(prep)
    spec, T, days = prep.spec, prep.T, prep.days
    m = linopy.Model()
    periods = pd.RangeIndex(1, T + 1, name="period")
    per = xr.DataArray(np.arange(1, T + 1), coords=[periods])
    places = pd.Index([p.id for p in spec.places], name="place")
    pos = {p: i for i, p in enumerate(places)}
    comms = pd.Index([c.id for c in spec.commodities], name="commodity")
    tons_k = np.array([c.short_tons_per_unit for c in spec.commodities])
    tons = xr.DataArray(tons_k, coords=[comms])
    weight = prep.priority_weight
    R = pd.Index([r.id for r in prep.routes], name="route")
    lag = np.array([r.transit_periods for r in prep.routes], dtype=np.int64)
    origin = np.array([pos[r.origin] for r in prep.routes], dtype=np.int64)
    dest = np.array([pos[r.destination] for r in prep.routes], dtype=np.int64)
    theater = np.array([r.theater for r in prep.routes], dtype=object)
    mode = np.array([r.mode for r in prep.routes], dtype=object)
    zero = np.zeros(len(R), dtype=np.int64)
    objective = []

    # flows x[route, commodity, period], t + lag <= T
    fmask = per + xr.DataArray(lag, coords=[R]) <= T
    x = m.add_variables(
        lower=0,
        coords=[R, comms, periods],
        name="flow",
        mask=fmask.expand_dims(commodity=comms).transpose("route", "commodity", "period"),
    )
    cost = xr.DataArray([r.cost_per_t for r in prep.routes], coords=[R])
    objective.append((spec.settings.transport_cost_weight * cost * tons * x).sum())
    xe = 1 * x
    ft = (tons * x).sum("commodity")  # tons departing per (route, period)

    # inventory, production, delivery, shortfall
    s = m.add_variables(lower=0, coords=[places, comms, periods], name="inventory")
    balance = s - s.shift(period=1)
    out = _gather(xe, R, origin, zero, "place", places)
    inn = _gather(xe, R, dest, lag, "place", places)
    if out is not None:
        balance = balance + out - inn
    if spec.production:
        lines = pd.RangeIndex(len(spec.production), name="line")
        first = xr.DataArray([g.from_period for g in spec.production], coords=[lines])
        last = xr.DataArray([min(g.to_period or T, T) for g in spec.production], coords=[lines])
        cap = xr.DataArray([g.quantity_per_day * days for g in spec.production], coords=[lines])
        g = m.add_variables(
            lower=0,
            upper=cap.broadcast_like(per),
            coords=[lines, periods],
            name="production",
            mask=((per >= first) & (per <= last)).transpose("line", "period"),
        )
        frame = pd.DataFrame(
            {
                "place": [q.place for q in spec.production],
                "commodity": [q.commodity for q in spec.production],
            },
            index=lines,
        )
        balance = balance - _unstack_pk(g.to_linexpr().groupby(frame).sum(), places, comms)
    demands = prep.demands
    if demands:
        D = pd.Index([d.id for d in demands], name="demand")
        ead = xr.DataArray([d.ead for d in demands], coords=[D])
        y = m.add_variables(
            lower=0,
            coords=[D, periods],
            name="delivery",
            mask=(per >= ead).transpose("demand", "period"),
        )
        frame = pd.DataFrame(
            {"place": [d.place for d in demands], "commodity": [d.commodity for d in demands]},
            index=D,
        )
        balance = balance + _unstack_pk(y.to_linexpr().groupby(frame).sum(), places, comms)
        u = m.add_variables(lower=0, coords=[D], name="demand_shortfall")
        qty = xr.DataArray([d.quantity for d in demands], coords=[D])
        m.add_constraints(y.sum("period") + u == qty, name="demand")
        dtons = xr.DataArray(
            [prep.commodity_by_id[d.commodity].short_tons_per_unit for d in demands], coords=[D]
        )
        w = xr.DataArray([weight[d.priority] for d in demands], coords=[D])
        objective.append((w * dtons * u).sum())
        lad = xr.DataArray([d.lad for d in demands], coords=[D])
        late = np.maximum(per - lad, 0)
        objective.append((spec.settings.lateness_weight * days * late * dtons * y).sum())
    stock = xr.zeros_like(xr.DataArray(0.0, coords=[places, comms, periods]))
    for st in spec.stocks:
        stock.loc[st.place, st.commodity, 1] += st.quantity
    m.add_constraints(balance == stock, name="flow_balance")

    # route capacity
    caps = np.stack([r.capacity_t_per_period for r in prep.routes])
    m.add_constraints(
        ft <= xr.DataArray(caps, coords=[R, periods]), name="route_capacity", mask=fmask
    )

    # place throughput and airfield MOG
    def place_limit(name: str, cap: dict[str, float], route_mask: np.ndarray, scale: float):
        ids = pd.Index([p for p in places if p in cap], name="place")
        if not len(ids):
            return
        row = {p: i for i, p in enumerate(ids)}
        code = np.array([row.get(p, -1) for p in places], dtype=np.int64)
        o = np.where(route_mask, code[origin], -1)
        d = np.where(route_mask, code[dest], -1)
        parts = [
            e
            for e in (_gather(ft, R, d, lag, "place", ids), _gather(ft, R, o, zero, "place", ids))
            if e is not None
        ]
        if not parts:
            return
        upper = np.stack([cap[p] * days * prep.place_factor[p] for p in ids])
        m.add_constraints(
            scale * reduce(add, parts) <= xr.DataArray(upper, coords=[ids, periods]), name=name
        )

    everything = np.ones(len(R), bool)
    place_limit(
        "place_throughput",
        {p.id: p.cargo_t_per_day for p in spec.places if p.cargo_t_per_day is not None},
        everything,
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
        limit = xr.DataArray([prep.place_by_id[p].storage_t for p in store], coords=[store])
        m.add_constraints((tons * s.sel(place=store)).sum("commodity") <= limit, name="storage")

    # support allocation a[assign, period] over (provider, slot) pairs
    slots = support_slots(prep)
    pairs, caps_a = [], []
    first_a, last_a = [], []
    for up in spec.providers:
        serves = set(up.serves) if up.serves else {prep.place_by_id[up.home].country}
        for j, (task, place, _th) in enumerate(slots):
            if task in up.capability and (
                place in serves or prep.place_by_id[place].country in serves
            ):
                pairs.append((up.id, up.nation, j))
                caps_a.append(up.capability[task])
                first_a.append(up.available_from)
                last_a.append(min(up.available_to or T, T))
    if pairs:
        A = pd.RangeIndex(len(pairs), name="assign")
        a = m.add_variables(
            lower=0,
            coords=[A, periods],
            name="allocation",
            mask=(
                (per >= xr.DataArray(first_a, coords=[A]))
                & (per <= xr.DataArray(last_a, coords=[A]))
            ).transpose("assign", "period"),
        )
        provs = pd.Index(sorted({p for p, _, _ in pairs}), name="provider")
        count = xr.DataArray(
            [next(u.count for u in spec.providers if u.id == p) for p in provs], coords=[provs]
        )
        by_prov = pd.Series([p for p, _, _ in pairs], index=A, name="provider")
        m.add_constraints(
            a.to_linexpr().groupby(by_prov).sum() <= count, name="provider_availability"
        )
        ca = xr.DataArray(caps_a, coords=[A]) * a
        slot_of = np.array([j for _, _, j in pairs], dtype=np.int64)
        task_of = np.array([slots[j][0] for j in slot_of], dtype=object)

    def capability(task: str) -> tuple[Any, pd.Index, np.ndarray]:
        """Assigned capability per (slot of `task`, period), its slot index, slot codes."""
        own = [j for j, sl in enumerate(slots) if sl[0] == task]
        ids = pd.Index(np.arange(len(own)), name="slot")
        code = np.full(len(slots), -1, dtype=np.int64)
        code[own] = np.arange(len(own))
        sel = task_of == task if pairs else np.zeros(0, bool)
        if not sel.any():
            return None, ids, code
        grouper = pd.Series(code[slot_of[sel]], index=A[sel], name="slot")
        return ca.sel(assign=A[sel]).groupby(grouper).sum().reindex(slot=ids), ids, code

    # task requirements
    reqs = prep.requirements
    if reqs:
        for q in reqs:
            if q.task.value in (
                "sea_lane_escort",
                "port_access",
                "airfield_access",
                "onward_transport",
            ):
                raise NotImplementedError("requirement on an enabling task")
        Q = pd.Index([q.id for q in reqs], name="requirement")
        amount = xr.DataArray([q.amount for q in reqs], coords=[Q])
        on = (per >= xr.DataArray([q.from_period for q in reqs], coords=[Q])) & (
            per <= xr.DataArray([q.to_period for q in reqs], coords=[Q])
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
        if pairs:
            to_r = np.array([rcode.get(slots[j], -1) for j in range(len(slots))])
            sel = to_r[slot_of] >= 0
            if sel.any():
                grouper = pd.Series(to_r[slot_of[sel]], index=A[sel], name="rslot")
                lhs = lhs + ca.sel(assign=A[sel]).groupby(grouper).sum().reindex(rslot=rs)
        m.add_constraints(lhs >= need.reindex(rslot=rs), name="task_requirement", mask=need > 0)
        penalty = {t.id.value: t.penalty_weight for t in spec.tasks}
        wq = xr.DataArray(
            [weight[q.priority] * penalty[q.task.value] * days for q in reqs], coords=[Q]
        )
        objective.append((wq * v).sum())

    # enabling constraints: flow tons at a slot <= days * assigned capability
    def enabling(name: str, task: TaskKind, route_mask: np.ndarray, both_ends: bool) -> None:
        cap_expr, ids, code = capability(task.value)
        if not len(ids):
            return
        own = {(slots[j][1], slots[j][2]): code[j] for j in range(len(slots)) if code[j] >= 0}
        o = np.array([own.get((p, th), -1) for p, th in zip(places[origin], theater, strict=True)])
        o = np.where(route_mask, o, -1)
        parts = [_gather(ft, R, o, zero, "slot", ids)]
        if both_ends:
            d = np.array(
                [own.get((p, th), -1) for p, th in zip(places[dest], theater, strict=True)]
            )
            parts.append(_gather(ft, R, np.where(route_mask, d, -1), lag, "slot", ids))
        if cap_expr is not None:
            parts.append(-days * cap_expr)
        parts = [e for e in parts if e is not None]
        if parts:
            m.add_constraints(reduce(add, parts) <= 0, name=name)

    enabling("port_access", TaskKind.port_access, mode == Mode.sea, True)
    enabling("airfield_access", TaskKind.airfield_access, mode == Mode.air, True)
    onward = np.array([r.onward for r in prep.routes], dtype=bool)
    enabling("onward_transport", TaskKind.onward_transport, onward, False)

    # forces: share z[force, theater, period] from arrival
    forces = spec.forces
    if forces:
        F = pd.Index([f.id for f in forces], name="force")
        TH = pd.Index([t.id for t in spec.theaters], name="theater")
        arrive = np.full((len(F), len(TH)), T + 1)
        for i, f in enumerate(forces):
            for th in f.theaters:
                arrive[i, TH.get_loc(th)] = prep.force_arrival[(f.id, th)]
        z = m.add_variables(
            lower=0,
            upper=1,
            coords=[F, TH, periods],
            name="share",
            mask=(per >= xr.DataArray(arrive, coords=[F, TH])).transpose(
                "force", "theater", "period"
            ),
        )
        # movements: home share h, deploys d (home -> theater, lag L), swings w (theater ->
        # theater, lag S); the same balances as rsoi.lp.build.define_apportionment
        ok = np.zeros((len(F), len(TH)), bool)
        lag = np.zeros((len(F), len(TH)), np.int64)
        for i, f in enumerate(forces):
            for th in f.theaters:
                ok[i, TH.get_loc(th)] = True
                lag[i, TH.get_loc(th)] = prep.force_lag[(f.id, th)]
        okA = xr.DataArray(ok, coords=[F, TH])
        lagA = xr.DataArray(lag, coords=[F, TH])
        ready = xr.DataArray([f.ready_period for f in forces], coords=[F])
        arriveA = xr.DataArray(arrive, coords=[F, TH])
        h = m.add_variables(lower=0, upper=1, coords=[F, periods], name="force_home")
        d = m.add_variables(
            lower=0,
            upper=1,
            coords=[F, TH, periods],
            name="deploy",
            mask=(okA & (per >= ready) & (per + lagA <= T)).transpose("force", "theater", "period"),
        )
        OR = pd.Index(TH.values, name="origin")
        swing = np.zeros((len(F), len(TH), len(TH)), np.int64)
        sok = np.zeros((len(F), len(TH), len(TH)), bool)
        for i, f in enumerate(forces):
            for a in f.theaters:
                for b in f.theaters:
                    if a != b:
                        swing[i, TH.get_loc(a), TH.get_loc(b)] = prep.swing_lag[(f.id, a, b)]
                        sok[i, TH.get_loc(a), TH.get_loc(b)] = True
        S = xr.DataArray(swing, coords=[F, OR, TH])
        arr_origin = arriveA.rename(theater="origin")
        w = m.add_variables(
            lower=0,
            upper=1,
            coords=[F, OR, TH, periods],
            name="swing",
            mask=(
                xr.DataArray(sok, coords=[F, OR, TH])
                & (per >= arr_origin)
                & (per + S >= arriveA)
                & (per + S <= T)
            ).transpose("force", "origin", "theater", "period"),
        )
        first = xr.DataArray((periods.to_numpy() == 1).astype(float), coords=[periods])
        m.add_constraints(h - h.shift(period=1) + d.sum("theater") == first, name="force_home")
        arrivals = [d.where(lagA == L).shift(period=int(L)) for L in np.unique(lag[ok])]
        arrivals += [
            w.where(k == S).shift(period=int(k)).sum("origin") for k in np.unique(swing[sok])
        ]
        leaving = w.sum("theater").rename(origin="theater")
        position = z - z.shift(period=1) - reduce(add, arrivals) + leaving
        m.add_constraints(
            position == 0,
            name="force_position",
            mask=(per >= arriveA).transpose("force", "theater", "period"),
        )
        power = xr.DataArray([f.combat_power for f in forces], coords=[F])
        troops = xr.DataArray([f.troops for f in forces], coords=[F])
        rung = prep.timeline.rung
        lines = []
        for i, c in enumerate(spec.combat_requirements):
            for t in range(1, T + 1):
                amt = c.amount_by_ladder.get(rung[t - 1], 0.0)
                if prep.korea_start is not None and t >= prep.korea_start:
                    amt += c.korea_conflict_amount
                lines.append((i, t, amt))
        if lines:
            CL = pd.RangeIndex(len(spec.combat_requirements), name="cline")
            amt = xr.DataArray(
                np.array([a for _, _, a in lines]).reshape(len(CL), T), coords=[CL, periods]
            )
            e = m.add_variables(
                lower=0, upper=amt, coords=[CL, periods], name="combat_shortfall", mask=amt > 0
            )
            cth = pd.Series([c.theater for c in spec.combat_requirements], index=CL, name="theater")
            need = amt.groupby(xr.DataArray(cth.to_numpy(), coords=[CL], name="theater")).sum()
            need = need.reindex(theater=TH, fill_value=0.0)
            lhs = (power * z).sum("force") + e.to_linexpr().groupby(cth).sum().reindex(theater=TH)
            m.add_constraints(lhs >= need, name="combat_power", mask=need > 0)
            wc = xr.DataArray(
                [weight[c.priority] * c.penalty_weight * days for c in spec.combat_requirements],
                coords=[CL],
            )
            objective.append((wc * e).sum())
        korea = z.sel(theater="korea")
        pol = spec.policies

        def floor(
            name: str,
            coef: xr.DataArray,
            value: float,
            mode_: ConstraintMode,
            priority: str,
            penalty: float,
            extra: Any = None,
        ) -> None:
            lhs = (coef * korea).sum("force")
            if extra is not None:
                lhs = lhs + extra
            if mode_ == ConstraintMode.elastic:
                short = m.add_variables(
                    lower=0, upper=value, coords=[periods], name=f"{name}_shortfall"
                )
                lhs = lhs + short
                objective.append((weight[priority] * penalty * days * short).sum())
            m.add_constraints(lhs >= value, name=name)

        dfl = pol.deterrence_floor
        if dfl.enabled:
            value = (
                dfl.opportunistic_combat_power
                if dfl.north_korea_opportunistic
                else (dfl.combat_power)
            )
            floor(
                "policy_deterrence_floor", power, value, dfl.mode, dfl.priority, dfl.penalty_weight
            )
        tfl = pol.troop_floor
        if tfl.enabled:
            us = xr.DataArray([f.nation == "US" for f in forces], coords=[F])
            place_theater = {p.id: p.theater for p in spec.places}
            at_home = xr.DataArray(
                [f.nation == "US" and place_theater[f.home] == "korea" for f in forces],
                coords=[F],
            )
            floor(
                "policy_troop_floor",
                troops * us,
                tfl.troops,
                tfl.mode,
                tfl.priority,
                tfl.penalty_per_troop,
                (troops * at_home * h).sum("force"),
            )
        away = TH[TH != "korea"]
        if pol.usfk_ground_stays.enabled and len(away):
            gf = [
                f.id
                for f in forces
                if f.assignment == Assignment.usfk and f.branch == Branch.ground
            ]
            if gf:
                m.add_constraints(
                    z.sel(force=gf, theater=away).sum(["theater", "period"]) <= 0,
                    name="policy_usfk_ground_stays",
                )
        if pol.usfk_air_share.enabled and len(away):
            airf = {
                f.id: f.aircraft
                for f in forces
                if f.assignment == Assignment.usfk and f.branch == Branch.air
            }
            if airf:
                ac = xr.DataArray(list(airf.values()), coords=[pd.Index(list(airf), name="force")])
                m.add_constraints(
                    (ac * z.sel(force=list(airf), theater=away)).sum(["force", "theater"])
                    <= pol.usfk_air_share.max_share * sum(airf.values()),
                    name="policy_usfk_air_share",
                )

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
