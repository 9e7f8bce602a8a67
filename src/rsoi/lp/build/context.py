"""The build context: index lists shared by every constraint family, built once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rsoi.lp.prepare import Prepared
from rsoi.lp.program import LinearProgram, VarBlock

if TYPE_CHECKING:
    from rsoi.lp.build.cargo import CargoPlan

SOURCE_PAPER = "000_5467993c79f30f39.txt"


@dataclass
class Context:
    """Precomputed index lists shared by the families (built once, never scanned in rules)."""

    prep: Prepared
    lp: LinearProgram
    T: int
    days: float
    place_ids: list[str]
    place_pos: dict[str, int]
    commodity_ids: list[str]
    tons: np.ndarray  # short tons per unit, by commodity position
    route_ids: list[str]
    # flow arrays, one entry per flow variable
    f_route: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    f_comm: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    f_t: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    f_arrive: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    f_stream: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # cargo ledger: streams (commodity, class) and inventory cells (place, stream)
    cargo: CargoPlan | None = None
    cell_place: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cell_stream: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cell_id: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    prod_stream: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    deliv_stream: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    balance: tuple | None = None  # balance terms shared by flow_balance and cargo_ledger
    flow: VarBlock | None = None
    inventory: VarBlock | None = None
    production: VarBlock | None = None
    delivery: VarBlock | None = None
    alloc: VarBlock | None = None
    share: VarBlock | None = None
    home: VarBlock | None = None
    deploy: VarBlock | None = None
    swing: VarBlock | None = None
    unit_at: VarBlock | None = None  # support units at a station (providers with a speed)
    # route attributes by route position
    r_origin: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    r_dest: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    r_lag: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    r_mode: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    r_theater: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    alloc_cap: np.ndarray = field(default_factory=lambda: np.zeros(0))
    alloc_nation: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    slots: list[tuple[str, str, str]] = field(default_factory=list)  # (task, place, theater)

    @property
    def spec(self):
        return self.prep.spec

    def class_weight(self, priority: str) -> float:
        return self.prep.priority_weight[priority]


def categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=categories)
