r"""Build the rsoi LP: one ``define_*`` function per constraint family, math in its docstring.

Notation (used by every docstring; docs/model.md is generated from them):

- $t \in \{1..T\}$ periods of $\Delta$ days; $r$ routes from $o_r$ to $d_r$ with transit lag $\ell_r$;
  $k$ commodities of $w_k$ short tons per unit; $p$ places; $\theta$ theaters.
- $x_{rkt}$ flow of $k$ departing on $r$ in period $t$ (commodity units).
- $s_{pkt}$ inventory of $k$ at $p$ at the end of $t$; $s_{pk0}$ is the C-day stock.
- $y_{dt}$ delivery of demand line $d$ in period $t$; $u_d$ its shortfall.
- $a_{u\sigma t}$ units of provider $u$ allocated to slot $\sigma=(\tau, p, \theta)$ (task, place, theater).
- $z_{f\theta t}$ share of force $f$ apportioned to theater $\theta$ in period $t$.

Units of time: every rate in the input is per day (``capacity_t_per_day``,
``quantity_per_day``, ``cargo_t_per_day``, provider ``capability``, requirement ``amount``,
``maintenance_capacity``, sorties per slot per day) and so is every penalty on a level that is
short (task, combat-power and floor shortfalls, lateness per day late); the LP multiplies them by
$\Delta$ = ``horizon.period_days`` where a period total is needed. Quantities without a time unit
(demand ``quantity``, stocks, ``storage_t``, shares, transport cost per ton-km) are not scaled.

Column values below $10^{-7}$ (HiGHS's primal feasibility tolerance) are reported as exact
zeros, so no solver noise (e.g. stray flows of 1e-8 t, ``-0`` objective parts) reaches the
tables or ``summary.json``.

Every requirement is elastic (a shortfall variable with a penalty), so any scenario solves;
only policy constraints in ``mode: hard`` can make the model infeasible. Inputs that no plan
could satisfy whatever the policies (e.g. a C-day stock above the place's ``storage_t``) are
refused at validation.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rsoi.lp.prepare import Prepared, support_slots
from rsoi.lp.program import LinearProgram, VarBlock
from rsoi.model.schema import Assignment, Branch, ConstraintMode, Mode, SupportLevel, TaskKind

SOURCE_PAPER = "000_5467993c79f30f39.txt"


@dataclass
class Context:
    """Precomputed index lists shared by the families (built once, never scanned in rules)."""

    prep: Prepared
    lp: LinearProgram
    T: int
    days: float
    place_ids: list[str]
    place_pos: dict[str, int]
    commodity_ids: list[str]
    tons: np.ndarray  # short tons per unit, by commodity position
    route_ids: list[str]
    # flow arrays, one entry per flow variable
    f_route: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    f_comm: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    f_t: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    f_arrive: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    flow: VarBlock | None = None
    inventory: VarBlock | None = None
    production: VarBlock | None = None
    delivery: VarBlock | None = None
    alloc: VarBlock | None = None
    share: VarBlock | None = None
    home: VarBlock | None = None
    deploy: VarBlock | None = None
    swing: VarBlock | None = None
    # route attributes by route position
    r_origin: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    r_dest: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    r_lag: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    r_mode: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    r_theater: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    alloc_cap: np.ndarray = field(default_factory=lambda: np.zeros(0))
    alloc_nation: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    slots: list[tuple[str, str, str]] = field(default_factory=list)  # (task, place, theater)

    @property
    def spec(self):
        return self.prep.spec

    def class_weight(self, priority: str) -> float:
        return self.prep.priority_weight[priority]


def _cat(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=categories)


# --- flows ------------------------------------------------------------------------------


def define_flows(ctx: Context) -> None:
    r"""Flow variables and transport cost.

    $x_{rkt} \ge 0$ for $t + \ell_r \le T$ (a flow must arrive within the horizon).

    Objective part ``transport_cost``: $\gamma \sum_{rkt} c_r\, w_k\, x_{rkt}$ with $c_r$ the
    mode cost per ton-km times the route distance and $\gamma$ = ``settings.transport_cost_weight``.
    """
    prep, lp = ctx.prep, ctx.lp
    K, T = len(ctx.commodity_ids), ctx.T
    lags = ctx.r_lag
    n_t = np.maximum(T - lags, 0)  # departure periods 1..T-lag
    per_route = n_t * K
    f_route = np.repeat(np.arange(len(lags)), per_route)
    # within a route: commodity-major, then period
    f_comm = (
        np.concatenate([np.repeat(np.arange(K), n) for n in n_t])
        if len(lags)
        else np.zeros(0, np.int64)
    )
    f_t = (
        np.concatenate([np.tile(np.arange(1, n + 1), K) for n in n_t])
        if len(lags)
        else np.zeros(0, np.int64)
    )
    ctx.f_route, ctx.f_comm, ctx.f_t = f_route, f_comm.astype(np.int64), f_t.astype(np.int64)
    ctx.f_arrive = ctx.f_t + lags[f_route] if len(lags) else np.zeros(0, np.int64)
    index = pd.DataFrame(
        {
            "route": _cat(f_route, ctx.route_ids),
            "commodity": _cat(f_comm, ctx.commodity_ids),
            "period": ctx.f_t,
        }
    )
    ctx.flow = lp.add_variables("flow", index, doc="commodity units departing on a route")
    cost = np.array([r.cost_per_t for r in prep.routes])
    weight = prep.spec.settings.transport_cost_weight
    if weight > 0 and len(f_route):
        lp.add_objective(
            "transport_cost", ctx.flow.ids, weight * cost[f_route] * ctx.tons[ctx.f_comm]
        )


def define_inventory(ctx: Context) -> None:
    r"""Inventory, production and delivery variables.

    $s_{pkt} \ge 0$; $g_{jt} \in [0, \bar g_j \Delta]$ for production line $j$ in its window;
    $y_{dt} \ge 0$ for $t \in [\mathrm{EAD}_d, T]$; $u_d \ge 0$.
    """
    lp, T = ctx.lp, ctx.T
    P, K = len(ctx.place_ids), len(ctx.commodity_ids)
    n = P * K * T
    pos = np.arange(n)
    index = pd.DataFrame(
        {
            "place": _cat(pos // (K * T), ctx.place_ids),
            "commodity": _cat((pos // T) % K, ctx.commodity_ids),
            "period": pos % T + 1,
        }
    )
    ctx.inventory = lp.add_variables("inventory", index, doc="stock at the end of a period")

    rows = []
    for j, line in enumerate(ctx.spec.production):
        last = line.to_period or T
        for t in range(line.from_period, min(last, T) + 1):
            rows.append((j, line.place, line.commodity, t, line.quantity_per_day * ctx.days))
    prod = pd.DataFrame(rows, columns=["line", "place", "commodity", "period", "cap"])
    ctx.production = lp.add_variables(
        "production",
        prod[["line", "place", "commodity", "period"]],
        upper=prod["cap"].to_numpy(),
        doc="output of a production line",
    )

    rows = []
    for d in ctx.prep.demands:
        for t in range(d.ead, T + 1):
            rows.append((d.id, d.place, d.commodity, t))
    ctx.delivery = lp.add_variables(
        "delivery",
        pd.DataFrame(rows, columns=["demand", "place", "commodity", "period"]),
        doc="quantity of a demand line delivered in a period",
    )


def define_flow_balance(ctx: Context) -> None:
    r"""Flow conservation with transit lags (family ``flow_balance[place,commodity,period]``).

    $$ s_{pkt} = s_{pk,t-1} + g_{pkt} + \sum_{r: d_r = p} x_{rk,t-\ell_r}
       - \sum_{r: o_r = p} x_{rkt} - \sum_{d \in D_{pk}} y_{dt} $$

    with $s_{pk0}$ the stock at C-day (``stocks``). Source: network-flow form of NRMO (GLOSSARY).
    """
    lp, T = ctx.lp, ctx.T
    P, K = len(ctx.place_ids), len(ctx.commodity_ids)
    n = P * K * T
    kt = K * T
    inv_pos = np.arange(n)
    parts_r, parts_c, parts_v = [], [], []
    # inventory: +1 at (p,k,t), -1 at (p,k,t+1)
    parts_r.append(inv_pos)
    parts_c.append(ctx.inventory.ids)
    parts_v.append(np.ones(n))
    carry = inv_pos[(inv_pos % T) < T - 1]
    parts_r.append(carry + 1)
    parts_c.append(ctx.inventory.ids[carry])
    parts_v.append(-np.ones(len(carry)))
    # flows: +1 at origin departure, -1 at destination arrival
    if ctx.flow.size:
        parts_r.append(ctx.r_origin[ctx.f_route] * kt + ctx.f_comm * T + ctx.f_t - 1)
        parts_c.append(ctx.flow.ids)
        parts_v.append(np.ones(ctx.flow.size))
        parts_r.append(ctx.r_dest[ctx.f_route] * kt + ctx.f_comm * T + ctx.f_arrive - 1)
        parts_c.append(ctx.flow.ids)
        parts_v.append(-np.ones(ctx.flow.size))
    comm_pos = {c: i for i, c in enumerate(ctx.commodity_ids)}
    for block, sign in ((ctx.production, -1.0), (ctx.delivery, 1.0)):
        if block.size:
            idx = block.index
            p = idx["place"].map(ctx.place_pos).to_numpy(np.int64)
            k = idx["commodity"].map(comm_pos).to_numpy(np.int64)
            t = idx["period"].to_numpy(np.int64)
            parts_r.append(p * kt + k * T + t - 1)
            parts_c.append(block.ids)
            parts_v.append(np.full(block.size, sign))
    rhs = np.zeros(n)
    for stock in ctx.spec.stocks:
        rhs[ctx.place_pos[stock.place] * kt + comm_pos[stock.commodity] * T] += stock.quantity
    source = np.full(n, "flow conservation (NRMO-style network LP, GLOSSARY.md)", dtype=object)
    lp.add_constraints(
        "flow_balance",
        ctx.inventory.index,
        np.concatenate(parts_r),
        np.concatenate(parts_c),
        np.concatenate(parts_v),
        lower=rhs,
        upper=rhs,
        source=source,
        entity="place",
        doc=define_flow_balance.__doc__ or "",
    )


def define_demand(ctx: Context) -> None:
    r"""Demand lines with delivery windows (family ``demand[demand]``).

    $$ \sum_{t \ge \mathrm{EAD}_d} y_{dt} + u_d = q_d $$

    Objective parts: ``shortfall:<class>`` adds $W_{c(d)} w_{k(d)} u_d$ (per short ton never
    delivered); ``lateness`` adds $\lambda \sum_{t > \mathrm{LAD}_d} (t - \mathrm{LAD}_d)\,\Delta\,
    w_{k(d)}\, y_{dt}$ ($\lambda$ per short ton per day late; days late = periods late times
    $\Delta$).
    """
    lp, prep = ctx.lp, ctx.prep
    demands = prep.demands
    short = lp.add_variables(
        "demand_shortfall",
        pd.DataFrame({"demand": [d.id for d in demands]}),
        doc="quantity of a demand line never delivered",
    )
    pos = {d.id: i for i, d in enumerate(demands)}
    idx = ctx.delivery.index
    rows = idx["demand"].map(pos).to_numpy(np.int64) if len(idx) else np.zeros(0, np.int64)
    lp.add_constraints(
        "demand",
        pd.DataFrame({"demand": [d.id for d in demands]}),
        np.concatenate([rows, np.arange(len(demands))]),
        np.concatenate([ctx.delivery.ids, short.ids]),
        np.ones(len(rows) + len(demands)),
        lower=np.array([d.quantity for d in demands]),
        upper=np.array([d.quantity for d in demands]),
        source=np.array([d.source for d in demands], dtype=object),
        entity="demand",
        doc=define_demand.__doc__ or "",
    )
    tons = {c.id: c.short_tons_per_unit for c in ctx.spec.commodities}
    for i, d in enumerate(demands):
        lp.add_objective(
            f"shortfall:{d.priority}",
            short.ids[i : i + 1],
            ctx.class_weight(d.priority) * tons[d.commodity],
        )
    if len(idx) and prep.spec.settings.lateness_weight > 0:
        lad = np.array([d.lad for d in demands])[rows]
        late = np.maximum(idx["period"].to_numpy() - lad, 0)
        w = np.array([tons[d.commodity] for d in demands])[rows]
        mask = late > 0
        lp.add_objective(
            "lateness",
            ctx.delivery.ids[mask],
            prep.spec.settings.lateness_weight * ctx.days * late[mask] * w[mask],
        )


def _route_period_rows(ctx: Context) -> tuple[pd.DataFrame, np.ndarray]:
    """Index of (route, period) pairs that have flows, and each flow's row in it."""
    lags = ctx.r_lag
    n_t = np.maximum(ctx.T - lags, 0)
    offset = np.concatenate([[0], np.cumsum(n_t)[:-1]]) if len(n_t) else np.zeros(0, np.int64)
    route = np.repeat(np.arange(len(n_t)), n_t)
    t = np.arange(len(route)) - np.repeat(offset, n_t) + 1
    index = pd.DataFrame({"route": _cat(route, ctx.route_ids), "period": t})
    flow_rows = offset[ctx.f_route] + ctx.f_t - 1
    return index, flow_rows


