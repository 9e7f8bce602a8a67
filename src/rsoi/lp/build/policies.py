"""Policy families: deterrence and troop floors, USFK rules, strategic flexibility."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rsoi.lp.build.context import Context
from rsoi.lp.build.forces import force_attr
from rsoi.lp.build.units import effective_power
from rsoi.model import rules
from rsoi.model.schema import Assignment, Branch, ConstraintMode, SupportLevel


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
            upper=max(floor, 0.0),
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

    $P_f$ as in ``combat_power`` (scaled at an attacked home base, ``at_attacked_place``).
    $F$ is ``opportunistic_combat_power`` when North Korea is opportunistic, else ``combat_power``;
    $e_t$ exists only in ``mode: elastic`` and costs $W \rho \Delta$ (``penalty_weight`` per unit
    short per day). Source: 000_5467993c79f30f39.txt, "defending
    [South Korea] has to be the first task"; "We are still going to have to deter North Korea".
    """
    pol = ctx.spec.policies.deterrence_floor
    if not pol.enabled or ctx.share is None:
        return
    floor = pol.opportunistic_combat_power if pol.north_korea_opportunistic else pol.combat_power
    coef = effective_power(ctx)
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

    **Assigned strength vs presence** (``usfk_air_counts_assigned``,
    ``rsoi.model.rules.troops_count_assigned``): with it, a USFK air force ($A$) counts its
    troops $N_f$ wherever its aircraft are, since it stays assigned to USFK while "some
    airplanes" fly for Taiwan; the others count by presence:

    $$ \sum_{f \in \mathrm{US} \setminus A} N_f\, z_{f,\mathrm{korea},t}
       + \sum_{f \in (\mathrm{US} \cap K) \setminus A} N_f\, h_{ft} \;(+\, e_t)
       \ge 28{,}500 - \sum_{f \in A} N_f $$

    so the pledge holds for assigned strength and the USFK air share bounds what may leave.

    In ``mode: elastic`` the shortfall costs $W \rho \Delta$ (``penalty_per_troop`` per troop short
    per day). Source: 000_5467993c79f30f39.txt, "pledged to maintain U.S. forces at the existing
    28,500 troop level"; "with the possible exception of some airplanes".
    """
    pol = ctx.spec.policies.troop_floor
    if not pol.enabled or ctx.share is None:
        return
    coef = force_attr(ctx, "troops").astype(float)
    assigned = {
        f.id: f.troops
        for f in ctx.spec.forces
        if f.nation == "US"
        and rules.troops_count_assigned(
            f.assignment.value, f.branch.value, pol.usfk_air_counts_assigned
        )
    }
    mask = (force_attr(ctx, "nation") == "US") & ~ctx.share.index["force"].isin(
        list(assigned)
    ).to_numpy()
    home_coef = {
        f.id: f.troops
        for f in ctx.spec.forces
        if f.nation == "US"
        and f.id not in assigned
        and ctx.prep.place_by_id[f.home].theater == "korea"
    }
    _korea_floor(
        ctx,
        "policy_troop_floor",
        coef,
        mask,
        pol.troops - sum(assigned.values()),
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
