"""Units: one asset, one position; attacks hit the units at the attacked place (own derivation).

Follows ``rsoi.lp.build.units`` on the tables alone: where a support unit with a speed may be
(allocations at two places too close in time for the transit between them), what an attack
leaves at a place, the split of a force between combat and support, how much of a ROK force is
away from Korea, Korean territory at level ``none``, and what an attacked base may launch. The
rules themselves come from ``rsoi.model.rules``.
"""

from __future__ import annotations

from collections import defaultdict

from rsoi.model import rules
from rsoi.model.geo import geodesic_km
from rsoi.model.schema import effective_rok_level
from rsoi.results.check.core import CheckerCore


class UnitChecks(CheckerCore):
    """Unit positions, attacked places, force splits, ROK forces abroad, Korean territory."""

    def _unit_lag(self, provider: str, a: str, b: str) -> int:
        (lon1, lat1), (lon2, lat2) = self.prep.coords[a], self.prep.coords[b]
        speed = self.providers[provider].speed_km_per_day
        return rules.transit_periods(geodesic_km(lon1, lat1, lon2, lat2), speed, self.days)

    def check_units(self) -> None:
        """Run after `check_apportionment` (it needs the home shares)."""
        self.checked.append(
            "units: positions and transit, attacked places, force splits, ROK forces abroad, "
            "Korean territory, launches from attacked bases"
        )
        a = self.t["allocations"]
        at: dict[tuple[str, str, int], float] = defaultdict(float)  # units at a place
        theater_of = {p: pl.theater for p, pl in self.places.items()}
        rok_level = effective_rok_level(self.spec).value
        closed = rules.korean_territory_closed(
            rok_level, self.spec.policies.rok_support.none_withdraws_flexibility
        )
        for row in a.itertuples():
            if row.provider not in self.providers or row.place not in self.places:
                continue  # check_allocations names unknown ids
            units = float(row.units_allocated)
            at[(row.provider, row.place, int(row.period))] += units
            u = self.providers[row.provider]
            if (
                closed
                and u.nation == "US"
                and row.theater != rules.KOREA
                and units > 1e-9
                and rules.on_korean_territory(theater_of[u.home], theater_of[row.place])
            ):
                self.fail(
                    "policy_korean_territory",
                    f"policy_korean_territory[{row.provider}]: {units:g} units at {row.place} "
                    f"serve the {row.theater} theater from Korean territory at level none",
                )
        self._positions(at)
        self._check_stations(at)
        self._splits(at)
        self._launches()

    def _positions(self, at: dict) -> None:
        """No teleport: a unit at p in t-k cannot be at q in t when k <= the transit lag p->q;
        none is away from home before the transit from home allows."""
        by_provider: dict[str, dict[tuple[str, int], float]] = defaultdict(dict)
        for (u, p, t), units in at.items():
            if units > 1e-9 and self.providers[u].speed_km_per_day is not None:
                by_provider[u][(p, t)] = units
        for u, held in by_provider.items():
            prov = self.providers[u]
            places = sorted({p for p, _t in held})
            for p in places:
                first = prov.available_from + (
                    0 if p == prov.home else self._unit_lag(u, prov.home, p)
                )
                for (pp, t), units in held.items():
                    if pp == p and t < first:
                        self.fail(
                            "unit_position",
                            f"unit_position[{u},{p},{t}]: {units:g} units at {p} before they can "
                            f"arrive from {prov.home} (period {first})",
                        )
            for p in places:
                for q in places:
                    if p == q:
                        continue
                    lag = self._unit_lag(u, p, q)
                    for (qq, t), units in held.items():
                        if qq != q:
                            continue
                        for k in range(1, lag + 1):
                            before = held.get((p, t - k), 0.0)
                            if before > 1e-9:
                                self.leq(
                                    "unit_position",
                                    f"unit_position[{u},{q},{t}]",
                                    units + before,
                                    prov.count,
                                    f"units at {q} plus units at {p} {k} period(s) earlier "
                                    f"(transit {lag})",
                                )

    def _check_stations(self, at: dict) -> None:
        """At an attacked place only the factor's share of a provider's units works."""
        for (u, p, t), units in at.items():
            phi = rules.at_attacked_place(self.phi(p, t))
            if phi < 1.0:
                self.leq(
                    "unit_station",
                    f"unit_station[{u},{p},{t}]",
                    units,
                    phi * self.providers[u].count,
                    f"units working at attacked {p} vs factor x units",
                )

    def _splits(self, at: dict) -> None:
        """Support units of a force come out of its home share; ROK forces abroad are capped."""
        home = getattr(self, "_home_share", {})
        z = getattr(self, "share_values", {})
        used: dict[tuple[str, int], float] = defaultdict(float)
        abroad: dict[tuple[str, int], float] = defaultdict(float)
        for (u, p, t), units in at.items():
            prov = self.providers[u]
            if prov.part_of is None or prov.count <= 0:
                continue
            used[(prov.part_of, t)] += units / prov.count
            if rules.outside_korea(self.places[p].theater):
                abroad[(prov.part_of, t)] += units / prov.count
        for (f, t), share in sorted(used.items()):
            self.leq(
                "unit_split",
                f"unit_split[{f},{t}]",
                share,
                home.get((f, t), 1.0),
                "share of the force doing support vs its home share",
            )
        policy = self.spec.policies.rok_support.forces_abroad
        if policy is None:
            return
        cap = rules.rok_forces_abroad_cap(
            {k.value: v for k, v in policy.max_share_by_level.items()},
            effective_rok_level(self.spec).value,
        )
        for f in self.spec.forces:
            if f.nation != "ROK":
                continue
            for t in range(1, self.T + 1):
                away = abroad.get((f.id, t), 0.0) + sum(
                    z.get((f.id, th, t), 0.0) for th in f.theaters if th != rules.KOREA
                )
                if away > 1e-9:
                    self.leq(
                        "policy_rok_forces_abroad",
                        f"policy_rok_forces_abroad[{f.id},{t}]",
                        away,
                        cap,
                        "share of the ROK force away from Korea",
                    )

    def _launches(self) -> None:
        """An attacked home base launches at most its factor's share of what is still there."""
        home = getattr(self, "_home_share", {})
        for f in self.spec.forces:
            for t in range(1, self.T + 1):
                phi = rules.at_attacked_place(self.phi(f.home, t))
                if phi >= 1.0:
                    continue
                before = 1.0 if t == 1 else home.get((f.id, t - 1), 1.0)
                left = before - home.get((f.id, t), before)
                if left > 1e-9:
                    self.leq(
                        "unit_launch",
                        f"unit_launch[{f.id},{t}]",
                        left,
                        phi * before,
                        f"share leaving attacked {f.home} vs factor x share at home",
                    )
