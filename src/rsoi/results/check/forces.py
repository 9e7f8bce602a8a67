"""Apportionment: shares, movement lags, combat power, floors and force policies."""

from __future__ import annotations

from collections import defaultdict

from rsoi.model import rules
from rsoi.model.schema import (
    Assignment,
    Branch,
    ConstraintMode,
    SupportLevel,
    effective_rok_level,
)
from rsoi.results.check.core import CheckerCore
from rsoi.results.check.derive import derive_force_lags


class ForceChecks(CheckerCore):
    """Apportionment: shares, movement lags, combat power, floors and force policies."""

    # --- forces -----------------------------------------------------------------------------

    def force_lags(self) -> tuple[dict, dict]:
        """Arrival periods per (force, theater) and swing lags per (force, from, to) (the arrival rule)."""
        return derive_force_lags(self.spec, self.prep.coords)

    def check_apportionment(self) -> None:
        self.checked.append(
            "apportionment: arrival rule, no teleporting, shares, combat power, floors, bounds"
        )
        s = self.sane(
            "apportionment",
            {"force": self.forces, "theater": {*(t.id for t in self.spec.theaters), "in_transit"}},
            ["share", "combat_power", "troops"],
        ).copy()
        for row in s[s.duplicated(["force", "theater", "period"])].itertuples():
            self.fail(
                "apportionment",
                f"apportionment.csv: duplicate row {row.force},{row.theater},{row.period}",
            )
        arrival, swing = self.force_lags()
        self._arrival = arrival
        for row in s.itertuples():
            force = self.forces[row.force]
            item = f"share[{row.force},{row.theater},{row.period}]"
            power = self.power(row.force, row.theater, int(row.period))
            self.equal(  # on every row, share 0 included: a column edit is never skipped
                "apportionment", item, row.combat_power, row.share * power, "combat_power",
            )  # fmt: skip
            self.equal("apportionment", item, row.troops, row.share * force.troops, "troops")
            if row.share <= 1e-12:
                continue
            if row.theater != "in_transit":
                if row.theater not in force.theaters:
                    self.fail("apportionment", f"{item}: force is not apportioned to {row.theater}")
                    continue
                first = arrival[(row.force, row.theater)]
                if row.period < first:
                    self.fail(
                        "apportionment", f"{item}: before the force can arrive (period {first})"
                    )
            self.leq("apportionment", item, row.share, 1.0, "share")
        total = s.groupby(["force", "period"])["share"].sum()
        for (force, t), value in total.items():
            self.leq(
                "force_home", f"force_home[{force},{t}]", value, 1.0, "theater + transit shares"
            )
        z = {
            (r.force, r.theater, int(r.period)): float(r.share)
            for r in s.itertuples()
            if r.theater != "in_transit"
        }
        moving = {
            (r.force, int(r.period)): float(r.share)
            for r in s.itertuples()
            if r.theater == "in_transit"
        }
        self.share_values = (
            z  # the share columns' values (reduced costs, rsoi.results.check.columns)
        )
        self._no_teleport(z, moving, arrival, swing)
        self._home_share = {
            (f.id, t): 1.0
            - moving.get((f.id, t), 0.0)
            - sum(z.get((f.id, th, t), 0.0) for th in f.theaters)
            for f in self.spec.forces
            for t in range(1, self.T + 1)
        }
        self._combat_power(z)
        self._floors(z)
        self._force_bounds(z)

    def _no_teleport(self, z: dict, moving: dict, arrival: dict, swing: dict) -> None:
        """A share that appears in a theater at t was outside every theater (at home, or in
        transit) in the periods before: from home, in every earlier period; from another
        theater, for the swing lag. So a gain at t is at most the share outside every theater
        in t-1 .. t-m, m the shortest swing lag into the theater (all earlier periods when the
        force serves one theater)."""
        for f in self.spec.forces:
            for th in f.theaters:
                swings = [swing[(f.id, o, th)] for o in f.theaters if o != th]
                if swings and min(swings) == 0:
                    continue  # an instant swing from another theater is allowed
                for t in range(1, self.T + 1):
                    m = min(swings) if swings else t - 1
                    gain = z.get((f.id, th, t), 0.0) - z.get((f.id, th, t - 1), 0.0)
                    if gain <= 1e-9:
                        continue
                    for k in range(1, m + 1):
                        if t - k < 1:
                            break  # before C-day everything is at home
                        away = 1.0 - sum(z.get((f.id, o, t - k), 0.0) for o in f.theaters)
                        self.leq(
                            "force_position",
                            f"force_position[{f.id},{th},{t}]",
                            gain,
                            away,
                            f"share arriving vs share outside every theater {k} period(s) earlier",
                        )

    def power(self, force: str, theater: str, t: int) -> float:
        """Combat power of a whole force in a theater in t: scaled by its home's attack factor
        when it operates from home (arrival lag 0, ``rules.at_attacked_place``)."""
        f = self.forces[force]
        arrival = self._arrival.get((force, theater))  # None: in transit (full power listed)
        if arrival is not None and rules.operates_from_home(arrival - f.ready_period):
            return f.combat_power * rules.at_attacked_place(self.phi(f.home, t))
        return f.combat_power

    def _combat_power(self, z: dict) -> None:
        power: dict[tuple[str, int], float] = defaultdict(float)
        for (force, theater, t), share in z.items():
            power[(theater, t)] += self.power(force, theater, t) * share
        need: dict[tuple[str, int], float] = defaultdict(float)
        short: dict[tuple[str, int], float] = defaultdict(float)
        for (family, req, t), value in self.short.items():
            if family == "combat_power":
                short[(req.split(":")[1], t)] += value
        for (family, req, t), (amount, _w, _c) in self.expected_requirements().items():
            if family == "combat_power":
                need[(req.split(":")[1], t)] += amount
        for (theater, t), amount in need.items():
            self.leq(
                "combat_power",
                f"combat_power[{theater},{t}]",
                amount,
                power[(theater, t)] + short[(theater, t)],
                "required vs provided + shortfall",
            )

    def _floors(self, z: dict) -> None:
        pol = self.spec.policies
        det = pol.deterrence_floor
        floors = [
            (
                "policy_deterrence_floor",
                det,
                det.opportunistic_combat_power
                if det.north_korea_opportunistic
                else det.combat_power,
                lambda f, t: self.power(f.id, "korea", t),
            ),
            (
                "policy_troop_floor",
                pol.troop_floor,
                pol.troop_floor.troops,
                lambda f, t: f.troops if f.nation == "US" and not self.assigned_troops(f) else 0.0,
            ),
        ]

        for name, p, floor, coef in floors:
            if not p.enabled:
                continue
            for t in range(1, self.T + 1):
                have = sum(
                    coef(self.forces[f], t) * share
                    for (f, th, tt), share in z.items()
                    if th == "korea" and tt == t
                )
                if name == "policy_troop_floor":  # troops physically in Korea, at home there
                    have += sum(
                        coef(f, t) * self._home_share[(f.id, t)]
                        for f in self.spec.forces
                        if self.places[f.home].theater == "korea"
                    )
                    # assigned strength: USFK air troops count wherever they are
                    have += sum(f.troops for f in self.spec.forces if self.assigned_troops(f))
                if p.mode == ConstraintMode.elastic:
                    have += self.short.get(("policy", name, t), 0.0)
                self.leq(
                    name,
                    f"{name}[{t}]",
                    floor,
                    have,
                    "floor vs provided"
                    + (" + shortfall" if p.mode == ConstraintMode.elastic else ""),
                )

    def _force_bounds(self, z: dict) -> None:
        pol = self.spec.policies
        away: dict[str, float] = defaultdict(float)
        for (force, theater, _t), share in z.items():
            if theater != "korea":
                away[force] += share
        usfk = {f.id for f in self.spec.forces if f.assignment == Assignment.usfk}
        rules = []
        if pol.usfk_ground_stays.enabled:
            ground = {f for f in usfk if self.forces[f].branch == Branch.ground}
            rules.append(("policy_usfk_ground_stays", ground))
        rok = pol.rok_support
        withdrawn = rok.none_withdraws_flexibility and (
            effective_rok_level(self.spec) == SupportLevel.none
        )
        if not pol.strategic_flexibility.allowed or withdrawn:
            rules.append(("policy_strategic_flexibility", usfk))
        if not self.rok_allows(SupportLevel.joint_operations):
            rules.append(
                (
                    "policy_rok_joint_operations",
                    {f.id for f in self.spec.forces if f.nation == "ROK"},
                )
            )
        for name, forces in rules:
            for force in sorted(forces):
                self.leq(name, f"{name}[{force}]", away.get(force, 0.0), 0.0, "share outside Korea")
        if pol.usfk_air_share.enabled:
            air = {f: self.forces[f].aircraft for f in usfk if self.forces[f].branch == Branch.air}
            if air:
                limit = pol.usfk_air_share.max_share * sum(air.values())
                per_t: dict[int, float] = defaultdict(float)
                for (force, theater, t), share in z.items():
                    if force in air and theater != "korea":
                        per_t[t] += air[force] * share
                for t, value in sorted(per_t.items()):
                    self.leq(
                        "policy_usfk_air_share",
                        f"policy_usfk_air_share[{t}]",
                        value,
                        limit,
                        "aircraft outside Korea",
                    )
