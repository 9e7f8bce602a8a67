"""Flows, route and place capacities, balances, production and deliveries."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rsoi.model.schema import (
    Mode,
)
from rsoi.results.check.base import _fmt, _tol
from rsoi.results.check.core import CheckerCore


class NetworkChecks(CheckerCore):
    """Flows, route and place capacities, balances, production and deliveries."""

    # --- flows and capacities ----------------------------------------------------------------

    def check_flows(self) -> pd.DataFrame:
        self.checked.append("flows: routes, lags, tons")
        f = self.sane(
            "flows",
            {"route": self.routes, "commodity": self.tons},
            ["quantity", "short_tons"],
        ).copy()
        dup = f.duplicated(["route", "commodity", "period"])
        for row in f[dup].itertuples():
            self.fail(
                "flows",
                f"flows.csv: duplicate row for flow[{row.route},{row.commodity},{row.period}]",
            )
        f = f[~dup]
        lag = f["route"].map(lambda r: self.routes[r].transit_periods).to_numpy(int)
        t = f["period"].to_numpy(int)
        f["tons"] = f["quantity"].to_numpy(float) * f["commodity"].map(self.tons).to_numpy(float)
        f["arrive"] = t + lag
        for row in f.itertuples():
            item = f"flow[{row.route},{row.commodity},{row.period}]"
            r = self.routes[row.route]
            if row.arrival_period != row.arrive:
                self.fail("flows", f"{item}: arrival period {row.arrival_period} != {row.arrive}")
            if row.arrive > self.T:
                self.fail("flows", f"{item}: arrives in {row.arrive}, after the horizon")
            self.equal("flows", item, row.short_tons, row.tons, "short_tons")
            for col, expected in (
                ("origin", r.origin),
                ("destination", r.destination),
                ("mode", r.mode.value),
                ("theater", r.theater),
            ):
                if col in f and str(getattr(row, col)) != expected:
                    self.fail("flows", f"{item}: {col} '{getattr(row, col)}' != '{expected}'")
        return f

    def check_route_capacity(self, f: pd.DataFrame) -> dict[tuple[str, int], float]:
        self.checked.append("route capacity per period (attacks, closed lanes)")
        load = f.groupby(["route", "period"])["tons"].sum()
        for (route, t), tons in load.items():
            cap = float(self.routes[route].capacity_t_per_period[t - 1])
            self.leq("route_capacity", f"route_capacity[{route},{t}]", tons, cap, "short tons")
        return {k: float(v) for k, v in load.items()}

    def place_loads(self, f: pd.DataFrame, mask: np.ndarray | None = None) -> pd.Series:
        """Tons handled per (place, period): arrivals at arrival period plus departures."""
        g = f if mask is None else f[mask]
        arr = pd.DataFrame(
            {"place": g["route"].map(lambda r: self.routes[r].destination), "period": g["arrive"]}
        )
        dep = pd.DataFrame(
            {"place": g["route"].map(lambda r: self.routes[r].origin), "period": g["period"]}
        )
        both = pd.concat([arr, dep], ignore_index=True)
        both["tons"] = np.concatenate([g["tons"].to_numpy(), g["tons"].to_numpy()])
        return both.groupby(["place", "period"])["tons"].sum()

    def check_places(self, f: pd.DataFrame) -> None:
        self.checked.append("place cargo throughput (attacks), airfield MOG")
        for (place, t), tons in self.place_loads(f).items():
            p = self.places[place]
            if p.cargo_t_per_day is not None:
                cap = p.cargo_t_per_day * self.days * self.phi(place, t)
                self.leq(
                    "place_throughput", f"place_throughput[{place},{t}]", tons, cap, "short tons"
                )
        air = self.spec.modes.get(Mode.air)
        if air is None or air.payload_t_per_sortie is None or f.empty:
            return
        is_air = f["route"].map(lambda r: self.routes[r].mode == Mode.air).to_numpy(bool)
        for (place, t), tons in self.place_loads(f, is_air).items():
            p = self.places[place]
            if p.mog is not None:
                sorties = tons / air.payload_t_per_sortie
                cap = p.mog * air.sorties_per_slot_per_day * self.days * self.phi(place, t)
                self.leq("airfield_mog", f"airfield_mog[{place},{t}]", sorties, cap, "sorties")

    # --- inventory, production, deliveries --------------------------------------------------

    def check_balance(self, f: pd.DataFrame) -> dict[tuple[str, int], float]:
        self.checked.append("flow conservation with transit lags, storage, production windows")
        P = {p: i for i, p in enumerate(self.places)}
        K = {k: i for i, k in enumerate(self.tons)}
        T = self.T
        shape = (len(P), len(K), T + 1)
        inv, prod, arr, dep, out = (np.zeros(shape) for _ in range(5))
        for s in self.spec.stocks:
            inv[P[s.place], K[s.commodity], 0] += s.quantity

        def add(arr_: np.ndarray, places, comms, periods, values) -> None:
            np.add.at(
                arr_,
                (
                    np.asarray([P[p] for p in places], dtype=np.int64),
                    np.asarray([K[k] for k in comms], dtype=np.int64),
                    np.asarray(periods, dtype=np.int64),
                ),
                np.asarray(values, dtype=float),
            )

        i = self.sane("inventory", {"place": P, "commodity": K}, ["quantity"])
        for row in i[i.duplicated(["place", "commodity", "period"])].itertuples():
            self.fail(
                "inventory",
                f"inventory.csv: duplicate row {row.place},{row.commodity},{row.period}",
            )
        add(inv, i["place"], i["commodity"], i["period"], i["quantity"])
        g = self.check_production(K)
        add(prod, g["place"], g["commodity"], g["period"], g["quantity"])
        add(
            arr,
            f["route"].map(lambda r: self.routes[r].destination),
            f["commodity"],
            f["arrive"],
            f["quantity"],
        )
        add(
            dep,
            f["route"].map(lambda r: self.routes[r].origin),
            f["commodity"],
            f["period"],
            f["quantity"],
        )
        d = self.deliveries = self.check_deliveries()
        add(out, d["place"], d["commodity"], d["period"], d["quantity"])
        now, before = inv[:, :, 1:], inv[:, :, :-1]
        gap = now - before - prod[:, :, 1:] - arr[:, :, 1:] + dep[:, :, 1:] + out[:, :, 1:]
        scale = now + before + prod[:, :, 1:] + arr[:, :, 1:] + dep[:, :, 1:] + out[:, :, 1:]
        names_p, names_k = list(P), list(K)
        for p, k, t in zip(*np.nonzero(np.abs(gap) > _tol(scale)), strict=True):
            self.fail(
                "flow_balance",
                f"flow_balance[{names_p[p]},{names_k[k]},{t + 1}]: inflow and outflow differ by "
                f"{_fmt(gap[p, k, t])} units",
            )
        # storage
        w = np.array([self.tons[k] for k in K])
        stored = np.einsum("pkt,k->pt", now, w)
        for place, pi in P.items():
            cap = self.places[place].storage_t
            if cap is None:
                continue
            for t in range(1, T + 1):
                self.leq(
                    "storage_capacity",
                    f"storage_capacity[{place},{t}]",
                    stored[pi, t - 1],
                    cap,
                    "short tons stored",
                )
        return {(p, t): float(stored[P[p], t - 1]) for p in P for t in range(1, T + 1)}

    def check_production(self, K: dict[str, int]) -> pd.DataFrame:
        g = self.sane("production", {"place": self.places, "commodity": K}, ["quantity", "line"])
        lines = self.spec.production
        keep = []
        for idx, row in zip(g.index, g.itertuples(), strict=True):
            item = f"production[{row.line},{row.period}]"
            j = int(row.line)
            if j != row.line or not 0 <= j < len(lines):
                self.fail("production", f"{item}: no production line {row.line}")
                continue
            line = lines[j]
            keep.append(idx)
            if (row.place, row.commodity) != (line.place, line.commodity):
                self.fail("production", f"{item}: place/commodity differ from the model")
            last = min(line.to_period or self.T, self.T)
            if not line.from_period <= row.period <= last:
                self.fail("production", f"{item}: outside the window {line.from_period}..{last}")
            self.leq("production", item, row.quantity, line.quantity_per_day * self.days, "output")
        for row in g[g.duplicated(["line", "period"])].itertuples():
            self.fail("production", f"production.csv: duplicate row {row.line},{row.period}")
        self.production = g.loc[keep]
        return self.production

    def check_deliveries(self) -> pd.DataFrame:
        demands = {d.id: d for d in self.prep.demands}
        d = self.sane("deliveries", {"demand": demands}, ["quantity"])
        for row in d[d.duplicated(["demand", "period"])].itertuples():
            self.fail("deliveries", f"deliveries.csv: duplicate row {row.demand},{row.period}")
        for row in d.itertuples():
            line = demands[row.demand]
            item = f"delivery[{row.demand},{row.period}]"
            if (row.place, row.commodity) != (line.place, line.commodity):
                self.fail("deliveries", f"{item}: place/commodity differ from the demand line")
            if row.period < line.ead:
                self.fail("deliveries", f"{item}: delivered before EAD {line.ead}")
            if row.periods_late != max(row.period - line.lad, 0):
                self.fail("deliveries", f"{item}: periods_late {row.periods_late} is wrong")
        return d
