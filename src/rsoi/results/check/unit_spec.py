"""The checker's own rows and column terms of the unit families (issue 15 b, c, e).

Derived from the model alone, in plain loops (no rsoi.lp import): where a support unit with a
speed may be (its stations and moves), what an attack leaves working at a place, the split of
a force between combat and support, the cap on ROK forces away from Korea, Korean territory
at level ``none``, what an attacked base may launch and the combat power a share counts. The
rules themselves come from ``rsoi.model.rules``; ``RowSpec`` and ``ColumnSpec`` call in here.
"""

from __future__ import annotations

import math
from collections import defaultdict

from rsoi.model import rules
from rsoi.model.families import family
from rsoi.model.schema import effective_rok_level
from rsoi.results.check.core import CheckerCore
from rsoi.results.check.derive import _geodesic_km


class UnitSpec(CheckerCore):
    """Rows and coefficients of the unit families, derived here."""

    # --- derived sets --------------------------------------------------------------------------

    def unit_lag(self, provider: str, a: str, b: str) -> int:
        """Periods a unit of `provider` is in transit from a to b (the transit rule of forces)."""
        speed = self.providers[provider].speed_km_per_day
        km = _geodesic_km(self.prep.coords[a], self.prep.coords[b])
        return rules.transit_periods(km, speed, self.days)

    def tracked(self) -> list:
        """Providers with a position model: a speed and units to move."""
        return [u for u in self.spec.providers if u.speed_km_per_day is not None and u.count > 0]

    def stations(self) -> dict[str, list[str]]:
        """Provider -> its home and every place it may be allocated to (tracked providers)."""
        if not hasattr(self, "_station_map"):
            where: dict[str, set[str]] = defaultdict(set)
            for u, _task, place, _th, _t in self.allocation_keys():  # type: ignore[attr-defined]
                where[u].add(place)
            self._station_map = {
                u.id: [u.home, *sorted(where[u.id] - {u.home})] for u in self.tracked()
            }
        return self._station_map

    def unit_moves(self) -> list[tuple[str, str, str, int, int]]:
        """(provider, origin, destination, period, lag) of every move column."""
        out = []
        by_id = self.providers
        for u, places in self.stations().items():
            for a in places:
                for b in places:
                    if a != b:
                        lag = self.unit_lag(u, a, b)
                        for t in range(by_id[u].available_from, self.T - lag + 1):
                            out.append((u, a, b, t, lag))
        return out

    def parts(self) -> dict[str, list]:
        """Force -> the providers that are part of it (``part_of``)."""
        out: dict[str, list] = defaultdict(list)
        for u in self.spec.providers:
            if u.part_of is not None and u.count > 0:
                out[u.part_of].append(u)
        return out

    def station_rows(self) -> set[tuple[str, str, int]]:
        """(provider, place, period) of every ``unit_station`` row: tracked providers at every
        allocation, the others where the place is attacked."""
        tracked = set(self.stations())
        keys = set()
        for u, _task, p, _th, t in self.allocation_keys():  # type: ignore[attr-defined]
            if u in tracked or self.phi(p, t) < 1.0:
                keys.add((u, p, t))
        return keys

    def launch_rows(self) -> set[tuple[str, int]]:
        """(force, period) where a deploy column leaves an attacked home base."""
        keys = set()
        arrival = self.prep.force_arrival
        for f in self.spec.forces:
            for th in f.theaters:
                lag = arrival[(f.id, th)] - f.ready_period
                for t in range(f.ready_period, self.T - lag + 1):
                    if self.phi(f.home, t) < 1.0:
                        keys.add((f.id, t))
        return keys

    def abroad_cap(self) -> float | None:
        policy = self.spec.policies.rok_support.forces_abroad
        if policy is None:
            return None
        return rules.rok_forces_abroad_cap(
            {k.value: v for k, v in policy.max_share_by_level.items()},
            effective_rok_level(self.spec).value,
        )

    def outside(self, place: str) -> bool:
        return rules.outside_korea(self.places[place].theater)

    def territory_closed(self) -> bool:
        return rules.korean_territory_closed(
            effective_rok_level(self.spec).value,
            self.spec.policies.rok_support.none_withdraws_flexibility,
        )

    def on_territory(self, provider: str, place: str, theater: str) -> bool:
        """Does this allocation serve another theater from Korean territory (level none)?"""
        u = self.providers[provider]
        return (
            u.nation == "US"
            and theater != rules.KOREA
            and rules.on_korean_territory(self.places[u.home].theater, self.places[place].theater)
        )

    def share_power(self, force: str, theater: str, t: int) -> float:
        """Combat power a whole share counts: scaled by the home's factor when it operates
        from home (arrival lag 0; ``rules.at_attacked_place``)."""
        f = self.forces[force]
        arrival = self.prep.force_arrival.get((force, theater))
        if arrival is not None and rules.operates_from_home(arrival - f.ready_period):
            return f.combat_power * rules.at_attacked_place(self.phi(f.home, t))
        return float(f.combat_power)

    # --- rows ----------------------------------------------------------------------------------

    def _rows_unit_position(self):
        for u, places in self.stations().items():
            prov = self.providers[u]
            for p in places:
                for t in range(1, self.T + 1):
                    rhs = float(prov.count) if (t == 1 and p == prov.home) else 0.0
                    yield f"unit_position[{u},{p},{t}]", rhs, rhs, prov.source

    def _rows_unit_station(self):
        tracked = set(self.stations())
        for u, p, t in sorted(self.station_rows()):
            prov = self.providers[u]
            phi = rules.at_attacked_place(self.phi(p, t))
            upper = 0.0 if u in tracked else phi * prov.count
            yield f"unit_station[{u},{p},{t}]", -math.inf, upper, prov.source

    def _rows_unit_split(self):
        if not self.spec.forces:
            return
        tracked = set(self.stations())
        for f, units in sorted(self.parts().items()):
            upper = -float(sum(1 for u in units if u.id in tracked))
            for t in range(1, self.T + 1):
                yield f"unit_split[{f},{t}]", -math.inf, upper, units[0].source

    def _rows_unit_launch(self):
        for f, t in sorted(self.launch_rows()):
            phi = rules.at_attacked_place(self.phi(self.forces[f].home, t))
            yield f"unit_launch[{f},{t}]", -math.inf, phi if t == 1 else 0.0, self.forces[f].source

    def _rows_policy_rok_forces_abroad(self):
        cap = self.abroad_cap()
        if cap is None or not self.spec.forces:
            return
        source = self.spec.policies.rok_support.forces_abroad.source
        keys: set[tuple[str, int]] = set()
        for force, theater, t in self.share_keys():  # type: ignore[attr-defined]
            if self.forces[force].nation == "ROK" and theater != rules.KOREA:
                keys.add((force, t))
        stations = self.stations()
        for f, units in self.parts().items():
            if self.forces[f].nation != "ROK":
                continue
            for u in units:
                if u.id in stations:
                    if any(self.outside(p) for p in stations[u.id]):
                        keys |= {(f, t) for t in range(1, self.T + 1)}
                    continue
                for uu, _task, p, _th, t in self.allocation_keys():  # type: ignore[attr-defined]
                    if uu == u.id and self.outside(p):
                        keys.add((f, t))
        for f, t in sorted(keys):
            yield f"policy_rok_forces_abroad[{f},{t}]", -math.inf, cap, source

    def _rows_policy_korean_territory(self):
        if not self.territory_closed():
            return
        providers = sorted(
            {u for u, _task, p, th, _t in self.allocation_keys() if self.on_territory(u, p, th)}  # type: ignore[attr-defined]
        )
        for u in providers:
            yield f"policy_korean_territory[{u}]", -math.inf, 0.0, None

    # --- column terms --------------------------------------------------------------------------

    def allocation_unit_terms(self, u: str, task: str, place: str, theater: str, t: int, kappa):
        """Terms the unit families add to allocation column (u, task, place, theater, t)."""
        terms = []
        if (u, place, t) in self._station_set():
            terms.append((f"unit_station[{u},{place},{t}]", 1.0))
        prov = self.providers[u]
        tracked = u in self.stations()
        if prov.part_of is not None and prov.count > 0 and self.spec.forces:
            if not tracked or place == prov.home:
                terms.append((f"unit_split[{prov.part_of},{t}]", 1.0 / prov.count))
            if (
                not tracked
                and self.abroad_cap() is not None
                and self.forces[prov.part_of].nation == "ROK"
                and self.outside(place)
            ):
                terms.append((f"policy_rok_forces_abroad[{prov.part_of},{t}]", 1.0 / prov.count))
        if self.territory_closed() and self.on_territory(u, place, theater):
            terms.append((f"policy_korean_territory[{u}]", kappa))
        return terms

    def _station_set(self) -> set[tuple[str, str, int]]:
        if not hasattr(self, "_station_keys"):
            self._station_keys = self.station_rows()
        return self._station_keys

    def unit_columns(self, cols) -> None:
        """The position and move columns (values are not reported: sign condition only)."""
        by_id = self.providers
        cap = self.abroad_cap()
        for u, places in self.stations().items():
            prov = by_id[u]
            for p in places:
                for t in range(1, self.T + 1):
                    terms = [(f"unit_position[{u},{p},{t}]", 1.0)]
                    if t < self.T:
                        terms.append((f"unit_position[{u},{p},{t + 1}]", -1.0))
                    if (u, p, t) in self._station_set():
                        phi = rules.at_attacked_place(self.phi(p, t))
                        terms.append((f"unit_station[{u},{p},{t}]", -phi))
                    if prov.part_of is not None and self.spec.forces:
                        if p == prov.home:
                            terms.append((f"unit_split[{prov.part_of},{t}]", -1.0 / prov.count))
                        rok = self.forces[prov.part_of].nation == "ROK"
                        if cap is not None and rok and self.outside(p):
                            row = f"policy_rok_forces_abroad[{prov.part_of},{t}]"
                            terms.append((row, 1.0 / prov.count))
                    cols.add(f"unit_at[{u},{p},{t}]", 0.0, math.nan, math.inf, terms)
        for u, a, b, t, lag in self.unit_moves():
            terms = [
                (f"unit_position[{u},{a},{t}]", 1.0),
                (f"unit_position[{u},{b},{t + lag}]", -1.0),
            ]
            cols.add(f"unit_move[{u},{a},{b},{t}]", 0.0, math.nan, math.inf, terms)

    def share_unit_terms(self, force: str, theater: str, t: int):
        """Terms the unit families add to share column (force, theater, t)."""
        if (
            theater != rules.KOREA
            and self.forces[force].nation == "ROK"
            and self.abroad_cap() is not None
        ):
            return [(f"policy_rok_forces_abroad[{force},{t}]", 1.0)]
        return []

    def home_unit_terms(self, force: str, t: int):
        """Terms the unit families add to the home-share column (force, t)."""
        terms = []
        if force in self.parts():
            terms.append((f"unit_split[{force},{t}]", -1.0))
        if (force, t + 1) in self.launch_rows():
            phi = rules.at_attacked_place(self.phi(self.forces[force].home, t + 1))
            terms.append((f"unit_launch[{force},{t + 1}]", -phi))
        return terms

    def deploy_unit_terms(self, force: str, t: int):
        """Terms the unit families add to a deploy column leaving home in t."""
        if (force, t) in self.launch_rows():
            return [(f"unit_launch[{force},{t}]", 1.0)]
        return []


_ = family  # the registry names these families (rsoi.model.families, section UNITS)