def define_route_capacity(ctx: Context) -> None:
    r"""Route lift capacity (family ``route_capacity[route,period]``).

    $$ \sum_k w_k\, x_{rkt} \le \Delta\, \bar x_r\, \phi_{rt} $$

    $\phi_{rt}$ is the attack factor (``events.attacks``); a route through a closed lane has 0,
    and so does a route touching Korea for another theater below the ROK level that admits
    national resources (see ``policy_rok_support_level``).
    """
    index, flow_rows = _route_period_rows(ctx)
    caps = (
        np.concatenate(
            [r.capacity_t_per_period[: max(ctx.T - r.transit_periods, 0)] for r in ctx.prep.routes]
        )
        if ctx.prep.routes
        else np.zeros(0)
    )
    sources = (
        np.array([r.source for r in ctx.prep.routes], dtype=object)[
            index["route"].cat.codes.to_numpy()
        ]
        if len(index)
        else np.zeros(0, dtype=object)
    )
    ctx.lp.add_constraints(
        "route_capacity",
        index,
        flow_rows,
        ctx.flow.ids,
        ctx.tons[ctx.f_comm],
        upper=caps,
        source=sources,
        entity="route",
        doc=define_route_capacity.__doc__ or "",
    )


def _place_terms(
    ctx: Context, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(place, period, flow column, tons) for arrivals and departures of the selected flows."""
    sel = np.flatnonzero(mask)
    places = np.concatenate([ctx.r_dest[ctx.f_route[sel]], ctx.r_origin[ctx.f_route[sel]]])
    periods = np.concatenate([ctx.f_arrive[sel], ctx.f_t[sel]])
    cols = np.concatenate([ctx.flow.ids[sel], ctx.flow.ids[sel]])
    tons = np.concatenate([ctx.tons[ctx.f_comm[sel]]] * 2)
    return places, periods, cols, tons


def _place_period_constraint(
    ctx: Context,
    name: str,
    place_caps: dict[str, float],
    mask: np.ndarray,
    scale: float,
    doc: str,
) -> None:
    """Rows per (place, period) over places in `place_caps`: scaled tons <= cap * Δ * φ."""
    ids = sorted(place_caps, key=ctx.place_pos.get)
    if not ids:
        return
    T = ctx.T
    row_of_place = np.full(len(ctx.place_ids), -1)
    for i, p in enumerate(ids):
        row_of_place[ctx.place_pos[p]] = i
    places, periods, cols, tons = _place_terms(ctx, mask)
    keep = row_of_place[places] >= 0 if len(places) else np.zeros(0, bool)
    rows = row_of_place[places[keep]] * T + periods[keep] - 1
    upper = np.concatenate([place_caps[p] * ctx.days * ctx.prep.place_factor[p] for p in ids])
    index = pd.DataFrame(
        {"place": np.repeat(ids, T), "period": np.tile(np.arange(1, T + 1), len(ids))}
    )
    source = np.repeat([ctx.prep.place_by_id[p].source for p in ids], T).astype(object)
    ctx.lp.add_constraints(
        name,
        index,
        rows,
        cols[keep],
        tons[keep] * scale,
        upper=upper,
        source=source,
        entity="place",
        doc=doc,
    )


def define_place_throughput(ctx: Context) -> None:
    r"""Port and airfield cargo handling (family ``place_throughput[place,period]``).

    $$ \sum_{r: d_r=p} \sum_k w_k x_{rk,t-\ell_r} + \sum_{r: o_r=p} \sum_k w_k x_{rkt}
       \le \Delta\, h_p\, \phi_{pt} $$

    $h_p$ = ``cargo_t_per_day``; $\phi_{pt}$ the attack factor.
    """
    caps = {p.id: p.cargo_t_per_day for p in ctx.spec.places if p.cargo_t_per_day is not None}
    _place_period_constraint(
        ctx,
        "place_throughput",
        caps,
        np.ones(ctx.flow.size, bool),
        1.0,
        define_place_throughput.__doc__ or "",
    )


def define_airfield_mog(ctx: Context) -> None:
    r"""Aircraft working slots (family ``airfield_mog[place,period]``).

    $$ \frac{1}{\pi}\Big(\sum_{r \in \mathrm{air}: d_r=p} \sum_k w_k x_{rk,t-\ell_r}
       + \sum_{r \in \mathrm{air}: o_r=p} \sum_k w_k x_{rkt}\Big) \le \Delta\, \mathrm{MOG}_p\, n\, \phi_{pt} $$

    $\pi$ payload per sortie and $n$ sorties per slot per day (``modes.air``).
    """
    air = ctx.spec.modes.get(Mode.air)
    if air is None or air.payload_t_per_sortie is None:
        return
    caps = {
        p.id: p.mog * air.sorties_per_slot_per_day for p in ctx.spec.places if p.mog is not None
    }
    mask = ctx.r_mode[ctx.f_route] == Mode.air if ctx.flow.size else np.zeros(0, bool)
    _place_period_constraint(
        ctx,
        "airfield_mog",
        caps,
        mask,
        1.0 / air.payload_t_per_sortie,
        define_airfield_mog.__doc__ or "",
    )


def define_storage(ctx: Context) -> None:
    r"""Storage (family ``storage_capacity[place,period]``): $\sum_k w_k s_{pkt} \le S_p$."""
    ids = [p.id for p in ctx.spec.places if p.storage_t is not None]
    if not ids:
        return
    T, K = ctx.T, len(ctx.commodity_ids)
    where = np.array([ctx.place_pos[p] for p in ids], dtype=np.int64)
    i = np.repeat(np.arange(len(ids)), K * T)  # one term per (storage place, commodity, period)
    k = np.tile(np.repeat(np.arange(K), T), len(ids))
    t = np.tile(np.arange(T), len(ids) * K)
    index = pd.DataFrame(
        {"place": np.repeat(ids, T), "period": np.tile(np.arange(1, T + 1), len(ids))}
    )
    upper = np.repeat([ctx.prep.place_by_id[p].storage_t for p in ids], T)
    source = np.repeat([ctx.prep.place_by_id[p].source for p in ids], T).astype(object)
    ctx.lp.add_constraints(
        "storage_capacity",
        index,
        i * T + t,
        ctx.inventory.start + where[i] * K * T + k * T + t,
        ctx.tons[k],
        upper=upper,
        source=source,
        entity="place",
        doc=define_storage.__doc__ or "",
    )


# --- rear-area support tasks ----------------------------------------------------------


def define_support_allocation(ctx: Context) -> None:
    r"""Provider allocation and availability (family ``provider_availability[provider,period]``).

    $a_{u\sigma t} \ge 0$ (integer if ``settings.integer_units``) for providers able to do task
    $\tau(\sigma)$ at place $p(\sigma)$ (``capability``, ``serves``) and available in $t$:

    $$ \sum_{\sigma} a_{u\sigma t} \le N_u $$
    """
    prep, lp = ctx.prep, ctx.lp
    ctx.slots = support_slots(prep)
    rows = []
    for u in ctx.spec.providers:
        home_country = prep.place_by_id[u.home].country
        serves = set(u.serves) if u.serves else {home_country}
        last = min(u.available_to or ctx.T, ctx.T)
        for task, place, theater in ctx.slots:
            if task not in u.capability:
                continue
            pl = prep.place_by_id[place]
            if place not in serves and pl.country not in serves:
                continue
            for t in range(u.available_from, last + 1):
                rows.append((u.id, u.nation, task, place, theater, t, u.capability[task]))
    frame = pd.DataFrame(
        rows, columns=["provider", "nation", "task", "place", "theater", "period", "cap"]
    )
    ctx.alloc = lp.add_variables(
        "allocation",
        frame[["provider", "task", "place", "theater", "period"]],
        integer=ctx.spec.settings.integer_units,
        doc="provider units allocated to a task slot",
    )
    ctx.alloc_cap = frame["cap"].to_numpy(float)
    ctx.alloc_nation = frame["nation"].to_numpy(object)
    keys = list(zip(frame["provider"], frame["period"], strict=True))
    uniq = sorted(set(keys), key=lambda k: (k[0], k[1]))
    pos = {k: i for i, k in enumerate(uniq)}
    count = {u.id: u.count for u in ctx.spec.providers}
    src = {u.id: u.source for u in ctx.spec.providers}
    lp.add_constraints(
        "provider_availability",
        pd.DataFrame(uniq, columns=["provider", "period"]),
        np.array([pos[k] for k in keys], dtype=np.int64),
        ctx.alloc.ids,
        np.ones(len(keys)),
        upper=np.array([count[k[0]] for k in uniq]),
        source=np.array([src[k[0]] for k in uniq], dtype=object),
        entity="provider",
        doc=define_support_allocation.__doc__ or "",
    )


def _slot_capability(ctx: Context, task: TaskKind) -> pd.DataFrame:
    """Allocation columns of one task with their capability: slot keys, period, col, cap."""
    idx = ctx.alloc.index
    mask = (idx["task"] == task.value).to_numpy()
    out = idx.loc[mask, ["place", "theater", "period"]].copy()
    out["col"] = ctx.alloc.ids[mask]
    out["cap"] = ctx.alloc_cap[mask]
    return out


def define_task_requirements(ctx: Context) -> None:
    r"""Base security, maintenance, ISR, air and maritime protection
    (family ``task_requirement[task,place,theater,period]``).

    $$ \sum_u \kappa_{u\tau}\, a_{u\sigma t} + \sum_{q \in Q_{\sigma}} v_{qt} \ge \sum_{q \in Q_{\sigma t}} b_q,
       \qquad 0 \le v_{qt} \le b_q $$

    $\kappa_{u\tau}$ capability per unit per day and $b_q$ the capability needed on each day of
    the period (both task units per day, so no $\Delta$ in the row); the shortfall $v_{qt}$ (task
    units per day) costs $W_{c(q)} \rho_\tau \Delta$ (``tasks[].penalty_weight`` is per unit per
    day short).
    Source: 000_5467993c79f30f39.txt, "U.S. Expectations of South Korea During a Taiwan Crisis".
    """
    prep, lp = ctx.prep, ctx.lp
    lines = []
    for q in prep.requirements:
        for t in range(q.from_period, q.to_period + 1):
            lines.append(
                (q.task.value, q.place, q.theater, t, q.id, q.amount, q.priority, q.source)
            )
    if not lines:
        return
    frame = pd.DataFrame(
        lines,
        columns=[
            "task",
            "place",
            "theater",
            "period",
            "requirement",
            "amount",
            "priority",
            "source",
        ],
    )
    short = lp.add_variables(
        "task_shortfall",
        frame[["requirement", "period"]],
        upper=frame["amount"].to_numpy(),
        doc="requirement capability not provided",
    )
    keys = (
        frame[["task", "place", "theater", "period"]]
        .drop_duplicates()
        .sort_values(["task", "place", "theater", "period"])
        .reset_index(drop=True)
    )
    row_of = {tuple(k): i for i, k in enumerate(keys.itertuples(index=False, name=None))}
    req_rows = np.array(
        [
            row_of[k]
            for k in frame[["task", "place", "theater", "period"]].itertuples(
                index=False, name=None
            )
        ]
    )
    amount = np.zeros(len(keys))
    np.add.at(amount, req_rows, frame["amount"].to_numpy())
    idx = ctx.alloc.index
    akeys = idx[["task", "place", "theater", "period"]].itertuples(index=False, name=None)
    a_rows = np.array([row_of.get(k, -1) for k in akeys], dtype=np.int64)
    m = a_rows >= 0
    src = frame.groupby(req_rows)["source"].first().to_numpy(object)
    lp.add_constraints(
        "task_requirement",
        keys,
        np.concatenate([a_rows[m], req_rows]),
        np.concatenate([ctx.alloc.ids[m], short.ids]),
        np.concatenate([ctx.alloc_cap[m], np.ones(len(frame))]),
        lower=amount,
        source=src,
        entity="place",
        doc=define_task_requirements.__doc__ or "",
    )
    penalty = {t.id.value: t.penalty_weight for t in ctx.spec.tasks}
    for cls in frame["priority"].unique():
        sel = (frame["priority"] == cls).to_numpy()
        lp.add_objective(
            f"shortfall:{cls}",
            short.ids[sel],
            ctx.class_weight(cls) * ctx.days * frame.loc[sel, "task"].map(penalty).to_numpy(),
        )


def define_maintenance_capacity(ctx: Context) -> None:
    r"""Maintenance facility capacity (family ``maintenance_capacity[place,period]``).

    $$ \sum_{u,\theta} \kappa_{u,\mathrm{mnt}}\, a_{u(\mathrm{mnt},p,\theta)t} \le M_p $$
    """
    caps = {
        p.id: p.maintenance_capacity for p in ctx.spec.places if p.maintenance_capacity is not None
    }
    work = _slot_capability(ctx, TaskKind.maintenance)
    work = work[work["place"].isin(caps)]
    if work.empty:
        return
    keys = (
        work[["place", "period"]]
        .drop_duplicates()
        .sort_values(["place", "period"])
        .reset_index(drop=True)
    )
    row_of = {k: i for i, k in enumerate(keys.itertuples(index=False, name=None))}
    rows = np.array(
        [row_of[k] for k in work[["place", "period"]].itertuples(index=False, name=None)]
    )
    ctx.lp.add_constraints(
        "maintenance_capacity",
        keys,
        rows,
        work["col"].to_numpy(),
        work["cap"].to_numpy(),
        upper=keys["place"].map(caps).to_numpy(float),
        source=keys["place"].map(lambda p: ctx.prep.place_by_id[p].source).to_numpy(object),
        entity="place",
        doc=define_maintenance_capacity.__doc__ or "",
    )


def _enabling_constraint(
    ctx: Context,
    name: str,
    task: TaskKind,
    keys: pd.DataFrame,
    flow_rows: np.ndarray,
    flow_cols: np.ndarray,
    flow_tons: np.ndarray,
    source: str,
    doc: str,
    entity: str,
) -> None:
    """Rows per slot-period: tons of flow <= Δ * sum of assigned capability (t/day)."""
    if keys.empty:
        return
    row_of = {k: i for i, k in enumerate(keys.itertuples(index=False, name=None))}
    work = _slot_capability(ctx, task)
    a_keys = work[["place", "theater", "period"]].itertuples(index=False, name=None)
    a_rows = np.array([row_of.get(k, -1) for k in a_keys], dtype=np.int64)
    m = a_rows >= 0
    ctx.lp.add_constraints(
        name,
        keys,
        np.concatenate([flow_rows, a_rows[m]]),
        np.concatenate([flow_cols, work["col"].to_numpy()[m]]),
        np.concatenate([flow_tons, -ctx.days * work["cap"].to_numpy()[m]]),
        upper=0.0,
        source=source,
        entity=entity,
        doc=doc,
    )


def _slot_flow_rows(
    ctx: Context, task: TaskKind, mask_of_flow: np.ndarray, use_origin_only: bool = False
):
    """Slot-period index for `task` and the (row, col, tons) of flows that count toward it."""
    slots = [(p, th) for (tk, p, th) in ctx.slots if tk == task.value]
    T = ctx.T
    keys = pd.DataFrame(
        [(p, th, t) for p, th in slots for t in range(1, T + 1)],
        columns=["place", "theater", "period"],
    )
    slot_index = {s: i for i, s in enumerate(slots)}
    sel = np.flatnonzero(mask_of_flow)
    rows, cols, tons = [], [], []
    ends = (
        [("origin", ctx.r_origin, ctx.f_t)]
        if use_origin_only
        else [("dest", ctx.r_dest, ctx.f_arrive), ("origin", ctx.r_origin, ctx.f_t)]
    )
    for _, place_arr, period_arr in ends:
        # slot of each route end (per route, not per flow: routes are few, flows many)
        route_slot = np.array(
            [
                slot_index.get((ctx.place_ids[p], th), -1)
                for p, th in zip(place_arr, ctx.r_theater, strict=True)
            ],
            dtype=np.int64,
        )
        slot_no = route_slot[ctx.f_route[sel]] if len(route_slot) else np.zeros(0, np.int64)
        ok = slot_no >= 0
        rows.append(slot_no[ok] * T + period_arr[sel][ok] - 1)
        cols.append(ctx.flow.ids[sel][ok])
        tons.append(ctx.tons[ctx.f_comm[sel]][ok])

    def cat(parts):
        return np.concatenate(parts) if parts else np.zeros(0)

    return keys, cat(rows).astype(np.int64), cat(cols).astype(np.int64), cat(tons)


def define_port_access(ctx: Context) -> None:
    r"""Port access (family ``port_access[place,theater,period]``).

    At every place with ``access_support_required`` that a sea route touches (the place handles
    sea cargo; its optional ``kind`` plays no part), sea cargo of theater $\theta$ handled in $t$
    is capped by the port-operations capacity assigned to it:

    $$ \sum_{r \in \mathrm{sea}(\theta): d_r=p} \sum_k w_k x_{rk,t-\ell_r}
     + \sum_{r \in \mathrm{sea}(\theta): o_r=p} \sum_k w_k x_{rkt}
     \le \Delta \sum_u \kappa_{u,\mathrm{port}}\, a_{u(\mathrm{port},p,\theta)t} $$

    Source: 000_5467993c79f30f39.txt, "assuring access to South Korean ports and airfields".
    """
    mask = ctx.r_mode[ctx.f_route] == Mode.sea if ctx.flow.size else np.zeros(0, bool)
    keys, rows, cols, tons = _slot_flow_rows(ctx, TaskKind.port_access, mask)
    _enabling_constraint(
        ctx,
        "port_access",
        TaskKind.port_access,
        keys,
        rows,
        cols,
        tons,
        f"{SOURCE_PAPER}: assuring access to South Korean ports",
        define_port_access.__doc__ or "",
        "place",
    )


def define_airfield_access(ctx: Context) -> None:
    r"""Airfield access (family ``airfield_access[place,theater,period]``).

    Same form as port access, for air cargo at every place with ``access_support_required``
    that an air route touches (whatever its ``kind``):

    $$ \text{air tons of } \theta \text{ at } p \text{ in } t \le \Delta \sum_u \kappa_{u,\mathrm{afld}}\, a_{u(\mathrm{afld},p,\theta)t} $$

    Source: 000_5467993c79f30f39.txt, "assuring access to South Korean ports and airfields".
    """
    mask = ctx.r_mode[ctx.f_route] == Mode.air if ctx.flow.size else np.zeros(0, bool)
    keys, rows, cols, tons = _slot_flow_rows(ctx, TaskKind.airfield_access, mask)
    _enabling_constraint(
        ctx,
        "airfield_access",
        TaskKind.airfield_access,
        keys,
        rows,
        cols,
        tons,
        f"{SOURCE_PAPER}: assuring access to South Korean ports and airfields",
        define_airfield_access.__doc__ or "",
        "place",
    )


def define_onward_transport(ctx: Context) -> None:
    r"""Munitions and logistics flow onward (family ``onward_transport[place,theater,period]``).

    For routes marked ``onward`` leaving $p$:

    $$ \sum_{r \in \mathrm{onward}(\theta): o_r=p} \sum_k w_k x_{rkt} \le \Delta \sum_u \kappa_{u,\mathrm{onw}}\, a_{u(\mathrm{onw},p,\theta)t} $$

    Source: 000_5467993c79f30f39.txt, "transport assistance for the flow of U.S. ammunition,
    logistics, and forces onward to Taiwan".
    """
    onward = np.array([r.onward for r in ctx.prep.routes], dtype=bool)
    mask = onward[ctx.f_route] if ctx.flow.size else np.zeros(0, bool)
    keys, rows, cols, tons = _slot_flow_rows(
        ctx, TaskKind.onward_transport, mask, use_origin_only=True
    )
    _enabling_constraint(
        ctx,
        "onward_transport",
        TaskKind.onward_transport,
        keys,
        rows,
        cols,
        tons,
        f"{SOURCE_PAPER}: transport assistance for the flow onward to Taiwan",
        define_onward_transport.__doc__ or "",
        "place",
    )


def define_sea_lane_escort(ctx: Context) -> None:
    r"""Sea-lane escort in a blockade (family ``sea_lane_escort[place,theater,period]``).

    One row per escort place $p$ (not per lane): the escort capacity allocated at $p$ covers
    every contested lane $\ell$ whose ``escort_place`` is $p$, so lanes escorted from one place
    share one pool. With $L_p$ those lanes, a route is counted once however many of them it
    passes:

    $$ \sum_{r \in \theta:\ r \cap L_p \ne \emptyset} \sum_k w_k x_{rkt} \le \Delta \sum_u \kappa_{u,\mathrm{esc}}\, a_{u(\mathrm{esc},p,\theta)t} $$

    i.e. escort capacity in proportion to the sea flow through contested lanes.
    Source: 000_5467993c79f30f39.txt, "escort and protect ships transiting the Taiwan Strait".
    """
    contested = {lane.id: lane.escort_place for lane in ctx.spec.lanes if lane.contested}
    if not contested or not ctx.flow.size:
        return
    # rows only where contested sea flow passes: an escort requirement (e.g. Korea's own
    # trade) has its own task_requirement row and needs no empty cap row here
    route_areas = [
        sorted({contested[lane] for lane in route.lanes if lane in contested})
        for route in ctx.prep.routes
    ]
    slots = sorted({(area, route.theater) for route, areas in zip(ctx.prep.routes, route_areas,
                    strict=True) for area in areas})  # fmt: skip
    T = ctx.T
    keys = pd.DataFrame(
        [(p, th, t) for p, th in slots for t in range(1, T + 1)],
        columns=["place", "theater", "period"],
    )
    slot_index = {s: i for i, s in enumerate(slots)}
    rows, cols, tons = [], [], []
    for r_pos, (route, areas) in enumerate(zip(ctx.prep.routes, route_areas, strict=True)):
        # a route is counted once per escort area, however many of its lanes that area covers
        for area in areas:
            sel = np.flatnonzero(ctx.f_route == r_pos)
            s = slot_index[(area, route.theater)]
            rows.append(s * T + ctx.f_t[sel] - 1)
            cols.append(ctx.flow.ids[sel])
            tons.append(ctx.tons[ctx.f_comm[sel]])
    if not rows:
        return
    _enabling_constraint(
        ctx,
        "sea_lane_escort",
        TaskKind.sea_lane_escort,
        keys,
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(tons),
        f"{SOURCE_PAPER}: escort and protect ships transiting the Taiwan Strait",
        define_sea_lane_escort.__doc__ or "",
        "place",
    )


def define_rok_support_level(ctx: Context) -> None:
    r"""ROK support rheostat (family ``policy_rok_support_level[task]``).

    For each task $\tau$ whose ``min_rok_level`` is above the level in force:

    $$ \sum_{u \in \mathrm{ROK}} \sum_{\sigma: \tau(\sigma)=\tau,\ \theta(\sigma) \ne \mathrm{korea}} \sum_t \kappa_{u\tau} a_{u\sigma t} \le 0 $$

    Its shadow price is the value of raising the rheostat for that task. Tasks for the Korean
    theater are never gated: defending forces on Korean soil is Korea's defense at every level
    ("If Beijing attacked U.S. bases in South Korea, Seoul would be obligated under the
    bilateral defense treaty to respond against China"), so the shipped model files the
    protection of attacked U.S. bases in Korea under theater ``korea``, class ``korea_defense``.

    **Level in force** (``rsoi.model.schema.effective_rok_level``, one rule for every module): an
    explicit ``policies.rok_support.level`` wins; otherwise ``level_by_ladder`` maps China's rung
    to a level ("a graduated and escalating response ... heavily dependent on the scenarios").
    Default mapping: no China action -> ``none``; gray zone -> ``rear_area``; blockade ->
    ``rear_area_isr_escort`` ("escort and protect ships transiting the Taiwan Strait"); missile
    strikes and invasion -> ``rear_area_isr_escort``, the baseline U.S. expectation
    ("rear-area support, protection, and expanded reconnaissance"); invasion with attacks on
    U.S. bases -> ``joint_operations`` (the treaty passage above). With
    ``stipulated_response: true`` an attack on a place outside both theaters raises the
    ladder's level to ``stipulated_level`` ("Washington may stipulate that Chinese attacks on
    U.S. bases in Guam or throughout the Indo-Pacific would also require a South Korean
    response"; off by default).

    **Tasks per level** (``tasks[].min_rok_level``): ``rear_area`` admits port and airfield
    access, base security, onward transport and maintenance ("Provide rear-area and logistical
    support to U.S. forces"); ``rear_area_isr_escort`` adds ISR, air and maritime protection
    and sea-lane escort; ``joint_operations`` also lets ROK forces serve the Taiwan theater.

    **National resources**: below ``national_resources_min_level`` (default ``rear_area``) no
    route that touches a place in the Korean theater carries cargo for another theater, so
    Korean ports, rail, production and the stocks held in Korea do not feed Taiwan at level
    ``none`` (000 lists "providing munitions, ammunition, and military-grade fuel" among the
    rear-area roles; the 2006 statement: the U.S. "respects the [South Korean] position that
    it shall not be involved in a regional conflict in Northeast Asia against the will of the
    Korean people"). Korea's own trade and exports (routes filed under ``korea``) stay open.

    Source: 000_5467993c79f30f39.txt, "a rheostat instead of an on-off switch".
    """
    policy = ctx.spec.policies.rok_support
    idx = ctx.alloc.index
    blocked = [t.id.value for t in ctx.spec.tasks if not ctx.prep.rok_level_allows(t.min_rok_level)]
    mask = (
        (ctx.alloc_nation == "ROK")
        & (idx["theater"] != "korea").to_numpy()
        & idx["task"].isin(blocked).to_numpy()
    )
    if not mask.any():
        return
    tasks = sorted(set(idx.loc[mask, "task"]))
    pos = {t: i for i, t in enumerate(tasks)}
    ctx.lp.add_constraints(
        "policy_rok_support_level",
        pd.DataFrame({"task": tasks}),
        idx.loc[mask, "task"].map(pos).to_numpy(np.int64),
        ctx.alloc.ids[mask],
        ctx.alloc_cap[mask],
        upper=0.0,
        source=policy.source,
        entity="task",
        doc=define_rok_support_level.__doc__ or "",
    )


# --- forces -----------------------------------------------------------------------------


def define_apportionment(ctx: Context) -> None:
    r"""Force positions and movements: forces do not teleport.

    Constraint rows: family ``force_home[force,period]`` and
    family ``force_position[force,theater,period]``.

    Each force $f$ starts at its home position with share $h_{f0} = 1$. A share $d_{f\theta t}$
    may leave home from the ready period $t \ge R_f$ and is in theater $\theta$ from period
    $t + L_{f\theta}$ (arrival rule:
    $L_{f\theta} = \lfloor \mathrm{km}(\mathrm{home}_f, \mathrm{anchor}_\theta) / (v_f \Delta) + 0.5 \rfloor$,
    for every force and theater, home inside the theater or not; ``arrival_lag_periods``
    overrides it). A share $w_{f\theta\theta' t}$ may leave theater $\theta$ in $t$ and is in
    $\theta'$ from $t + S_{f\theta\theta'}$ (swing lag: the same rule on the distance between
    the two anchors; ``swing_lag_periods`` overrides it). Meanwhile it is in transit and counts
    in neither theater. With $A_{f\theta} = R_f + L_{f\theta}$ the first period present:

    $$ h_{ft} = h_{f,t-1} - \sum_\theta d_{f\theta t} $$
    $$ z_{f\theta t} = z_{f\theta,t-1} + d_{f\theta,t-L_{f\theta}}
       + \sum_{\theta'} w_{f\theta'\theta,t-S_{f\theta'\theta}} - \sum_{\theta'} w_{f\theta\theta' t}
       \qquad (t \ge A_{f\theta}) $$

    $z_{f\theta t}$ exists from $A_{f\theta}$ only, and a swing arrives no earlier than
    $A_{f\theta'}$; all variables are non-negative, so home, theater and in-transit shares
    sum to 1. Only $z$ counts toward combat power, the deterrence floor and (with the home share
    of forces based in Korea) the troop floor.

    Source: 000_5467993c79f30f39.txt, "follow-on forces that are dual-apportioned for both
    Korean and Taiwan contingencies might be affected"; "Conflicts on Taiwan and the Korean
    Peninsula could either occur simultaneously or sequentially".
    """
    prep, lp, T = ctx.prep, ctx.lp, ctx.T
    forces = ctx.spec.forces
    share_rows = [
        (f.id, th, t)
        for f in forces
        for th in f.theaters
        for t in range(prep.force_arrival[(f.id, th)], T + 1)
    ]
    index = pd.DataFrame(share_rows, columns=["force", "theater", "period"])
    # no upper bounds: the balances keep every share within [0, 1] (and bounds would only
    # crowd the conflict set HiGHS reports for an infeasible hard floor)
    ctx.share = lp.add_variables("share", index, doc="share of a force present in a theater")
    home_rows = [(f.id, t) for f in forces for t in range(1, T + 1)]
    ctx.home = lp.add_variables(
        "force_home",
        pd.DataFrame(home_rows, columns=["force", "period"]),
        doc="share of a force still at its home position",
    )
    deploy_rows = [
        (f.id, th, t)
        for f in forces
        for th in f.theaters
        for t in range(f.ready_period, T - prep.force_lag[(f.id, th)] + 1)
    ]
    ctx.deploy = lp.add_variables(
        "deploy",
        pd.DataFrame(deploy_rows, columns=["force", "theater", "period"]),
        doc="share of a force leaving home for a theater in a period",
    )
    swing_rows = [
        (f.id, a, b, t)
        for f in forces
        for a in f.theaters
        for b in f.theaters
        if a != b
        for t in range(
            max(
                prep.force_arrival[(f.id, a)],
                prep.force_arrival[(f.id, b)] - prep.swing_lag[(f.id, a, b)],
            ),
            T - prep.swing_lag[(f.id, a, b)] + 1,
        )
    ]
    ctx.swing = lp.add_variables(
        "swing",
        pd.DataFrame(swing_rows, columns=["force", "origin", "destination", "period"]),
        doc="share of a force leaving one theater for another in a period",
    )
    src = {f.id: f.source for f in forces}
    # force_home rows: h[t] - h[t-1] + sum deploy[t] = (t == 1)
    home_pos = {k: i for i, k in enumerate(home_rows)}
    rows, cols, vals = [], [], []
    for i, (f, t) in enumerate(home_rows):
        rows.append(i), cols.append(ctx.home.ids[i]), vals.append(1.0)
        if t > 1:
            rows.append(i), cols.append(ctx.home.ids[home_pos[(f, t - 1)]]), vals.append(-1.0)
    for j, (f, _th, t) in enumerate(deploy_rows):
        rows.append(home_pos[(f, t)]), cols.append(ctx.deploy.ids[j]), vals.append(1.0)
    rhs = np.array([1.0 if t == 1 else 0.0 for _f, t in home_rows])
    lp.add_constraints(
        "force_home",
        pd.DataFrame(home_rows, columns=["force", "period"]),
        np.array(rows, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(vals),
        lower=rhs,
        upper=rhs,
        source=np.array([src[f] for f, _t in home_rows], dtype=object),
        entity="force",
        doc=define_apportionment.__doc__ or "",
    )
    # force_position rows: z[t] - z[t-1] - arrivals[t] + departures[t] = 0
    pos = {k: i for i, k in enumerate(share_rows)}
    rows, cols, vals = [], [], []
    for i, (f, th, t) in enumerate(share_rows):
        rows.append(i), cols.append(ctx.share.ids[i]), vals.append(1.0)
        if (f, th, t - 1) in pos:
            rows.append(i), cols.append(ctx.share.ids[pos[(f, th, t - 1)]]), vals.append(-1.0)
    for j, (f, th, t) in enumerate(deploy_rows):
        rows.append(pos[(f, th, t + prep.force_lag[(f, th)])])
        cols.append(ctx.deploy.ids[j]), vals.append(-1.0)
    for j, (f, a, b, t) in enumerate(swing_rows):
        rows.append(pos[(f, a, t)]), cols.append(ctx.swing.ids[j]), vals.append(1.0)
        rows.append(pos[(f, b, t + prep.swing_lag[(f, a, b)])])
        cols.append(ctx.swing.ids[j]), vals.append(-1.0)
    lp.add_constraints(
        "force_position",
        index,
        np.array(rows, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(vals),
        lower=0.0,
        upper=0.0,
        source=np.array([src[f] for f, _th, _t in share_rows], dtype=object),
        entity="force",
        doc=define_apportionment.__doc__ or "",
    )


def define_apportionment_stability(ctx: Context) -> None:
    r"""Stable apportionment (family ``share_change[force,theater,period,direction]``).

    With $\beta$ = ``settings.apportionment_stability_weight`` $> 0$, for consecutive periods
    in which $z_{f\theta t}$ exists:

    $$ c_{f\theta t} \ge z_{f\theta t} - z_{f\theta,t-1}, \qquad
       c_{f\theta t} \ge z_{f\theta,t-1} - z_{f\theta t}, \qquad c_{f\theta t} \ge 0 $$

    and the objective part ``stability`` adds $\beta \sum c_{f\theta t}$ (so $c = |\Delta z|$ at
    the optimum). It only breaks ties between equally good plans when $\beta$ is small.
    """
    beta = ctx.spec.settings.apportionment_stability_weight
    if beta <= 0 or ctx.share is None or ctx.share.size == 0:
        return
    idx = ctx.share.index
    # the block is ordered force, theater, period: a row follows its previous period directly
    same = (
        (idx["force"].to_numpy()[1:] == idx["force"].to_numpy()[:-1])
        & (idx["theater"].to_numpy()[1:] == idx["theater"].to_numpy()[:-1])
        & (idx["period"].to_numpy()[1:] == idx["period"].to_numpy()[:-1] + 1)
    )
    now = np.flatnonzero(same) + 1
    if not len(now):
        return
    keys = idx.iloc[now][["force", "theater", "period"]].reset_index(drop=True)
    change = ctx.lp.add_variables(
        "share_change", keys, doc="change of a share since the last period"
    )
    n = len(now)
    index = pd.concat(
        [keys.assign(direction="up"), keys.assign(direction="down")], ignore_index=True
    )
    rows = np.concatenate([np.arange(n)] * 3 + [np.arange(n, 2 * n)] * 3)
    cols = np.concatenate([change.ids, ctx.share.ids[now], ctx.share.ids[now - 1]] * 2)
    ones = np.ones(n)
    coefs = np.concatenate([ones, -ones, ones, ones, ones, -ones])
    ctx.lp.add_constraints(
        "share_change",
        index,
        rows,
        cols,
        coefs,
        lower=0.0,
        source="settings.apportionment_stability_weight (tie-breaking; notional)",
        entity="force",
        doc=define_apportionment_stability.__doc__ or "",
    )
    ctx.lp.add_objective("stability", change.ids, beta)


def _force_attr(ctx: Context, attr: str) -> np.ndarray:
    values = {f.id: getattr(f, attr) for f in ctx.spec.forces}
    return ctx.share.index["force"].map(values).to_numpy()


def define_combat_power(ctx: Context) -> None:
    r"""Combat power demanded per theater (family ``combat_power[theater,period]``).

    $$ \sum_f P_f\, z_{f\theta t} + \sum_{c \in C_\theta} e_{ct} \ge \sum_{c \in C_\theta} E_{c t},
       \qquad 0 \le e_{ct} \le E_{ct} $$

    $E_{ct}$ = ``amount_by_ladder[china_action]`` plus ``korea_conflict_amount`` once the Korean
    conflict has started (a level of combat power in each period, no time unit). Shortfall $e$
    costs $W_c \rho_c \Delta$: ``penalty_weight`` $\rho_c$ is per unit of combat power short per
    day.
    """
    prep, lp = ctx.prep, ctx.lp
    action = ctx.spec.events.china_action
    lines = []
    for i, c in enumerate(ctx.spec.combat_requirements):
        for t in range(1, ctx.T + 1):
            amount = c.amount_by_ladder.get(action, 0.0)
            if prep.korea_start is not None and t >= prep.korea_start:
                amount += c.korea_conflict_amount
            if amount > 0:
                lines.append((c.theater, t, i, amount, c.priority, c.source))
    if not lines:
        return
    frame = pd.DataFrame(
        lines, columns=["theater", "period", "line", "amount", "priority", "source"]
    )
    short = lp.add_variables(
        "combat_shortfall",
        frame[["theater", "period", "line"]],
        upper=frame["amount"].to_numpy(),
        doc="combat power not provided",
    )
    keys = (
        frame[["theater", "period"]]
        .drop_duplicates()
        .sort_values(["theater", "period"])
        .reset_index(drop=True)
    )
    row_of = {k: i for i, k in enumerate(keys.itertuples(index=False, name=None))}
    req_rows = np.array(
        [row_of[k] for k in frame[["theater", "period"]].itertuples(index=False, name=None)]
    )
    amount = np.zeros(len(keys))
    np.add.at(amount, req_rows, frame["amount"].to_numpy())
    s_rows = np.array(
        [
            row_of.get(k, -1)
            for k in ctx.share.index[["theater", "period"]].itertuples(index=False, name=None)
        ],
        dtype=np.int64,
    )
    m = s_rows >= 0
    power = _force_attr(ctx, "combat_power").astype(float)
    lp.add_constraints(
        "combat_power",
        keys,
        np.concatenate([s_rows[m], req_rows]),
        np.concatenate([ctx.share.ids[m], short.ids]),
        np.concatenate([power[m], np.ones(len(frame))]),
        lower=amount,
        source=frame.groupby(req_rows)["source"].first().to_numpy(object),
        entity="theater",
        doc=define_combat_power.__doc__ or "",
    )
    for cls in frame["priority"].unique():
        sel = (frame["priority"] == cls).to_numpy()
        weight = frame.loc[sel, "line"].map(
            lambda i: ctx.spec.combat_requirements[i].penalty_weight
        )
        lp.add_objective(
            f"shortfall:{cls}",
            short.ids[sel],
            ctx.class_weight(cls) * ctx.days * weight.to_numpy(float),
        )


def _korea_floor(
    ctx: Context,
    name: str,
    coef: np.ndarray,
    mask: np.ndarray,
    floor: float,
    mode: ConstraintMode,
    priority: str,
    penalty: float,
    source: str,
    doc: str,
    home_coef: dict[str, float] | None = None,
) -> None:
    """Rows per period: sum(coef * z[f,korea,t]) (+ home shares) (+ elastic shortfall) >= floor.

    `home_coef` adds coef * h[f,t] for forces whose home position is in Korea.
    """
    T = ctx.T
    idx = ctx.share.index
    sel = mask & (idx["theater"] == "korea").to_numpy()
    rows = idx["period"].to_numpy()[sel] - 1
    cols, vals = ctx.share.ids[sel], coef[sel]
    if home_coef:
        hidx = ctx.home.index
        hsel = hidx["force"].isin(list(home_coef)).to_numpy()
        rows = np.concatenate([rows, hidx["period"].to_numpy()[hsel] - 1])
        cols = np.concatenate([cols, ctx.home.ids[hsel]])
        vals = np.concatenate([vals, hidx.loc[hsel, "force"].map(home_coef).to_numpy(float)])
    if mode == ConstraintMode.elastic:
        short = ctx.lp.add_variables(
            f"{name}_shortfall",
            pd.DataFrame({"period": np.arange(1, T + 1)}),
            upper=floor,
            doc=f"shortfall of {name}",
        )
        rows = np.concatenate([rows, np.arange(T)])
        cols = np.concatenate([cols, short.ids])
        vals = np.concatenate([vals, np.ones(T)])
        ctx.lp.add_objective(
            f"shortfall:{priority}", short.ids, ctx.class_weight(priority) * penalty * ctx.days
        )
    ctx.lp.add_constraints(
        name,
        pd.DataFrame({"period": np.arange(1, T + 1)}),
        rows,
        cols,
        vals,
        lower=floor,
        source=source,
        entity="period",
        doc=doc,
    )


def define_deterrence_floor(ctx: Context) -> None:
    r"""North Korea deterrence floor (family ``policy_deterrence_floor[period]``).

    $$ \sum_f P_f\, z_{f,\mathrm{korea},t} \;(+\, e_t) \ge F $$

    $F$ is ``opportunistic_combat_power`` when North Korea is opportunistic, else ``combat_power``;
    $e_t$ exists only in ``mode: elastic`` and costs $W \rho \Delta$ (``penalty_weight`` per unit
    short per day). Source: 000_5467993c79f30f39.txt, "defending
    [South Korea] has to be the first task"; "We are still going to have to deter North Korea".
    """
    pol = ctx.spec.policies.deterrence_floor
    if not pol.enabled or ctx.share is None:
        return
    floor = pol.opportunistic_combat_power if pol.north_korea_opportunistic else pol.combat_power
    coef = _force_attr(ctx, "combat_power").astype(float)
    _korea_floor(
        ctx,
        "policy_deterrence_floor",
        coef,
        np.ones(len(coef), bool),
        floor,
        pol.mode,
        pol.priority,
        pol.penalty_weight,
        pol.source,
        define_deterrence_floor.__doc__ or "",
    )


def define_troop_floor(ctx: Context) -> None:
    r"""U.S. troop floor in Korea (family ``policy_troop_floor[period]``).

    Counts U.S. troops physically in Korea: shares present in the Korean theater, plus the
    home share of forces whose home place lies in Korea ($K$); shares in transit do not count.

    $$ \sum_{f \in \mathrm{US}} N_f\, z_{f,\mathrm{korea},t} + \sum_{f \in \mathrm{US} \cap K} N_f\, h_{ft}
       \;(+\, e_t) \ge 28{,}500 $$

    In ``mode: elastic`` the shortfall costs $W \rho \Delta$ (``penalty_per_troop`` per troop short
    per day). Source: 000_5467993c79f30f39.txt, "pledged to maintain U.S. forces at the existing
    28,500 troop level".
    """
    pol = ctx.spec.policies.troop_floor
    if not pol.enabled or ctx.share is None:
        return
    coef = _force_attr(ctx, "troops").astype(float)
    mask = _force_attr(ctx, "nation") == "US"
    home_coef = {
        f.id: f.troops
        for f in ctx.spec.forces
        if f.nation == "US" and ctx.prep.place_by_id[f.home].theater == "korea"
    }
    _korea_floor(
        ctx,
        "policy_troop_floor",
        coef,
        mask,
        pol.troops,
        pol.mode,
        pol.priority,
        pol.penalty_per_troop,
        pol.source,
        define_troop_floor.__doc__ or "",
        home_coef,
    )


def _force_off_theater(ctx: Context, name: str, forces: list[str], source: str, doc: str) -> None:
    """Rows per force: its total share outside Korea is 0."""
    idx = ctx.share.index
    sel = idx["force"].isin(forces).to_numpy() & (idx["theater"] != "korea").to_numpy()
    present = sorted(set(idx.loc[sel, "force"]))
    if not present:
        return
    pos = {f: i for i, f in enumerate(present)}
    ctx.lp.add_constraints(
        name,
        pd.DataFrame({"force": present}),
        idx.loc[sel, "force"].map(pos).to_numpy(np.int64),
        ctx.share.ids[sel],
        np.ones(int(sel.sum())),
        upper=0.0,
        source=source,
        entity="force",
        doc=doc,
    )


def define_usfk_ground_stays(ctx: Context) -> None:
    r"""USFK ground forces stay in Korea (family ``policy_usfk_ground_stays[force]``).

    $$ \sum_{\theta \ne \mathrm{korea}} \sum_t z_{f\theta t} \le 0 \quad \forall f \in \mathrm{USFK} \cap \mathrm{ground} $$

    Source: 000_5467993c79f30f39.txt, "Washington is unlikely to withdraw elements of U.S.
    military forces in South Korea ... with the possible exception of some airplanes".
    """
    pol = ctx.spec.policies.usfk_ground_stays
    if not pol.enabled or ctx.share is None:
        return
    forces = [
        f.id
        for f in ctx.spec.forces
        if f.assignment == Assignment.usfk and f.branch == Branch.ground
    ]
    _force_off_theater(
        ctx, "policy_usfk_ground_stays", forces, pol.source, define_usfk_ground_stays.__doc__ or ""
    )


def define_usfk_air_share(ctx: Context) -> None:
    r"""Bounded share of USFK aircraft for Taiwan (family ``policy_usfk_air_share[period]``).

    $$ \sum_{f \in \mathrm{USFK} \cap \mathrm{air}} A_f \sum_{\theta \ne \mathrm{korea}} z_{f\theta t}
       \le \alpha \sum_{f \in \mathrm{USFK} \cap \mathrm{air}} A_f $$

    Source: 000_5467993c79f30f39.txt, "with the possible exception of some airplanes".
    """
    pol = ctx.spec.policies.usfk_air_share
    if not pol.enabled or ctx.share is None:
        return
    air = {
        f.id: f.aircraft
        for f in ctx.spec.forces
        if f.assignment == Assignment.usfk and f.branch == Branch.air
    }
    if not air:
        return
    idx = ctx.share.index
    sel = idx["force"].isin(list(air)).to_numpy() & (idx["theater"] != "korea").to_numpy()
    T = ctx.T
    ctx.lp.add_constraints(
        "policy_usfk_air_share",
        pd.DataFrame({"period": np.arange(1, T + 1)}),
        idx["period"].to_numpy()[sel] - 1,
        ctx.share.ids[sel],
        idx.loc[sel, "force"].map(air).to_numpy(float),
        upper=pol.max_share * sum(air.values()),
        source=pol.source,
        entity="period",
        doc=define_usfk_air_share.__doc__ or "",
    )


def define_strategic_flexibility(ctx: Context) -> None:
    r"""Strategic flexibility (family ``policy_strategic_flexibility[force]``).

    When ``allowed: false``, or when the ROK level is ``none`` and
    ``policies.rok_support.none_withdraws_flexibility`` is true (the default):
    $\sum_{\theta \ne \mathrm{korea}} \sum_t z_{f\theta t} \le 0$ for every
    USFK force; ROK forces may leave Korea only at the ``joint_operations`` level
    (family ``policy_rok_joint_operations[force]``).
    Source: 000_5467993c79f30f39.txt, January 2006 Rice–Ban statement on strategic flexibility:
    Seoul "respects the necessity for strategic flexibility", and the U.S. "respects the
    [South Korean] position that it shall not be involved in a regional conflict in Northeast
    Asia against the will of the Korean people".
    """
    if ctx.share is None:
        return
    pol = ctx.spec.policies.strategic_flexibility
    rok = ctx.spec.policies.rok_support
    withdrawn = rok.none_withdraws_flexibility and ctx.prep.rok_level == SupportLevel.none
    if not pol.allowed or withdrawn:
        forces = [f.id for f in ctx.spec.forces if f.assignment == Assignment.usfk]
        _force_off_theater(
            ctx,
            "policy_strategic_flexibility",
            forces,
            pol.source,
            define_strategic_flexibility.__doc__ or "",
        )
    if not ctx.prep.rok_level_allows(SupportLevel.joint_operations):
        forces = [f.id for f in ctx.spec.forces if f.nation == "ROK"]
        _force_off_theater(
            ctx,
            "policy_rok_joint_operations",
            forces,
            ctx.spec.policies.rok_support.source,
            define_strategic_flexibility.__doc__ or "",
        )


FAMILIES: list[Callable[[Context], None]] = [
    define_flows,
    define_inventory,
    define_flow_balance,
    define_demand,
    define_route_capacity,
    define_place_throughput,
    define_airfield_mog,
    define_storage,
    define_support_allocation,
    define_task_requirements,
    define_maintenance_capacity,
    define_port_access,
    define_airfield_access,
    define_onward_transport,
    define_sea_lane_escort,
    define_rok_support_level,
    define_apportionment,
    define_apportionment_stability,
    define_combat_power,
    define_deterrence_floor,
    define_troop_floor,
    define_usfk_ground_stays,
    define_usfk_air_share,
    define_strategic_flexibility,
]
"""Constraint families in build order (variables are created by the first family that needs them)."""


def build(prep: Prepared) -> tuple[LinearProgram, Context]:
    """Build the LP for a prepared model."""
    lp = LinearProgram()
    spec = prep.spec
    place_ids = [p.id for p in spec.places]
    ctx = Context(
        prep=prep,
        lp=lp,
        T=prep.T,
        days=prep.days,
        place_ids=place_ids,
        place_pos={p: i for i, p in enumerate(place_ids)},
        commodity_ids=[c.id for c in spec.commodities],
        tons=np.array([c.short_tons_per_unit for c in spec.commodities]),
        route_ids=[r.id for r in prep.routes],
    )
    ctx.r_origin = np.array([ctx.place_pos[r.origin] for r in prep.routes], dtype=np.int64)
    ctx.r_dest = np.array([ctx.place_pos[r.destination] for r in prep.routes], dtype=np.int64)
    ctx.r_lag = np.array([r.transit_periods for r in prep.routes], dtype=np.int64)
    ctx.r_mode = np.array([r.mode for r in prep.routes], dtype=object)
    ctx.r_theater = np.array([r.theater for r in prep.routes], dtype=object)
    enabled = gc.isenabled()
    gc.disable()  # many small arrays, no cycles: the collector only costs time here
    try:
        for define in FAMILIES:
            define(ctx)
    finally:
        if enabled:
            gc.enable()
    return lp, ctx
