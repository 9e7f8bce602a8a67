"""The cargo ledger tables: flows by class (cargo_flows.csv) and deliveries by class and source
(cargo_ledger.csv).

The LP tells tons of one class apart only by class, not by source, so a delivery's source is
attributed by proportional mixing: the tons in an inventory cell (place, commodity, class,
period) are a mix of its inflows (C-day stock, production, arrivals, the previous period's
stock) in proportion to their size, and every outflow carries that mix. This is a reporting
choice (any other split is an equally valid plan); classes, not sources, carry the rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from rsoi.lp.build import Context
from rsoi.lp.program import LinearProgram
from rsoi.model import rules

ZERO = 1e-9

FLOW_COLUMNS = [
    "route", "origin", "destination", "commodity", "cargo_class", "period", "arrival_period",
    "quantity",
]  # fmt: skip
LEDGER_COLUMNS = [
    "commodity", "cargo_class", "owner", "source", "source_place", "demand", "theater", "place",
    "period", "quantity", "short_tons",
]  # fmt: skip


def _clean(v: np.ndarray) -> np.ndarray:
    return np.where(np.abs(v) < ZERO, 0.0, v) + 0.0


def cargo_flows(ctx: Context, x: np.ndarray) -> pd.DataFrame:
    """Non-zero flows by cargo class (class `any`: the commodity is not told apart by class)."""
    fx = _clean(x[ctx.flow.ids])
    nz = np.flatnonzero(fx > 0)
    routes, plan = ctx.prep.routes, ctx.cargo
    r = ctx.f_route[nz]
    return pd.DataFrame(
        {
            "route": [ctx.route_ids[i] for i in r],
            "origin": [routes[i].origin for i in r],
            "destination": [routes[i].destination for i in r],
            "commodity": [ctx.commodity_ids[k] for k in ctx.f_comm[nz]],
            "cargo_class": [plan.stream_class[s] for s in ctx.f_stream[nz]],
            "period": ctx.f_t[nz],
            "arrival_period": ctx.f_arrive[nz],
            "quantity": fx[nz],
        },
        columns=FLOW_COLUMNS,
    )


def _sources(ctx: Context) -> tuple[list[tuple[str, str, str]], list[int], list[int]]:
    """Source labels (label, place, owner) and the source of each stock and production line."""
    labels: dict[tuple[str, str, str], int] = {}

    def owner(item) -> str:
        korean = ctx.prep.place_by_id[item.place].theater == rules.KOREA
        return (item.owner or rules.default_owner(korean)).value

    def label(kind: str, item) -> int:
        key = (f"{kind}:{item.place}", item.place, owner(item))
        return labels.setdefault(key, len(labels))

    stock_src = [label("stock", s) for s in ctx.spec.stocks]
    prod_src = [label("production", g) for g in ctx.spec.production]
    return list(labels), stock_src, prod_src


def cargo_ledger(lp: LinearProgram, ctx: Context, x: np.ndarray) -> pd.DataFrame:
    """Deliveries by commodity, class and source (proportional mixing, module docstring)."""
    T, plan = ctx.T, ctx.cargo
    n = len(ctx.cell_place) * T
    labels, stock_src, prod_src = _sources(ctx)
    S = max(len(labels), 1)
    # supply B[node, source] and edges (from node, to node, amount)
    b_rows, b_cols, b_vals = [], [], []
    for stock, cell_stream, src in zip(ctx.spec.stocks, plan.stock_stream, stock_src, strict=True):
        cell = ctx.cell_id[ctx.place_pos[stock.place], cell_stream]
        b_rows.append(cell * T)
        b_cols.append(src)
        b_vals.append(stock.quantity)
    g = ctx.production
    if g.size:
        gx = x[g.ids]
        line = g.index["line"].to_numpy(np.int64)
        p = g.index["place"].map(ctx.place_pos).to_numpy(np.int64)
        t = g.index["period"].to_numpy(np.int64)
        b_rows.extend(ctx.cell_id[p, ctx.prod_stream] * T + t - 1)
        b_cols.extend(np.array(prod_src, np.int64)[line] if prod_src else [])
        b_vals.extend(gx)
    B = sp.csr_matrix(
        (np.asarray(b_vals, float), (np.asarray(b_rows, np.int64), np.asarray(b_cols, np.int64))),
        shape=(n, S),
    )
    e_from, e_to, e_val = [], [], []
    inv = x[ctx.inventory.ids]
    pos = np.arange(n)
    carry = pos[(pos % T) < T - 1]
    e_from.append(carry)
    e_to.append(carry + 1)
    e_val.append(inv[carry])
    if ctx.flow.size:
        origin, dest = ctx.r_origin[ctx.f_route], ctx.r_dest[ctx.f_route]
        arriving = plan.arrive[ctx.f_stream, plan.korean[dest].astype(np.int64)]
        e_from.append(ctx.cell_id[origin, ctx.f_stream] * T + ctx.f_t - 1)
        e_to.append(ctx.cell_id[dest, arriving] * T + ctx.f_arrive - 1)
        e_val.append(x[ctx.flow.ids])
    e_from_a, e_to_a = np.concatenate(e_from), np.concatenate(e_to)
    e_val_a = np.maximum(np.concatenate(e_val), 0.0)
    inflow = np.asarray(B.sum(axis=1)).ravel() + np.bincount(e_to_a, e_val_a, minlength=n)
    # F_n C_n - sum_m f_mn C_m = B_n  (C_n: the source mix of node n, rows summing to 1)
    live = inflow > ZERO
    diag = np.where(live, inflow, 1.0)
    keep = live[e_to_a] & (e_val_a > ZERO)
    M = sp.csc_matrix(
        (
            np.concatenate([diag, -e_val_a[keep]]),
            (np.concatenate([pos, e_to_a[keep]]), np.concatenate([pos, e_from_a[keep]])),
        ),
        shape=(n, n),
    )
    mix = spla.splu(M).solve(B.toarray()) if n else np.zeros((0, S))
    # deliveries by source
    d = ctx.delivery
    if not d.size:
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    dx = _clean(x[d.ids])
    nz = np.flatnonzero(dx > 0)
    idx = d.index.iloc[nz]
    p = idx["place"].map(ctx.place_pos).to_numpy(np.int64)
    t = idx["period"].to_numpy(np.int64)
    node = ctx.cell_id[p, ctx.deliv_stream[nz]] * T + t - 1
    share = mix[node] * dx[nz, None]  # (deliveries, sources)
    i, j = np.nonzero(share > ZERO)
    theater = {
        dm.id: dm.theater or ctx.prep.place_by_id[dm.place].theater for dm in ctx.prep.demands
    }
    comm = idx["commodity"].astype(str).to_numpy()[i]
    qty = _clean(share[i, j])
    out = pd.DataFrame(
        {
            "commodity": comm,
            "cargo_class": [plan.stream_class[s] for s in ctx.deliv_stream[nz][i]],
            "owner": [labels[s][2] for s in j],
            "source": [labels[s][0] for s in j],
            "source_place": [labels[s][1] for s in j],
            "demand": idx["demand"].astype(str).to_numpy()[i],
            "theater": [theater[dm] for dm in idx["demand"].astype(str).to_numpy()[i]],
            "place": idx["place"].astype(str).to_numpy()[i],
            "period": t[i],
            "quantity": qty,
            "short_tons": _clean(qty * ctx.tons[[ctx.commodity_ids.index(k) for k in comm]]),
        },
        columns=LEDGER_COLUMNS,
    )
    return out[out["quantity"] > 0].reset_index(drop=True)
