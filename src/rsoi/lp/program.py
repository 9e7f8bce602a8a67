"""A small, vectorised LP container: named variable and constraint blocks over index tables.

Each block keeps its index as a pandas DataFrame (one row per variable / constraint), so a
row of the matrix always maps back to a family name and the ids of the YAML entities it is
about. The constraint name scheme is fixed: ``family[key1,key2,...]`` with the index
columns in order, e.g. ``route_capacity[busan-kaohsiung,7]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

INF = np.inf


@dataclass
class VarBlock:
    """Variables of one family."""

    name: str
    index: pd.DataFrame
    start: int
    lower: np.ndarray
    upper: np.ndarray
    integer: bool
    doc: str

    @property
    def size(self) -> int:
        return len(self.index)

    @cached_property
    def ids(self) -> np.ndarray:
        """Global column ids of this block (computed once; blocks never change size)."""
        return np.arange(self.start, self.start + self.size)


@dataclass
class ConBlock:
    """Constraints of one family; rows lower <= A x <= upper."""

    name: str
    index: pd.DataFrame
    start: int
    lower: np.ndarray
    upper: np.ndarray
    source: np.ndarray  # citation per row
    doc: str
    entity: str  # which index column names the YAML entity

    @property
    def size(self) -> int:
        return len(self.index)


@dataclass
class LinearProgram:
    """Variables, constraints, and an objective made of named parts."""

    variables: dict[str, VarBlock] = field(default_factory=dict)
    constraints: dict[str, ConBlock] = field(default_factory=dict)
    objective_parts: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _n_cols: int = 0
    _n_rows: int = 0
    _coo: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def n_cols(self) -> int:
        return self._n_cols

    @property
    def n_rows(self) -> int:
        return self._n_rows

    @property
    def nnz(self) -> int:
        return int(sum(len(v) for _, _, v in self._coo))

    def add_variables(
        self,
        name: str,
        index: pd.DataFrame,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = INF,
        integer: bool = False,
        doc: str = "",
    ) -> VarBlock:
        """Add one variable per index row; returns the block (use `.ids` for columns)."""
        if name in self.variables:
            raise ValueError(f"variable family {name} defined twice")
        n = len(index)
        block = VarBlock(
            name=name,
            index=index.reset_index(drop=True),
            start=self._n_cols,
            lower=np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy(),
            upper=np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy(),
            integer=integer,
            doc=doc,
        )
        self.variables[name] = block
        self._n_cols += n
        return block

    def add_constraints(
        self,
        name: str,
        index: pd.DataFrame,
        rows: np.ndarray,
        cols: np.ndarray,
        coefs: np.ndarray,
        lower: float | np.ndarray = -INF,
        upper: float | np.ndarray = INF,
        source: str | np.ndarray = "",
        entity: str = "",
        doc: str = "",
    ) -> ConBlock:
        """Add rows ``lower <= sum(coefs * x[cols]) <= upper``; `rows` are local (0..len(index)-1)."""
        if name in self.constraints:
            raise ValueError(f"constraint family {name} defined twice")
        n = len(index)
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) and (rows.min() < 0 or rows.max() >= n):
            raise ValueError(f"{name}: local row id out of range")
        block = ConBlock(
            name=name,
            index=index.reset_index(drop=True),
            start=self._n_rows,
            lower=np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy(),
            upper=np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy(),
            source=np.broadcast_to(np.asarray(source, dtype=object), (n,)).copy(),
            doc=doc,
            entity=entity or (index.columns[0] if len(index.columns) else ""),
        )
        self.constraints[name] = block
        keep = np.asarray(coefs, dtype=float) != 0
        self._coo.append(
            (
                rows[keep] + self._n_rows,
                np.asarray(cols, dtype=np.int64)[keep],
                np.asarray(coefs, dtype=float)[keep],
            )
        )
        self._n_rows += n
        return block

    def add_objective(self, part: str, cols: np.ndarray, coefs: np.ndarray | float) -> None:
        """Add ``sum(coefs * x[cols])`` to objective part `part` (minimised)."""
        cols = np.asarray(cols, dtype=np.int64)
        coefs = np.broadcast_to(np.asarray(coefs, dtype=float), cols.shape)
        if part in self.objective_parts:
            c0, v0 = self.objective_parts[part]
            cols, coefs = np.concatenate([c0, cols]), np.concatenate([v0, coefs])
        self.objective_parts[part] = (cols, np.asarray(coefs, dtype=float))

    # --- assembled arrays ------------------------------------------------------------

    def cost(self, parts: list[str] | None = None) -> np.ndarray:
        """Objective vector over all columns (optionally only some parts)."""
        c = np.zeros(self._n_cols)
        for part, (cols, coefs) in self.objective_parts.items():
            if parts is None or part in parts:
                np.add.at(c, cols, coefs)
        return c

    def matrix_csc(self) -> sp.csc_matrix:
        if self._coo:
            rows = np.concatenate([r for r, _, _ in self._coo])
            cols = np.concatenate([c for _, c, _ in self._coo])
            vals = np.concatenate([v for _, _, v in self._coo])
        else:
            rows = cols = np.zeros(0, dtype=np.int64)
            vals = np.zeros(0)
        A = sp.csc_matrix((vals, (rows, cols)), shape=(self._n_rows, self._n_cols))
        A.sum_duplicates()
        return A

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.variables:
            return np.zeros(0), np.zeros(0)
        return (
            np.concatenate([b.lower for b in self.variables.values()]),
            np.concatenate([b.upper for b in self.variables.values()]),
        )

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.constraints:
            return np.zeros(0), np.zeros(0)
        return (
            np.concatenate([b.lower for b in self.constraints.values()]),
            np.concatenate([b.upper for b in self.constraints.values()]),
        )

    def integrality(self) -> np.ndarray:
        return (
            np.concatenate(
                [
                    np.full(b.size, 1 if b.integer else 0, dtype=np.int32)
                    for b in self.variables.values()
                ]
            )
            if self.variables
            else np.zeros(0, dtype=np.int32)
        )

    # --- names -------------------------------------------------------------------------

    def row_names(self, block: ConBlock) -> list[str]:
        """Names ``family[k1,k2,...]`` for a block's rows."""
        return _names(block.name, block.index)

    def col_names(self, block: VarBlock) -> list[str]:
        return _names(block.name, block.index)

    def row_block(self, row: int) -> tuple[ConBlock, int]:
        """Block and local position of global row `row`."""
        for block in self.constraints.values():
            if block.start <= row < block.start + block.size:
                return block, row - block.start
        raise IndexError(row)


def _names(family: str, index: pd.DataFrame) -> list[str]:
    """Vectorised ``family[k1,k2,...]`` (column-wise string concatenation, no per-row joins)."""
    if index.empty:
        return []
    if len(index.columns) == 0:
        return [family] * len(index)
    keys = index.iloc[:, 0].astype(str).to_numpy(dtype=object)
    for column in index.columns[1:]:
        keys = keys + "," + index[column].astype(str).to_numpy(dtype=object)
    return list(family + "[" + keys + "]")


def index_names(family: str, index: pd.DataFrame) -> list[str]:
    """Public ``family[k1,k2,...]`` names of the rows of `index` (the names rsoi prints)."""
    return _names(family, index)
