r"""Unit families: every military unit is one asset with one position (issue 15 b, c).

A support provider with ``speed_km_per_day`` has a position each period; a provider with
``part_of`` shares its force's strength; an attack degrades the units at the attacked place.
The rules both the builder and the checker apply live in ``rsoi.model.rules`` (section units).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from rsoi.lp.build.context import Context
from rsoi.model import rules
from rsoi.model.families import family


def _tracked(ctx: Context) -> list:
    """Providers with a position model (a speed and units to move)."""
    return [u for u in ctx.spec.providers if u.speed_km_per_day is not None and u.count > 0]


def _alloc_by(ctx: Context, provider: str) -> np.ndarray:
    return np.flatnonzero((ctx.alloc.index["provider"] == provider).to_numpy())


def define_unit_positions(ctx: Context) -> None:
    r"""Support units move: positions and transit (family ``unit_position[provider,place,period]``;
    variables ``unit_at[provider,place,period]`` and
    ``unit_move[provider,origin,destination,period]``, both carrying their period).

    A provider $u$ with ``speed_km_per_day`` $v_u$ has $N_u$ units at home at C-day. Its
    stations $S_u$ are its home and every place where it may work. $q_{upt}$ units are at
    station $p$ at the end of $t$; $m_{upp't}$ units leave $p$ in $t$ (from the first available
    period) and are at $p'$ from $t + L_{upp'}$, with the transit rule of forces
    $L_{upp'} = \lfloor \mathrm{km}(p, p') / (v_u \Delta) + 0.5 \rfloor$
    (``rsoi.model.rules.transit_periods``); meanwhile they are in transit:

    $$ q_{upt} = q_{up,t-1} + \sum_{p'} m_{up'p,t-L_{up'p}} - \sum_{p'} m_{upp't},
       \qquad q_{up0} = N_u [p = \mathrm{home}_u] $$

    Units work only where they are (``unit_station``). So no escort group is in the seas
    around Taiwan, ~1,300 km from Jinhae, on C-day, and no unit is in two distant places in
    consecutive periods. A provider without a speed works from home at every place it serves
    (no position model). Source: 000_5467993c79f30f39.txt,
    "escort and protect ships transiting the Taiwan Strait" (ships sail there first).
    """
    prep, lp, T = ctx.prep, ctx.lp, ctx.T
    pos_rows: list[tuple[str, str, int]] = []
    move_rows: list[tuple[str, str, str, int]] = []
    lag: dict[tuple[str, str, str], int] = {}
    stations: dict[str, list[str]] = {}
    for u in _tracked(ctx):
        sel = _alloc_by(ctx, u.id)
        places = sorted(set(ctx.alloc.index["place"].to_numpy()[sel]) - {u.home})
        stations[u.id] = [u.home, *places]
        for a in stations[u.id]:
            pos_rows.extend((u.id, a, t) for t in range(1, T + 1))
            for b in stations[u.id]:
                if a != b:
                    lag[(u.id, a, b)] = prep.unit_lag(u.id, a, b)
                    last = T - lag[(u.id, a, b)]
                    move_rows.extend((u.id, a, b, t) for t in range(u.available_from, last + 1))
    if not pos_rows:
        return
    ctx.unit_at = lp.add_variables(
        "unit_at",
        pd.DataFrame(pos_rows, columns=["provider", "place", "period"]),
        doc="units of a provider at a station at the end of a period",
    )
    move = lp.add_variables(
        "unit_move",
        pd.DataFrame(move_rows, columns=["provider", "origin", "destination", "period"]),
        doc="units of a provider leaving one station for another in a period",
    )
    count = {u.id: u.count for u in ctx.spec.providers}
    home = {u.id: u.home for u in ctx.spec.providers}
    src = {u.id: u.source for u in ctx.spec.providers}
    row_of = {k: i for i, k in enumerate(pos_rows)}
    rows, cols, vals = [], [], []
    for i, (u, p, t) in enumerate(pos_rows):
        rows.append(i), cols.append(ctx.unit_at.ids[i]), vals.append(1.0)
        if t > 1:
            rows.append(i), cols.append(ctx.unit_at.ids[row_of[(u, p, t - 1)]]), vals.append(-1.0)
    for j, (u, a, b, t) in enumerate(move_rows):
        rows.append(row_of[(u, a, t)]), cols.append(move.ids[j]), vals.append(1.0)
        rows.append(row_of[(u, b, t + lag[(u, a, b)])]), cols.append(move.ids[j]), vals.append(-1.0)
    rhs = np.array([count[u] if (t == 1 and p == home[u]) else 0.0 for u, p, t in pos_rows])
    lp.add_constraints(
        "unit_position",
        pd.DataFrame(pos_rows, columns=["provider", "place", "period"]),
        np.array(rows, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(vals),
        lower=rhs,
        upper=rhs,
        source=np.array([src[u] for u, _p, _t in pos_rows], dtype=object),
        entity="provider",
        doc=define_unit_positions.__doc__ or "",
    )


def define_unit_station(ctx: Context) -> None:
    r"""Units work where they are, and an attack hits the units there
    (family ``unit_station[provider,place,period]``).

    Rule ``at_attacked_place`` (``rsoi.model.rules``): while an attack on place $p$ holds
    (factor $\varphi_{pt} < 1$), only that share of the units present at $p$ can work. A
    provider with a position model works at $p$ only with the units there; a provider without
    one is present where it works:

    $$ \sum_{\sigma: p(\sigma)=p} a_{u\sigma t} \le \varphi_{pt}\, q_{upt} \quad
       \text{(with a speed)}, \qquad
       \sum_{\sigma: p(\sigma)=p} a_{u\sigma t} \le \varphi_{pt}\, N_u \quad
       \text{(without; rows only where } \varphi_{pt} < 1) $$

    Source: 000_5467993c79f30f39.txt, "Beijing would likely target U.S. facilities in Guam";
    "If Beijing attacked U.S. bases in South Korea".
    """
    prep = ctx.prep
    idx = ctx.alloc.index
    by_id = {u.id: u for u in ctx.spec.providers}
    q_col: dict[tuple[str, str, int], int] = {}
    if ctx.unit_at is not None:
        q = ctx.unit_at.index
        q_col = {
            (u, p, int(t)): int(c)
            for u, p, t, c in zip(q["provider"], q["place"], q["period"], ctx.unit_at.ids,
                                  strict=True)
        }  # fmt: skip
    a_keys = list(
        zip(idx["provider"], idx["place"], idx["period"].to_numpy().tolist(), strict=True)
    )
    keys = []
    for k in sorted(set(a_keys)):
        u, p, t = k
        if k in q_col or prep.place_factor[p][t - 1] < 1.0:
            keys.append(k)
    if not keys:
        return
    row_of = {k: i for i, k in enumerate(keys)}
    a_rows = np.array([row_of.get(k, -1) for k in a_keys], dtype=np.int64)
    m = a_rows >= 0
    rows, cols, vals = [a_rows[m]], [ctx.alloc.ids[m]], [np.ones(int(m.sum()))]
    upper = np.zeros(len(keys))
    q_rows, q_cols, q_vals = [], [], []
    for i, (u, p, t) in enumerate(keys):
        phi = rules.at_attacked_place(prep.place_factor[p][t - 1])
        if (u, p, t) in q_col:
            q_rows.append(i), q_cols.append(q_col[(u, p, t)]), q_vals.append(-phi)
        else:
            upper[i] = phi * by_id[u].count
    ctx.lp.add_constraints(
        "unit_station",
        pd.DataFrame(keys, columns=["provider", "place", "period"]),
        np.concatenate([*rows, np.array(q_rows, dtype=np.int64)]),
        np.concatenate([*cols, np.array(q_cols, dtype=np.int64)]),
        np.concatenate([*vals, np.array(q_vals)]),
        upper=upper,
        source=np.array([by_id[k[0]].source for k in keys], dtype=object),
        entity="provider",
        doc=define_unit_station.__doc__ or "",
    )


def _unit_terms(ctx: Context, u, abroad: bool) -> tuple[list[int], list[int], list[float], float]:
    """(period, col, coef) terms and a constant for the share of force strength provider `u`
    uses in each period: all units away from home or working (`abroad=False`), or those at
    places outside Korea (`abroad=True`). Shares are units / N_u."""
    prep = ctx.prep
    n = float(u.count)
    periods, cols, coefs = [], [], []
    const = 0.0
    theater_of = {p.id: p.theater for p in ctx.spec.places}
    if u.speed_km_per_day is not None and ctx.unit_at is not None:
        q = ctx.unit_at.index
        sel = np.flatnonzero((q["provider"] == u.id).to_numpy())
        for i in sel:
            p, t = q["place"].iat[i], int(q["period"].iat[i])
            if abroad and rules.outside_korea(theater_of[p]):
                periods.append(t), cols.append(int(ctx.unit_at.ids[i])), coefs.append(1.0 / n)
            if not abroad and p == u.home:
                periods.append(t), cols.append(int(ctx.unit_at.ids[i])), coefs.append(-1.0 / n)
        if not abroad:
            const = 1.0  # N_u - q[home] units are away or in transit
            a = ctx.alloc.index
            for i in _alloc_by(ctx, u.id):
                if a["place"].iat[i] == u.home:
                    periods.append(int(a["period"].iat[i]))
                    cols.append(int(ctx.alloc.ids[i])), coefs.append(1.0 / n)
        return periods, cols, coefs, const
    a = ctx.alloc.index
    for i in _alloc_by(ctx, u.id):
        if abroad and not rules.outside_korea(theater_of[a["place"].iat[i]]):
            continue
        periods.append(int(a["period"].iat[i]))
        cols.append(int(ctx.alloc.ids[i])), coefs.append(1.0 / n)
    del prep
    return periods, cols, coefs, const


def _parts(ctx: Context) -> dict[str, list]:
    parts: dict[str, list] = defaultdict(list)
    for u in ctx.spec.providers:
        if u.part_of is not None and u.count > 0:
            parts[u.part_of].append(u)
    return parts


def define_unit_split(ctx: Context) -> None:
    r"""One asset, counted once: a force's support units come out of its home share
    (family ``unit_split[force,period]``).

    For the providers $u$ with ``part_of`` $= f$ (all $N_u$ units together are the whole force),
    the share of $f$ they use in $t$ is $g_{ut} = \sum_\sigma a_{u\sigma t} / N_u$, or for a
    provider with a position model every unit away from home or working:
    $g_{ut} = (N_u - q_{u,\mathrm{home},t} + \sum_{\sigma: p(\sigma)=\mathrm{home}} a_{u\sigma t}) / N_u$.
    Only the share not committed to a theater and not in transit (the home share $h_{ft}$) can do
    it:

    $$ \sum_{u:\ \mathrm{part\_of}(u) = f} g_{ut} \le h_{ft} $$

    So the ROK destroyers that escort trade in the seas around Taiwan are not also counted as
    ROK Navy combat power in a theater. Source: 000_5467993c79f30f39.txt, "providing naval
    forces to defend sea lines of communication" (the same fleet).
    """
    parts = _parts(ctx)
    if not parts or ctx.home is None:
        return
    T = ctx.T
    forces = sorted(parts)
    keys = [(f, t) for f in forces for t in range(1, T + 1)]
    row_of = {k: i for i, k in enumerate(keys)}
    hidx = ctx.home.index
    home_col = {
        (f, int(t)): int(c)
        for f, t, c in zip(hidx["force"], hidx["period"], ctx.home.ids, strict=True)
    }
    rows, cols, vals = [], [], []
    rhs = np.zeros(len(keys))
    for f in forces:
        for t in range(1, T + 1):
            rows.append(row_of[(f, t)]), cols.append(home_col[(f, t)]), vals.append(-1.0)
        for u in parts[f]:
            periods, c, v, const = _unit_terms(ctx, u, abroad=False)
            rows.extend(row_of[(f, t)] for t in periods), cols.extend(c), vals.extend(v)
            for t in range(1, T + 1):
                rhs[row_of[(f, t)]] -= const
    src = {p.id: p.source for p in ctx.spec.providers}
    ctx.lp.add_constraints(
        "unit_split",
        pd.DataFrame(keys, columns=["force", "period"]),
        np.array(rows, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(vals),
        upper=rhs,
        source=np.array([src[parts[f][0].id] for f, _t in keys], dtype=object),
        entity="force",
        doc=define_unit_split.__doc__ or "",
    )


def define_rok_forces_abroad(ctx: Context) -> None:
    r"""How much of each ROK force may leave Korea (family ``policy_rok_forces_abroad[force,period]``).

    With $\alpha_\lambda$ = ``policies.rok_support.forces_abroad.max_share_by_level`` at the level
    in force $\lambda$ (levels not listed: 0), for every ROK force $f$:

    $$ \sum_{\theta \ne \mathrm{korea}} z_{f\theta t}
       + \sum_{u:\ \mathrm{part\_of}(u)=f} \frac{1}{N_u} \sum_{p \notin \mathrm{korea}} (\text{units of } u \text{ at } p)
       \le \alpha_\lambda $$

    (units at $p$: $q_{upt}$ with a position model, else the allocations at $p$). Source:
    000_5467993c79f30f39.txt, "few officials or experts advocate a direct South Korean military
    role in or near Taiwan".
    """
    policy = ctx.spec.policies.rok_support.forces_abroad
    if policy is None or ctx.share is None:
        return
    cap = rules.rok_forces_abroad_cap(
        {k.value: v for k, v in policy.max_share_by_level.items()}, ctx.prep.rok_level.value
    )
    parts = _parts(ctx)
    T = ctx.T
    theater_of = {p.id: p.theater for p in ctx.spec.places}
    sidx = ctx.share.index
    terms: dict[tuple[str, int], list[tuple[int, float]]] = defaultdict(list)
    for f in ctx.spec.forces:
        if f.nation != "ROK":
            continue
        sel = np.flatnonzero(
            (sidx["force"] == f.id).to_numpy() & (sidx["theater"] != rules.KOREA).to_numpy()
        )
        for i in sel:
            terms[(f.id, int(sidx["period"].iat[i]))].append((int(ctx.share.ids[i]), 1.0))
        for u in parts.get(f.id, []):
            periods, c, v, _ = _unit_terms(ctx, u, abroad=True)
            for t, col, coef in zip(periods, c, v, strict=True):
                terms[(f.id, t)].append((col, coef))
    del theater_of, T
    keys = sorted(terms)
    if not keys:
        return
    rows, cols, vals = [], [], []
    for i, k in enumerate(keys):
        for col, coef in terms[k]:
            rows.append(i), cols.append(col), vals.append(coef)
    ctx.lp.add_constraints(
        "policy_rok_forces_abroad",
        pd.DataFrame(keys, columns=["force", "period"]),
        np.array(rows, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(vals),
        upper=cap,
        source=policy.source,
        entity="force",
        doc=define_rok_forces_abroad.__doc__ or "",
    )


def define_korean_territory(ctx: Context) -> None:
    r"""Korean territory at level ``none`` (family ``policy_korean_territory[provider]``).

    When the level in force is ``none`` and ``policies.rok_support.none_withdraws_flexibility``
    holds, no U.S. support unit on Korean territory (based in the Korean theater, or working at
    a place in it) serves a slot of another theater:

    $$ \sum_{\sigma:\ \theta(\sigma) \ne \mathrm{korea}} \sum_t \kappa_{u\tau} a_{u\sigma t} \le 0
       \qquad \forall u \in \mathrm{US} \text{ on Korean territory} $$

    Source: 000_5467993c79f30f39.txt, January 2006 statement: the U.S. "respects the [South
    Korean] position that it shall not be involved in a regional conflict in Northeast Asia
    against the will of the Korean people".
    """
    rok = ctx.spec.policies.rok_support
    if not rules.korean_territory_closed(ctx.prep.rok_level.value, rok.none_withdraws_flexibility):
        return
    theater_of = {p.id: p.theater for p in ctx.spec.places}
    home_theater = {u.id: theater_of[u.home] for u in ctx.spec.providers}
    idx = ctx.alloc.index
    mask = np.array(
        [
            nation == "US"
            and th != rules.KOREA
            and rules.on_korean_territory(home_theater[u], theater_of[p])
            for u, nation, p, th in zip(
                idx["provider"], ctx.alloc_nation, idx["place"], idx["theater"], strict=True
            )
        ],
        dtype=bool,
    )
    if not mask.any():
        return
    providers = sorted(set(idx.loc[mask, "provider"]))
    pos = {u: i for i, u in enumerate(providers)}
    ctx.lp.add_constraints(
        "policy_korean_territory",
        pd.DataFrame({"provider": providers}),
        idx.loc[mask, "provider"].map(pos).to_numpy(np.int64),
        ctx.alloc.ids[mask],
        ctx.alloc_cap[mask],
        upper=0.0,
        source=family("policy_korean_territory").source,
        entity="provider",
        doc=define_korean_territory.__doc__ or "",
    )


def define_unit_launch(ctx: Context) -> None:
    r"""A base under attack launches only what it can (family ``unit_launch[force,period]``).

    For a force $f$ whose home place is attacked ($\varphi_{\mathrm{home}_f,t} < 1$,
    ``at_attacked_place``), the share leaving home in $t$ is at most the share the base can
    launch:

    $$ \sum_\theta d_{f\theta t} \le \varphi_{\mathrm{home}_f,t}\, h_{f,t-1}, \qquad h_{f0} = 1 $$

    and a share in a theater the force reaches with arrival lag 0 still flies or sails from
    its home base, so ``combat_power`` and the deterrence floor count it at
    $\varphi_{\mathrm{home}_f,t} P_f$. A bomber task force on a closed Andersen runway adds no
    combat power anywhere. Source: 000_5467993c79f30f39.txt, "Beijing would likely target U.S.
    facilities in Guam".
    """
    if ctx.deploy is None or ctx.deploy.size == 0:
        return
    prep = ctx.prep
    didx = ctx.deploy.index
    hidx = ctx.home.index
    home_col = {
        (f, int(t)): int(c)
        for f, t, c in zip(hidx["force"], hidx["period"], ctx.home.ids, strict=True)
    }
    homes = {f.id: f.home for f in ctx.spec.forces}
    keys: list[tuple[str, int]] = []
    for f, t in sorted({(f, int(t)) for f, t in zip(didx["force"], didx["period"], strict=True)}):
        if prep.place_factor[homes[f]][t - 1] < 1.0:
            keys.append((f, t))
    if not keys:
        return
    row_of = {k: i for i, k in enumerate(keys)}
    rows, cols, vals = [], [], []
    for j, (f, _th, t) in enumerate(didx.itertuples(index=False, name=None)):
        if (f, int(t)) in row_of:
            rows.append(row_of[(f, int(t))]), cols.append(int(ctx.deploy.ids[j])), vals.append(1.0)
    upper = np.zeros(len(keys))
    for i, (f, t) in enumerate(keys):
        phi = rules.at_attacked_place(prep.place_factor[homes[f]][t - 1])
        if t == 1:
            upper[i] = phi
        else:
            rows.append(i), cols.append(home_col[(f, t - 1)]), vals.append(-phi)
    src = {f.id: f.source for f in ctx.spec.forces}
    ctx.lp.add_constraints(
        "unit_launch",
        pd.DataFrame(keys, columns=["force", "period"]),
        np.array(rows, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(vals),
        upper=upper,
        source=np.array([src[f] for f, _t in keys], dtype=object),
        entity="force",
        doc=define_unit_launch.__doc__ or "",
    )


def effective_power(ctx: Context) -> np.ndarray:
    """Combat power per share column: P_f, times the home factor for shares that operate from
    an attacked home base (arrival lag 0, ``rules.operates_from_home``)."""
    prep = ctx.prep
    idx = ctx.share.index
    forces = {f.id: f for f in ctx.spec.forces}
    out = np.empty(len(idx))
    for i, (f, th, t) in enumerate(
        zip(idx["force"], idx["theater"], idx["period"].to_numpy(), strict=True)
    ):
        power = forces[f].combat_power
        if rules.operates_from_home(prep.force_lag[(f, th)]):
            power *= rules.at_attacked_place(prep.place_factor[forces[f].home][int(t) - 1])
        out[i] = power
    return out
