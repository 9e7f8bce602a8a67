r"""The cargo ledger: every ton moves as (commodity, class) from its source to the demand it meets.

A class $c$ (``rsoi.model.rules.CargoClass``) says who owns a ton and whether it has passed a
Korean place: ``us_clean``, ``us_via_korea``, ``rok``. The rheostat, the national-resources
rule, the 2006 link and the export law decide which classes may meet each demand line
(``rules.accepted_classes``); routes never do. The classes a commodity is tracked in are
cut by what its demand lines accept under *every* scenario's rules (``rules.possible_accepted``:
any rheostat level, China's action, export law), so a model's columns carry the same names in
every scenario (``hedge`` ties first-stage flows by name). A commodity whose lines would
accept every class it can be in under all of them keeps one class ``any`` (one column per
flow, rows ``flow_balance``); the others get one column per class group and rows
``cargo_ledger`` (``rules.ledger_classes``).

The plan below is plain index data; ``define_cargo_ledger`` adds the class-indexed balance
rows, ``rsoi.lp.build.network`` creates the class-indexed columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rsoi.lp.build.context import Context, categorical
from rsoi.lp.prepare import Prepared
from rsoi.model import rules
from rsoi.model.families import family


@dataclass
class CargoPlan:
    """Streams (commodity, class) and where each may be; built once per LP."""

    stream_comm: np.ndarray  # commodity position per stream
    stream_class: list[str]  # class label per stream
    ledgered: np.ndarray  # bool per stream: class-indexed (cargo_ledger rows)
    korean: np.ndarray  # bool per place position: a Korean place
    may_be: np.ndarray  # (places, streams) bool: the stream may be held at / leave the place
    arrive: np.ndarray  # (streams, 2): stream after arriving at a non-Korean (0) / Korean (1) place
    demand_streams: list[list[int]]  # per prep.demands: the streams that may meet it
    stock_stream: list[int]  # per spec.stocks
    production_stream: list[int]  # per spec.production
    class_names: list[str]  # categories of the cargo_class index column


def demand_theater(prep: Prepared, demand) -> str:
    """The theater a demand line serves (its own, else its place's)."""
    return demand.theater or prep.place_by_id[demand.place].theater


def accepted_for(prep: Prepared, demand) -> frozenset:
    """The classes that may meet one demand line under the scenario's policies."""
    spec = prep.spec
    theater = demand_theater(prep, demand)
    policy = spec.policies.rok_support
    return rules.accepted_classes(
        theater=theater,
        export_to=demand.export_to,
        arms=prep.commodity_by_id[demand.commodity].arms,
        korea_serves_others=prep.rok_level_allows(policy.national_resources_min_level),
        conflict=rules.theater_in_armed_conflict(theater, spec.events.china_action),
        arms_export_to_conflict=policy.arms_export_to_conflict,
    )


def plan_cargo(prep: Prepared, place_ids: list[str], commodity_ids: list[str]) -> CargoPlan:
    """Derive streams, the places each may be at, and the streams each demand accepts."""
    spec = prep.spec
    korean = np.array([prep.place_by_id[p].theater == rules.KOREA for p in place_ids], bool)
    comm_pos = {k: i for i, k in enumerate(commodity_ids)}

    def at_korea(place: str) -> bool:
        return prep.place_by_id[place].theater == rules.KOREA

    def owner(item) -> rules.Owner:
        return item.owner or rules.default_owner(at_korea(item.place))

    sources: dict[str, list] = {k: [] for k in commodity_ids}
    for item in [*spec.stocks, *spec.production]:
        sources[item.commodity].append(rules.source_class(owner(item), at_korea(item.place)))
    accepted = [accepted_for(prep, d) for d in prep.demands]
    by_comm: dict[str, list[frozenset]] = {k: [] for k in commodity_ids}
    for d in spec.demands:  # every line, every scenario's rules: stable class names
        theater = d.theater or prep.place_by_id[d.place].theater
        arms = prep.commodity_by_id[d.commodity].arms
        by_comm[d.commodity].extend(rules.possible_accepted(theater, d.export_to, arms))
    any_korean = bool(korean.any())
    stream_comm, stream_class = [], []
    stream_of: dict[tuple[int, str], int] = {}  # (commodity, single class) -> its group's stream
    for k in commodity_ids:
        for label in rules.ledger_classes(sources[k], any_korean, by_comm[k]):
            for c in rules.classes_of(label):
                stream_of[(comm_pos[k], c.value)] = len(stream_comm)
            stream_comm.append(comm_pos[k])
            stream_class.append(label)
    S = len(stream_comm)
    members = [rules.classes_of(label) for label in stream_class]
    may_be = np.array(
        [[any(rules.class_may_be_at(c, kor) for c in m) for m in members] for kor in korean], bool
    ).reshape(len(place_ids), S)
    arrive = np.array(
        [
            [stream_of.get((k, rules.class_on_arrival(min(m), kor)), s) for kor in (False, True)]
            for s, (k, m) in enumerate(zip(stream_comm, members, strict=True))
        ],
        np.int64,
    ).reshape(S, 2)

    def stream(commodity: str, cls: str) -> int:
        return stream_of[(comm_pos[commodity], cls)]

    place_pos = {p: i for i, p in enumerate(place_ids)}
    demand_streams = []
    for d, a in zip(prep.demands, accepted, strict=True):
        k, here = comm_pos[d.commodity], place_pos[d.place]
        demand_streams.append(
            [
                s
                for s in range(S)
                if stream_comm[s] == k
                and (stream_class[s] == rules.ANY_CLASS or members[s] <= a)
                and may_be[here, s]
            ]
        )
    return CargoPlan(
        stream_comm=np.array(stream_comm, np.int64),
        stream_class=stream_class,
        ledgered=np.array([c != rules.ANY_CLASS for c in stream_class], bool),
        korean=korean,
        may_be=may_be,
        arrive=arrive,
        demand_streams=demand_streams,
        stock_stream=[
            stream(s.commodity, rules.source_class(owner(s), at_korea(s.place)).value)
            for s in spec.stocks
        ],
        production_stream=[
            stream(g.commodity, rules.source_class(owner(g), at_korea(g.place)).value)
            for g in spec.production
        ],
        class_names=sorted(set(stream_class)),
    )


def _balance_terms(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, coefficient) of every balance term and the right-hand sides; row =
    inventory cell * T + t - 1 (built once, shared by flow_balance and cargo_ledger)."""
    if ctx.balance is not None:
        return ctx.balance
    plan, T = ctx.cargo, ctx.T
    n = len(ctx.cell_place) * T
    inv_pos = np.arange(n)
    parts_r, parts_c, parts_v = [inv_pos], [ctx.inventory.ids], [np.ones(n)]
    carry = inv_pos[(inv_pos % T) < T - 1]  # s_{t} enters row t+1 with -1
    parts_r.append(carry + 1)
    parts_c.append(ctx.inventory.ids[carry])
    parts_v.append(-np.ones(len(carry)))
    if ctx.flow.size:
        origin, dest = ctx.r_origin[ctx.f_route], ctx.r_dest[ctx.f_route]
        parts_r.append(ctx.cell_id[origin, ctx.f_stream] * T + ctx.f_t - 1)
        parts_c.append(ctx.flow.ids)
        parts_v.append(np.ones(ctx.flow.size))
        arriving = plan.arrive[ctx.f_stream, plan.korean[dest].astype(np.int64)]
        parts_r.append(ctx.cell_id[dest, arriving] * T + ctx.f_arrive - 1)
        parts_c.append(ctx.flow.ids)
        parts_v.append(-np.ones(ctx.flow.size))
    for block, streams, sign in (
        (ctx.production, ctx.prod_stream, -1.0),
        (ctx.delivery, ctx.deliv_stream, 1.0),
    ):
        if block.size:
            idx = block.index
            p = idx["place"].map(ctx.place_pos).to_numpy(np.int64)
            t = idx["period"].to_numpy(np.int64)
            parts_r.append(ctx.cell_id[p, streams] * T + t - 1)
            parts_c.append(block.ids)
            parts_v.append(np.full(block.size, sign))
    rhs = np.zeros(n)
    for stock, stream in zip(ctx.spec.stocks, plan.stock_stream, strict=True):
        rhs[ctx.cell_id[ctx.place_pos[stock.place], stream] * T] += stock.quantity
    out = (np.concatenate(parts_r), np.concatenate(parts_c), np.concatenate(parts_v), rhs)
    ctx.balance = out
    return out


def add_balance(ctx: Context, name: str, doc: str, *, ledgered: bool) -> None:
    """Add the balance rows of the unledgered (``flow_balance``) or ledgered (``cargo_ledger``)
    inventory cells."""
    plan, T = ctx.cargo, ctx.T
    rows, cols, vals, rhs = _balance_terms(ctx)
    mine = plan.ledgered[ctx.cell_stream] == ledgered
    local = np.full(len(mine), -1, np.int64)
    local[mine] = np.arange(int(mine.sum()))
    cells = np.flatnonzero(mine)
    row_cell = rows // T
    keep = mine[row_cell]
    local_rows = local[row_cell[keep]] * T + rows[keep] % T
    cell = np.repeat(cells, T)
    periods = np.tile(np.arange(1, T + 1), len(cells))
    columns = {
        "place": categorical(ctx.cell_place[cell], ctx.place_ids),
        "commodity": categorical(plan.stream_comm[ctx.cell_stream[cell]], ctx.commodity_ids),
    }
    if ledgered:
        names = plan.class_names
        code = np.array([names.index(c) for c in plan.stream_class], np.int64)
        columns["cargo_class"] = categorical(code[ctx.cell_stream[cell]], names)
    columns["period"] = periods
    index = pd.DataFrame(columns)
    sel = (cell * T + periods - 1) if len(cell) else np.zeros(0, np.int64)
    if not ledgered or len(cells):
        ctx.lp.add_constraints(
            name,
            index,
            local_rows,
            cols[keep],
            vals[keep],
            lower=rhs[sel],
            upper=rhs[sel],
            source=family(name).source,  # fixed citation: rsoi.model.families
            entity="place",
            doc=doc,
        )


def define_cargo_ledger(ctx: Context) -> None:
    r"""Flow conservation per cargo class (family ``cargo_ledger[place,commodity,cargo_class,period]``).

    For each commodity $k$ that some demand line may tell apart by class (under some scenario's
    rules), each class group $c$ that may be at $p$ (``us_clean`` never is at a Korean place):

    $$ s_{pkct} = s_{pkc,t-1} + g_{pkct} + \sum_{r: d_r = p} \sum_{c': \kappa(c', p) = c}
       x_{rkc',t-\ell_r} - \sum_{r: o_r = p} x_{rkct} - \sum_{d \in D_{pk}} y_{dct} $$

    $\kappa(c', p)$ is the class on arrival (``rules.class_on_arrival``): U.S. cargo that
    arrives at a Korean place becomes ``us_via_korea``. $s_{pkc0}$ is the C-day stock of the
    class its owner and place give (``rules.source_class``); production enters in its line's
    class. A demand line $d$ takes deliveries $y_{dct}$ only in the classes $C_d$ it accepts
    (``rules.accepted_classes``):

    - Korea's own lines accept every class;
    - export lines (``export_to``) accept ``rok`` only (003: "opportunities for South Korea to
      export"), so U.S. stocks on Guam never meet the Philippines line;
    - another theater's lines accept ``rok`` and ``us_via_korea`` only at or above
      ``national_resources_min_level`` (000: "providing munitions, ammunition, and
      military-grade fuel"; below it the 2006 statement: "it shall not be involved in a
      regional conflict in Northeast Asia against the will of the Korean people"), by any path,
      through Japan or the Philippines too;
    - Korean-owned arms (``commodities[].arms``) meet a theater in armed conflict (China's
      action at ``blockade`` or above) only with ``arms_export_to_conflict`` (003: "legal
      restrictions that prevent the export of arms to conflict zones").

    **The 500,000 loan shells.** The 155mm shells at Camp Carroll are U.S.-held loan stock
    (``owner: us``). 003: South Korea "has been unable to directly provide arms to Ukraine
    owing to legal restrictions that prevent the export of arms to conflict zones. Despite
    this, South Korea has landed on an approach that has seen it lend up to 500,000 155mm
    artillery shells to the United States". Lent to the United States, they are U.S.-owned,
    so Korea's export law does not govern where they go. Stored in Korea, they are
    ``us_via_korea``, so the national-resources rule and the 2006 link do: they serve Taiwan
    only at or above ``national_resources_min_level``, and at level ``none`` they serve Korea
    only.
    """
    add_balance(ctx, "cargo_ledger", define_cargo_ledger.__doc__ or "", ledgered=True)
