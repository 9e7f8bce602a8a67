"""cargo_flows.csv and cargo_ledger.csv: owner, purpose and places passed, on the checker's code.

The class rules (``rsoi.model.rules``) are shared; everything else is derived here: each
source's owner and class, the demand lines' purposes and accepted classes (from the checker's
own active lines and rheostat level), which classes each commodity is tracked in, the class
balance per (place, commodity, class, period) from the CSVs, and the outcome itself: at a level
below ``national_resources_min_level`` no Korean-owned ton and no ton that passed a Korean place
meets a demand of another theater.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

import numpy as np
import pandas as pd

from rsoi.model import rules
from rsoi.results.check.base import _fmt, _tol
from rsoi.results.check.core import CheckerCore


class CargoRules:
    """The checker's derivation of the cargo classes of one model and scenario."""

    def __init__(self, checker: CheckerCore) -> None:
        spec = checker.spec
        self.korean = {p: place.theater == rules.KOREA for p, place in checker.places.items()}
        self.arms = {c.id: c.arms for c in spec.commodities}
        policy = spec.policies.rok_support
        self.korea_serves_others = checker.rok_allows(policy.national_resources_min_level)
        self.demands = {d.id: d for d in checker.prep.demands}
        self.theater = {
            d.id: d.theater or checker.places[d.place].theater for d in checker.prep.demands
        }
        self.accepted = {
            d.id: rules.accepted_classes(
                theater=self.theater[d.id],
                export_to=d.export_to,
                arms=self.arms[d.commodity],
                korea_serves_others=self.korea_serves_others,
                conflict=rules.theater_in_armed_conflict(
                    self.theater[d.id], spec.events.china_action
                ),
                arms_export_to_conflict=policy.arms_export_to_conflict,
            )
            for d in checker.prep.demands
        }
        present: dict[str, list] = defaultdict(list)
        for item in [*spec.stocks, *spec.production]:
            present[item.commodity].append(self.source_class(item))
        by_comm: dict[str, list] = defaultdict(list)
        for d in spec.demands:  # every line under every scenario's rules (stable class names)
            theater = d.theater or checker.places[d.place].theater
            by_comm[d.commodity].extend(
                rules.possible_accepted(theater, d.export_to, self.arms[d.commodity])
            )
        any_korean = any(self.korean.values())
        self.labels = {
            k: rules.ledger_classes(present[k], any_korean, by_comm[k]) for k in checker.tons
        }

    def owner(self, item) -> str:
        return (item.owner or rules.default_owner(self.korean[item.place])).value

    def source_class(self, item) -> rules.CargoClass:
        return rules.source_class(rules.Owner(self.owner(item)), self.korean[item.place])

    def label_of(self, commodity: str, cargo_class: str) -> str:
        """The tracked label that holds a class of a commodity."""
        for label in self.labels[commodity]:
            if rules.CargoClass(cargo_class) in rules.classes_of(label):
                return label
        raise KeyError((commodity, cargo_class))

    def may_be(self, label: str, place: str) -> bool:
        return any(rules.class_may_be_at(c, self.korean[place]) for c in rules.classes_of(label))

    def arrival(self, commodity: str, label: str, place: str) -> str:
        """Label of a ton of `label` once it arrives at `place`."""
        if label == rules.ANY_CLASS:
            return label
        some = sorted(rules.classes_of(label))[0]
        return self.label_of(commodity, rules.class_on_arrival(some, self.korean[place]))

    def balance_row(self, place: str, commodity: str, label: str, t: int) -> str:
        if label == rules.ANY_CLASS:
            return f"flow_balance[{place},{commodity},{t}]"
        return f"cargo_ledger[{place},{commodity},{label},{t}]"

    def delivery_labels(self, demand_id: str) -> list[str]:
        d = self.demands[demand_id]
        return [
            label
            for label in self.labels[d.commodity]
            if (label == rules.ANY_CLASS or rules.classes_of(label) <= self.accepted[demand_id])
            and self.may_be(label, d.place)
        ]


