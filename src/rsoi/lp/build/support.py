"""Support families: rear-area task allocation, requirements, access caps, escort, ROK level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rsoi.lp.build.context import Context
from rsoi.lp.prepare import support_slots
from rsoi.model.families import family
from rsoi.model.schema import Mode, TaskKind

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
        family("port_access").source,
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
        family("airfield_access").source,
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
        family("onward_transport").source,
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
        family("sea_lane_escort").source,
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
