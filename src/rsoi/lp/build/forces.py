"""Force families: apportionment of forces to theaters over time and combat power."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rsoi.lp.build.context import Context
from rsoi.model.families import family

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
        source=family("share_change").source,
        entity="force",
        doc=define_apportionment_stability.__doc__ or "",
    )
    ctx.lp.add_objective("stability", change.ids, beta)


def force_attr(ctx: Context, attr: str) -> np.ndarray:
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
    power = force_attr(ctx, "combat_power").astype(float)
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