class CargoChecks(CheckerCore):
    """cargo_flows.csv and cargo_ledger.csv against the cargo rules (module docstring)."""

    class_inventory: dict[tuple[str, str, str], np.ndarray]
    """Stock at the end of each period by (place, commodity, class) (index t; 0 = C-day)."""

    @cached_property
    def cargo(self) -> CargoRules:
        return CargoRules(self)

    def check_cargo(self, flows: pd.DataFrame) -> None:
        """Class flows add up to flows.csv, every class balances, every delivery is allowed."""
        self.checked.append(
            "cargo ledger: class balance, owners, purposes, export law, national resources"
        )
        rules_ = self.cargo
        cf = self.sane("cargo_flows", {"route": self.routes, "commodity": self.tons}, ["quantity"])
        cl = self.sane(
            "cargo_ledger",
            {"commodity": self.tons, "demand": rules_.demands},
            ["quantity", "short_tons"],
        )
        self._cargo_labels(cf, cl)
        self._cargo_sums(flows, cf, cl)
        self._cargo_sources(cl)
        self._cargo_purpose(cl)
        self._cargo_balance(cf, cl)

    def _cargo_labels(self, cf: pd.DataFrame, cl: pd.DataFrame) -> None:
        labels = self.cargo.labels
        for name, frame in (("cargo_flows", cf), ("cargo_ledger", cl)):
            for row in frame.itertuples():
                if row.cargo_class not in labels[row.commodity]:
                    self.fail(
                        "cargo_ledger",
                        f"{name}.csv row {row.Index + 2}: class '{row.cargo_class}' is not one "
                        f"of {row.commodity}'s classes {list(labels[row.commodity])}",
                    )
        for row in cf.itertuples():
            r = self.routes[row.route]
            if (row.origin, row.destination) != (r.origin, r.destination):
                self.fail("cargo_ledger", f"cargo_flows.csv row {row.Index + 2}: wrong ends")
            if row.arrival_period != row.period + r.transit_periods:
                self.fail("cargo_ledger", f"cargo_flows.csv row {row.Index + 2}: wrong arrival")
            if row.cargo_class in labels[row.commodity] and not self.cargo.may_be(
                row.cargo_class, r.origin
            ):
                self.fail(
                    "cargo_ledger",
                    f"cargo_flows.csv row {row.Index + 2}: {row.cargo_class} cargo leaves "
                    f"{r.origin}, a Korean place (it would have passed Korea)",
                )

    def _cargo_sums(self, flows: pd.DataFrame, cf: pd.DataFrame, cl: pd.DataFrame) -> None:
        """Per (route, commodity, period) and per (demand, period) the classes add up."""
        a = flows.groupby(["route", "commodity", "period"])["quantity"].sum()
        b = cf.groupby(["route", "commodity", "period"])["quantity"].sum()
        for key in a.index.union(b.index):
            self.equal(
                "cargo_ledger", f"cargo_flows[{','.join(map(str, key))}]",
                float(b.get(key, 0.0)), float(a.get(key, 0.0)), "classes sum to",
            )  # fmt: skip
        d = self.deliveries.groupby(["demand", "period"])["quantity"].sum()
        e = cl.groupby(["demand", "period"])["quantity"].sum()
        for key in d.index.union(e.index):
            self.equal(
                "cargo_ledger", f"cargo_ledger[{','.join(map(str, key))}]",
                float(e.get(key, 0.0)), float(d.get(key, 0.0)), "sources and classes sum to",
            )  # fmt: skip

    def _source_table(self) -> dict[str, tuple[str, str, str, float]]:
        """Source label -> (place, owner, class, the most it can supply)."""
        out: dict[str, list] = {}
        spec = self.spec
        produced = self.production.groupby("line")["quantity"].sum()
        for kind, items in (("stock", spec.stocks), ("production", spec.production)):
            for j, item in enumerate(items):
                label = f"{kind}:{item.place}"
                amount = item.quantity if kind == "stock" else float(produced.get(j, 0.0))
                entry = out.setdefault(
                    (label, item.commodity, self.cargo.owner(item)),
                    [item.place, self.cargo.owner(item), self.cargo.source_class(item), 0.0],
                )
                entry[3] += amount
        return {k: tuple(v) for k, v in out.items()}

    def _cargo_sources(self, cl: pd.DataFrame) -> None:
        """Each delivery's source exists with that owner, fits its class, supplies enough."""
        table = self._source_table()
        used: dict[tuple, float] = defaultdict(float)
        for row in cl.itertuples():
            key = (row.source, row.commodity, row.owner)
            item = f"cargo_ledger.csv row {row.Index + 2}"
            if key not in table:
                self.fail(
                    "cargo_ledger",
                    f"{item}: no {row.owner}-owned {row.commodity} source '{row.source}'",
                )
                continue
            place, _owner, cls, _amount = table[key]
            used[key] += row.quantity
            if row.source_place != place:
                self.fail("cargo_ledger", f"{item}: source place '{row.source_place}' is wrong")
            labels = self.cargo.labels[row.commodity]
            if row.cargo_class in labels and row.cargo_class != rules.ANY_CLASS:
                # a ton keeps its source class or has since passed Korea, never less
                reach = {cls.value, rules.class_on_arrival(cls, True)}
                if not reach & {c.value for c in rules.classes_of(row.cargo_class)}:
                    self.fail(
                        "cargo_ledger",
                        f"{item}: a {cls.value} ton from {row.source} cannot be class "
                        f"{row.cargo_class}",
                    )
            self.equal(
                "cargo_ledger", item, row.short_tons, row.quantity * self.tons[row.commodity],
                "short_tons vs quantity x tons per unit",
            )  # fmt: skip
        for key, q in used.items():
            self.leq("cargo_ledger", f"source {key[0]} ({key[1]})", q, table[key][3], "delivered")

    def _cargo_purpose(self, cl: pd.DataFrame) -> None:
        """Every delivery's class is one its line accepts; the level-none outcome by owner."""
        c = self.cargo
        for row in cl.itertuples():
            item = f"cargo_ledger.csv row {row.Index + 2} ({row.demand}, period {row.period})"
            if row.theater != c.theater[row.demand]:
                self.fail("cargo_ledger", f"{item}: theater '{row.theater}' is wrong")
            label = row.cargo_class
            if label in c.labels[row.commodity] and label not in c.delivery_labels(row.demand):
                self.fail(
                    "cargo_ledger",
                    f"{item}: class {label} may not meet this line (it accepts "
                    f"{sorted(x.value for x in c.accepted[row.demand])})",
                )
            theater = c.theater[row.demand]
            korean_owned = row.owner == rules.Owner.rok.value
            if theater != rules.KOREA and not c.korea_serves_others:
                passed = label != rules.ANY_CLASS and (
                    rules.CargoClass.us_via_korea in rules.classes_of(label)
                    or rules.CargoClass.rok in rules.classes_of(label)
                )
                source_korean = c.korean.get(row.source_place, False)
                if korean_owned or passed or source_korean:
                    self.fail(
                        "cargo_ledger",
                        f"{item}: {_fmt(row.quantity)} {row.commodity} of a Korean owner or "
                        f"from a Korean place meet a {theater} demand below the level that "
                        "admits Korean national resources",
                    )
            demand = c.demands[row.demand]
            law = self.spec.policies.rok_support.arms_export_to_conflict
            at_war = theater != rules.KOREA and rules.theater_in_armed_conflict(
                theater, self.spec.events.china_action
            )
            if korean_owned and c.arms[row.commodity] and at_war and not law:
                self.fail(
                    "cargo_ledger",
                    f"{item}: Korean-owned arms ({row.commodity}) meet a {theater} demand in "
                    "armed conflict, which Korea's export law bars (003)",
                )
            if demand.export_to is not None and not korean_owned:
                self.fail(
                    "cargo_ledger",
                    f"{item}: export line to {demand.export_to} met by {row.owner}-owned cargo",
                )

    def _cargo_balance(self, cf: pd.DataFrame, cl: pd.DataFrame) -> None:
        """Per (place, commodity, class): stock + production + arrivals - departures -
        deliveries, cumulated, stays >= 0 and the classes add up to inventory.csv."""
        c, T = self.cargo, self.T
        delta: dict[tuple[str, str, str], np.ndarray] = defaultdict(lambda: np.zeros(T + 1))
        # the gross size of each period's terms: a sum of large terms carries the solver's
        # (relative) tolerance of each, not an absolute 1e-4
        gross: dict[tuple[str, str, str], np.ndarray] = defaultdict(lambda: np.zeros(T + 1))
        spec = self.spec
        for s in spec.stocks:
            label = c.label_of(s.commodity, c.source_class(s).value)
            delta[(s.place, s.commodity, label)][0] += s.quantity
        for row in self.production.itertuples():
            line = spec.production[int(row.line)]
            label = c.label_of(line.commodity, c.source_class(line).value)
            delta[(line.place, line.commodity, label)][int(row.period)] += row.quantity
        for row in cf.itertuples():
            if row.cargo_class not in c.labels[row.commodity]:
                continue
            r = self.routes[row.route]
            delta[(r.origin, row.commodity, row.cargo_class)][int(row.period)] -= row.quantity
            gross[(r.origin, row.commodity, row.cargo_class)][int(row.period)] += row.quantity
            there = c.arrival(row.commodity, row.cargo_class, r.destination)
            delta[(r.destination, row.commodity, there)][int(row.arrival_period)] += row.quantity
            gross[(r.destination, row.commodity, there)][int(row.arrival_period)] += row.quantity
        for row in cl.itertuples():
            if row.cargo_class not in c.labels[row.commodity]:
                continue
            place = c.demands[row.demand].place
            delta[(place, row.commodity, row.cargo_class)][int(row.period)] -= row.quantity
        inv = self.t["inventory"]
        reported = defaultdict(lambda: np.zeros(T + 1))
        for row in inv.itertuples():
            reported[(row.place, row.commodity)][int(row.period)] += float(row.quantity)
        total: dict[tuple[str, str], np.ndarray] = defaultdict(lambda: np.zeros(T + 1))
        magnitude: dict[tuple[str, str], np.ndarray] = defaultdict(lambda: np.zeros(T + 1))
        self.class_inventory = {}
        for (p, k, label), d in delta.items():
            held = np.cumsum(d)
            self.class_inventory[(p, k, label)] = held
            total[(p, k)] += held
            scale = np.cumsum(np.abs(d) + gross[(p, k, label)])
            magnitude[(p, k)] += scale
            for t in np.flatnonzero(held[1:] < -_tol(scale[1:])) + 1:
                self.fail(
                    "cargo_ledger",
                    f"cargo_ledger[{p},{k},{label},{t}]: {_fmt(-held[t])} more {label} units "
                    "leave than its sources and arrivals supply",
                )
            if not c.may_be(label, p) and np.abs(held[1:]).max() > _tol(scale.max()):
                self.fail("cargo_ledger", f"cargo_ledger[{p},{k},{label}]: held at {p}")
        for key in set(total) | set(reported):
            a, b = total.get(key, np.zeros(T + 1)), reported.get(key, np.zeros(T + 1))
            size = magnitude.get(key, np.zeros(T + 1))
            for t in range(1, T + 1):
                if abs(a[t] - b[t]) > _tol(a[t], b[t], size[t]):
                    self.fail(
                        "cargo_ledger",
                        f"cargo_ledger[{key[0]},{key[1]},{t}]: classes hold {_fmt(a[t])}, "
                        f"inventory.csv {_fmt(b[t])}",
                    )
                    break
