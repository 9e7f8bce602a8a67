"""Network families: flows, inventory, balances, demand lines, route and place capacities."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rsoi.lp.build.context import Context, categorical
from rsoi.model.families import family
from rsoi.model.schema import Mode

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
            "route": categorical(f_route, ctx.route_ids),
            "commodity": categorical(f_comm, ctx.commodity_ids),
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
            "place": categorical(pos // (K * T), ctx.place_ids),
            "commodity": categorical((pos // T) % K, ctx.commodity_ids),
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
    source = family("flow_balance").source  # fixed citation: rsoi.model.families
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
    index = pd.DataFrame({"route": categorical(route, ctx.route_ids), "period": t})
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
