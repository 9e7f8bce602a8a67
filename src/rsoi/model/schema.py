"""Pydantic v2 schema of the rsoi model YAML.

Every field carries a docstring: they become the JSON Schema descriptions
(`python -m rsoi schema`) and the reference in docs/schema.md.  All models
forbid unknown keys, so a typo is an error with a did-you-mean, never a
silently ignored setting.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=80),
]
"""Lower-case identifier: letters, digits, '_' and '-'."""

NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Period = Annotated[int, Field(ge=1)]
Source = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Strict(BaseModel):
    """Base: unknown keys are errors and field docstrings become descriptions."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


# --- enumerations -----------------------------------------------------------------


class PlaceKind(StrEnum):
    seaport = "seaport"
    naval_base = "naval_base"
    airbase = "airbase"
    army_base = "army_base"
    depot = "depot"
    maintenance_facility = "maintenance_facility"
    staging_area = "staging_area"
    theater_destination = "theater_destination"
    sea_area = "sea_area"


class Mode(StrEnum):
    sea = "sea"
    air = "air"
    road = "road"
    rail = "rail"


class TaskKind(StrEnum):
    """The rear-area support tasks of 000_5467993c79f30f39.txt ("U.S. Expectations")."""

    port_access = "port_access"
    airfield_access = "airfield_access"
    base_security = "base_security"
    onward_transport = "onward_transport"
    maintenance = "maintenance"
    isr = "isr"
    air_maritime_protection = "air_maritime_protection"
    sea_lane_escort = "sea_lane_escort"


class SupportLevel(StrEnum):
    """South Korea's support "rheostat", lowest to highest (000: "a graduated and escalating
    response, a rheostat instead of an on-off switch").

    - `none`: no ROK task for the Taiwan theater, and (by default) no Korean-owned cargo and
      nothing stored in or passed through Korea for a Taiwan demand, by any path (cargo
      ledger; 2006 statement: "it shall not be involved in a regional conflict in Northeast
      Asia against the will of the Korean people");
    - `rear_area`: port and airfield access, base security, onward transport, maintenance
      (000: "Provide rear-area and logistical support to U.S. forces");
    - `rear_area_isr_escort`: adds ISR, air and maritime protection and sea-lane escort: the
      baseline U.S. expectation, "rear-area support, protection, and expanded reconnaissance"
      (000), with escort from "escort and protect ships transiting the Taiwan Strait";
    - `joint_operations`: ROK forces may also join Taiwan-theater operations (000: 22.5 percent
      "supported participation in joint military operations with the U.S.").

    Defending forces on Korean soil is Korea's defense at every level (000: "Seoul would be
    obligated under the bilateral defense treaty to respond against China").
    """

    none = "none"
    rear_area = "rear_area"
    rear_area_isr_escort = "rear_area_isr_escort"
    joint_operations = "joint_operations"


SUPPORT_LEVEL_ORDER = list(SupportLevel)


class ChinaAction(StrEnum):
    """China's action ladder (000_5467993c79f30f39.txt, "Seoul Considers Its Options");
    `none` = no China action (a Korean conflict alone)."""

    none = "none"
    gray_zone = "gray_zone"
    blockade = "blockade"
    missile_strikes = "missile_strikes"
    invasion = "invasion"
    invasion_with_base_attacks = "invasion_with_base_attacks"


LADDER_ORDER = list(ChinaAction)

RelativeTo = Literal["c_day", "korea_conflict", "china_action", "attack"]
"""What a line's periods are counted from (rsoi.model.rules.EventTimeline.window)."""

DEFAULT_LEVEL_BY_LADDER: dict[ChinaAction, SupportLevel] = {
    ChinaAction.none: SupportLevel.none,
    ChinaAction.gray_zone: SupportLevel.rear_area,
    ChinaAction.blockade: SupportLevel.rear_area_isr_escort,
    ChinaAction.missile_strikes: SupportLevel.rear_area_isr_escort,
    ChinaAction.invasion: SupportLevel.rear_area_isr_escort,
    ChinaAction.invasion_with_base_attacks: SupportLevel.rear_area_isr_escort,  # treaty: attacks
}
"""Rheostat level by rung (000: "a graduated and escalating response ... heavily dependent on
the scenarios"): no China action, no Taiwan support; gray zone, rear-area support only; a
blockade adds escort ("escort and protect ships transiting the Taiwan Strait"); missile strikes
and invasion get the baseline U.S. expectation ("rear-area support, protection, and expanded
reconnaissance"); attacks on U.S. bases in Korea bring the treaty ("Seoul would be obligated
under the bilateral defense treaty to respond against China"): joint operations."""


class KoreaTiming(StrEnum):
    """When a Korean conflict starts relative to the Taiwan contingency."""

    none = "none"
    simultaneous = "simultaneous"
    sequential = "sequential"


class ConstraintMode(StrEnum):
    hard = "hard"
    elastic = "elastic"


class Branch(StrEnum):
    air = "air"
    ground = "ground"
    naval = "naval"
    marine = "marine"


class Owner(StrEnum):
    """Who owns a stock or a production line's output (the cargo ledger, docs/model.md)."""

    rok = "rok"
    """South Korea: Korean war reserve and Korean industry's output."""
    us = "us"
    """The United States (or another non-Korean owner), including stock lent to it by Korea
    and stored in Korea (003: "lend up to 500,000 155mm artillery shells to the United
    States")."""


class Assignment(StrEnum):
    usfk = "usfk"
    follow_on = "follow_on"
    rok = "rok"


# --- network ----------------------------------------------------------------------


class Horizon(Strict):
    periods: Annotated[int, Field(ge=1, le=10_000)]
    """Number of planning periods, counted from C-day (period 1 starts on C-day)."""
    period_days: Positive = 1.0
    """Length of one period in days; every per-day rate and per-day penalty is multiplied by it."""
    c_day: str = "2030-01-01"
    """Notional calendar date of C-day (ISO 8601), used for period start dates in outputs."""
    source: Source = "notional"
    """Where the horizon choice comes from."""


class Theater(Strict):
    id: Id
    """Theater id, e.g. `korea` or `taiwan`."""
    name: str
    """Display name."""
    anchor: Id
    """Place id whose location stands for the theater when computing force arrival lags."""
    source: Source = "notional"
    """Citation."""


class Place(Strict):
    id: Id
    """Place id; its geometry is joined by id from the geodata file."""
    name: str | None = None
    """Display name (defaults to the geodata name)."""
    kind: PlaceKind | None = None
    """Place kind for display (defaults to the geodata kind); no constraint depends on it."""
    country: str | None = None
    """ISO 3166-1 alpha-2 country code (defaults to the geodata country)."""
    theater: Id | None = None
    """Theater the place lies in (routes into it count as that theater's flows); none for
    staging and rear bases outside both theaters (Japan, Guam, the Philippines): forces and
    flows count toward a theater only once they are in it."""
    region: Id | None = None
    """Region of a place outside every theater (e.g. `japan`, `guam`, `philippines`)."""
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)] | None = None
    """Longitude in WGS84 degrees; only for places missing from the geodata file."""
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)] | None = None
    """Latitude in WGS84 degrees; only for places missing from the geodata file."""
    cargo_t_per_day: NonNeg | None = None
    """Cargo handling capacity (short tons per day, arrivals plus departures); none = unlimited."""
    mog: NonNeg | None = None
    """Maximum aircraft on ground: aircraft working slots at once; none = not an airfield."""
    storage_t: NonNeg | None = None
    """Storage capacity in short tons (all commodities); none = unlimited. The C-day stocks at
    the place must fit in it (checked at validation)."""
    maintenance_capacity: NonNeg | None = None
    """Maintenance work this facility can absorb per day (maintenance task units); none = unlimited."""
    access_support_required: bool = False
    """If true, sea cargo here is capped by the port-access capacity and air cargo by the
    airfield-access capacity assigned to it (whatever its `kind`; a warning names a flagged
    place that no sea or air route touches)."""
    source: Source
    """Citation for the capacities."""

    @model_validator(mode="after")
    def _lon_lat_pair(self) -> Place:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both `lon` and `lat`, or neither (then geodata supplies them)")
        return self


class ModeSpec(Strict):
    speed_km_per_day: Positive
    """Average block speed used to derive transit time from distance."""
    cost_per_t_km: NonNeg = 0.0
    """Transport cost per short ton-kilometre (objective units)."""
    payload_t_per_sortie: Positive | None = None
    """Air only: average payload per sortie (short tons), used for the MOG limit."""
    sorties_per_slot_per_day: Positive = 2.0
    """Air only: aircraft turns one MOG slot supports per day."""
    circuity: Annotated[float, Field(ge=1, allow_inf_nan=False)] = 1.0
    """Factor on the geodesic distance when no path geometry is known (road/rail/sea)."""
    source: Source = "notional"
    """Citation."""


class Route(Strict):
    id: Id
    """Route id."""
    origin: Id
    """Origin place id."""
    destination: Id
    """Destination place id."""
    mode: Mode
    """Transport mode."""
    capacity_t_per_day: NonNeg
    """Lift capacity in short tons per day."""
    distance_km: NonNeg | None = None
    """Distance; derived from the geometry (geodesic, or sea-lane path for sea) when omitted."""
    transit_periods: Annotated[int, Field(ge=0)] | None = None
    """Transit lag in whole periods; derived from distance and mode speed when omitted."""
    onward: bool = False
    """If true, flow needs onward-transport capacity assigned (munitions and logistics flow task)."""
    lanes: list[Id] = []
    """Sea lanes (ids) the route passes; derived from the sea-lane graph for sea routes when omitted."""
    theater: Id | None = None
    """Theater served by the flow; defaults to the destination place's theater, and must be
    given when the destination lies outside every theater (e.g. a route into Japan or Guam)."""
    source: Source
    """Citation."""


class Lane(Strict):
    id: Id
    """Sea-lane / strait id (matches `strait` in geodata/sea_lanes.geojson)."""
    name: str
    """Display name."""
    contested: bool = False
    """If true, sea flow through the lane needs escort capacity (blockade)."""
    closed: bool = False
    """If true, no route through the lane may carry flow."""
    escort_place: Id
    """Place id (a sea_area) where escort capacity for this lane is allocated; lanes with the
    same escort place share that place's escort capacity (one constraint per place)."""
    source: Source = "notional"
    """Citation."""


# --- commodities and demand -------------------------------------------------------


class Commodity(Strict):
    id: Id
    """Commodity id."""
    name: str
    """Display name."""
    unit: str
    """Unit the quantities are counted in (e.g. rounds, short tons)."""
    short_tons_per_unit: Positive
    """Short tons per unit, for capacities and penalties."""
    arms: bool = False
    """A defense article under Korea's export law: Korean-owned units go to a party in an
    armed conflict only where `policies.rok_support.arms_export_to_conflict` allows it (003:
    "legal restrictions that prevent the export of arms to conflict zones")."""
    source: Source
    """Citation."""


class Stock(Strict):
    place: Id
    """Place id holding the stock at C-day."""
    commodity: Id
    """Commodity id."""
    quantity: NonNeg
    """Quantity on hand at C-day (commodity units)."""
    owner: Owner | None = None
    """Who owns the stock (default: `rok` at a place in the Korean theater, `us` elsewhere);
    the owner, not the place, decides whom it may serve (docs/model.md, cargo ledger)."""
    source: Source
    """Citation."""


class Production(Strict):
    place: Id
    """Place id where output enters the network."""
    commodity: Id
    """Commodity id."""
    quantity_per_day: NonNeg
    """Maximum output per day (commodity units)."""
    from_period: Period = 1
    """First producing period."""
    to_period: Period | None = None
    """Last producing period (default: horizon end)."""
    owner: Owner | None = None
    """Who owns the output (default: `rok` at a place in the Korean theater, `us` elsewhere)."""
    source: Source
    """Citation."""


class Demand(Strict):
    id: Id
    """Requirement line id (a TPFDD-like line)."""
    place: Id
    """Destination place id (POD or final destination)."""
    commodity: Id
    """Commodity id."""
    quantity: NonNeg
    """Quantity required (commodity units)."""
    ead: Period
    """Earliest arrival period (EAD)."""
    lad: Period
    """Latest arrival period (LAD); later delivery is penalised per day late (`lateness_weight`)."""
    relative_to: RelativeTo = "c_day"
    """Count EAD/LAD from C-day, the start of the Korean conflict, the first period China's
    action reaches `min_ladder`, or the first attack on `place` (line dropped if that event
    never happens; rsoi.model.rules.EventTimeline)."""
    min_ladder: ChinaAction = ChinaAction.none
    """The line applies in the periods when China's action is at or above this rung (`none`:
    always)."""
    theater: Id | None = None
    """Theater the line supports; defaults to its place's theater (give it for places outside
    every theater)."""
    export_to: Id | None = None
    """Buyer of a Korean export line (e.g. `philippines`): only Korean-owned cargo meets it
    (003: "opportunities for South Korea to export"). Give the line `theater: korea` (Korea's
    own commitment); a line of a theater in armed conflict is a sale to a party in it, which
    arms reach only with `policies.rok_support.arms_export_to_conflict`."""
    priority: Id
    """Priority class id."""
    source: Source
    """Citation."""

    @model_validator(mode="after")
    def _window(self) -> Demand:
        if self.lad < self.ead:
            raise ValueError(f"lad ({self.lad}) is before ead ({self.ead}); set lad >= ead")
        return self


# --- tasks, providers, forces -----------------------------------------------------


class Task(Strict):
    id: TaskKind
    """Task kind; its role in the LP is fixed (see docs/model.md)."""
    name: str
    """Display name."""
    unit: str
    """Unit of capability (e.g. 'short tons/day handled', 'security companies')."""
    min_rok_level: SupportLevel
    """Lowest ROK support level at which ROK providers may perform this task for the Taiwan theater."""
    penalty_weight: Positive = 1.0
    """Objective weight per task unit of unmet requirement per day (times the priority class
    weight; the LP multiplies by `period_days`)."""
    source: Source
    """Citation."""


class TradePath(Strict):
    origin: Id
    """Where the voyage starts: a place or waypoint id of the sea-lane graph."""
    destination: Id
    """Where it ends: a place or waypoint id of the sea-lane graph."""


class Requirement(Strict):
    id: Id
    """Requirement id."""
    task: TaskKind
    """Task kind: base_security, maintenance, isr or air_maritime_protection."""
    place: Id
    """Place id where the task is needed."""
    theater: Id
    """Theater the task supports."""
    amount: NonNeg
    """Capability needed on each day of the active periods (task units per day, the unit of the
    providers' `capability`)."""
    from_period: Period = 1
    """First period."""
    to_period: Period | None = None
    """Last period (default: horizon end)."""
    relative_to: RelativeTo = "c_day"
    """Count periods from C-day, the start of the Korean conflict, the first period China's
    action reaches `min_ladder`, or the first attack on `place` (`attack`: a duty that follows
    the attack, such as the treaty duty to defend an attacked base); dropped if that event never
    happens (rsoi.model.rules.EventTimeline)."""
    min_ladder: ChinaAction = ChinaAction.none
    """The requirement applies in the periods when China's action is at or above this rung
    (`none`: always)."""
    trade_path: TradePath | None = None
    """The voyage the escorted trade makes. `amount` is the escort needed with every strait
    open; when closed straits (`lanes[].closed`) lengthen the shortest sea path between its ends,
    the amount grows in proportion to the path's length (the same tons per day spend longer at
    sea, so more escort is at sea). Needs `sea_lanes`."""
    priority: Id
    """Priority class id."""
    source: Source
    """Citation."""


class Provider(Strict):
    id: Id
    """Provider id (a unit type of ROK or U.S. support forces)."""
    name: str
    """Display name."""
    nation: Literal["ROK", "US"]
    """Providing nation."""
    usfk: bool = False
    """True for units assigned to U.S. Forces Korea."""
    home: Id
    """Home place id."""
    count: NonNeg
    """Number of units available."""
    capability: dict[TaskKind, Positive]
    """Capability per unit per day for each task it can perform (task units)."""
    serves: list[str] = []
    """Place ids or country codes it may be allocated to (default: its home country)."""
    available_from: Period = 1
    """First available period."""
    available_to: Period | None = None
    """Last available period (default: horizon end)."""
    part_of: Id | None = None
    """Force id whose ships, aircraft or troops these units are (all `count` units together are
    the whole force): one asset, so the units' support work and the force's combat share come
    out of one whole (constraint `unit_split`, docs/model.md); the nation must match. Forces
    (combat power, troops, apportionment) and providers (task capabilities) stay two sections
    so that a force need not list tasks it has none of; `part_of` makes them one asset."""
    speed_km_per_day: Positive | None = None
    """Movement speed of the units. When set, the units have a position each period (home, a
    place they serve, or in transit) and move between places under the transit rule of forces
    (`unit_position`, docs/model.md); when unset they work from home at every place they serve."""
    source: Source
    """Citation."""


class Force(Strict):
    id: Id
    """Force id."""
    name: str
    """Display name."""
    nation: Literal["ROK", "US"]
    """Nation."""
    branch: Branch
    """Service branch (ground forces of USFK must stay under `usfk_ground_stays`)."""
    assignment: Assignment
    """usfk (in Korea at C-day), follow_on (dual-apportioned), or rok."""
    home: Id
    """Home place id; the arrival lag to each theater comes from the distance to its anchor."""
    theaters: list[Id]
    """Theaters the force is apportioned to."""
    troops: NonNeg = 0.0
    """Personnel strength (counts toward the U.S. troop floor when in Korea)."""
    combat_power: NonNeg
    """Notional combat-power index."""
    aircraft: NonNeg = 0.0
    """Aircraft count (for the USFK air-share bound)."""
    ready_period: Period = 1
    """First period the force can start moving."""
    speed_km_per_day: Positive = 800.0
    """Deployment speed of the whole unit with its support tail, used for the arrival lag and
    the swing lag between theaters."""
    arrival_lag_periods: dict[Id, Annotated[int, Field(ge=0)]] = {}
    """Override of the arrival lag (periods) per theater id; otherwise
    floor(geodesic_km(home, anchor) / (speed * period_days) + 0.5)."""
    swing_lag_periods: Annotated[int, Field(ge=0)] | None = None
    """Override of the periods a share spends in transit between two theaters; otherwise
    floor(geodesic_km(anchor_A, anchor_B) / (speed * period_days) + 0.5)."""
    source: Source
    """Citation."""


class CombatRequirement(Strict):
    theater: Id
    """Theater id."""
    amount_by_ladder: dict[ChinaAction, NonNeg] = {}
    """Combat power needed in each period, by China's action (a level, no time unit; missing
    rungs: 0)."""
    korea_conflict_amount: NonNeg = 0.0
    """Combat power needed in each period once a Korean conflict has started (a level)."""
    penalty_weight: Positive = 1.0
    """Objective weight per unit of combat power short per day (times the priority class weight;
    the LP multiplies by `period_days`)."""
    priority: Id
    """Priority class id."""
    source: Source
    """Citation."""


# --- policies ---------------------------------------------------------------------


class DeterrenceFloor(Strict):
    enabled: bool = True
    """Switch the constraint on or off."""
    mode: ConstraintMode = ConstraintMode.elastic
    """hard: must hold; elastic: shortfall penalised in the priority class."""
    combat_power: NonNeg
    """Combat power kept on the peninsula in every period."""
    opportunistic_combat_power: NonNeg
    """Floor when North Korea is opportunistic ("defending Korea first")."""
    north_korea_opportunistic: bool = False
    """Use the higher floor."""
    penalty_weight: Positive = 1.0
    """Elastic mode only: objective weight per unit of combat power short per day (times the
    class weight and `period_days`)."""
    priority: Id = "korea_defense"
    """Priority class of the elastic shortfall."""
    source: Source
    """Citation."""


class TroopFloor(Strict):
    enabled: bool = True
    """Switch the constraint on or off."""
    mode: ConstraintMode = ConstraintMode.hard
    """hard or elastic."""
    troops: NonNeg = 28_500
    """U.S. troops kept in Korea in every period."""
    penalty_per_troop: Positive = 0.01
    """Elastic mode only: objective weight per troop short per day (times the priority class
    weight and `period_days`)."""
    priority: Id = "korea_defense"
    """Priority class of the elastic shortfall."""
    usfk_air_counts_assigned: bool = False
    """Read the 28,500 level as assigned strength for USFK air forces: their troops count
    wherever the aircraft fly (000 "with the possible exception of some airplanes"); every other
    U.S. force counts by presence in Korea. False: every U.S. force counts by presence."""
    assigned_source: Source | None = None
    """Citation of the assigned-strength reading (required when `usfk_air_counts_assigned`)."""
    source: Source
    """Citation."""

    @model_validator(mode="after")
    def _assigned_cited(self) -> TroopFloor:
        if self.usfk_air_counts_assigned and self.assigned_source is None:
            raise ValueError(
                "usfk_air_counts_assigned needs `assigned_source:` (the passage it reads)"
            )
        return self


class ForcesAbroad(Strict):
    max_share_by_level: dict[SupportLevel, Fraction]
    """Largest share of each ROK force away from Korea in any period, by rheostat level (its
    combat share in other theaters plus its support units at places outside the Korean
    theater); levels not listed: 0."""
    source: Source
    """Citation."""


class Switch(Strict):
    enabled: bool = True
    """Switch the constraint on or off."""
    source: Source
    """Citation."""


class AirShare(Strict):
    enabled: bool = True
    """Switch the constraint on or off."""
    max_share: Fraction
    """Largest share of USFK aircraft that may support the Taiwan theater."""
    source: Source
    """Citation."""


class SupportPoll(Strict):
    year: int
    """Year of the survey."""
    shares: dict[SupportLevel, Fraction]
    """Share of respondents favouring each level (levels not listed: 0)."""
    no_stated_view: Fraction
    """Share of respondents with no stated view."""
    source: Source
    """Citation."""

    @model_validator(mode="after")
    def _sums_to_one(self) -> SupportPoll:
        total = sum(self.shares.values()) + self.no_stated_view
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"shares plus no_stated_view sum to {total:.6g}, not 1; fix the figures"
            )
        return self


class RokSupport(Strict):
    level: SupportLevel | None = None
    """Explicit rheostat level; when set it overrides `level_by_ladder` and the stipulated
    response (a scenario fixing what Seoul does)."""
    level_by_ladder: dict[ChinaAction, SupportLevel] = dict(DEFAULT_LEVEL_BY_LADDER)
    """Level by China's rung when `level` is not set (rungs not listed: the default mapping,
    see docs/model.md)."""
    stipulated_response: bool = False
    """000: "Washington may stipulate that Chinese attacks on U.S. bases in Guam or throughout
    the Indo-Pacific would also require a South Korean response." If true and an attack hits a
    place outside both theaters, the level is raised to at least `stipulated_level`."""
    stipulated_level: SupportLevel = SupportLevel.rear_area_isr_escort
    """Lowest level in force under the stipulated response."""
    treaty_response: bool = True
    """000: "If Beijing attacked U.S. bases in South Korea, Seoul would be obligated under the
    bilateral defense treaty to respond against China." If true, an attack by China
    (`events.attacks[].by: china`) on a place in the Korean theater raises the level to at
    least `treaty_level`, whatever China's rung is called."""
    treaty_level: SupportLevel = SupportLevel.joint_operations
    """Lowest level in force under the treaty response."""
    national_resources_min_level: SupportLevel = SupportLevel.rear_area
    """Lowest level at which Korean-owned cargo, and U.S. cargo that passed or was stored at a
    Korean place, may meet a demand of another theater (000 lists "providing munitions,
    ammunition, and military-grade fuel" among the rear-area roles); below it such cargo serves
    Korea only, by any path (through Japan or the Philippines too), and only U.S. cargo that
    never touched Korea supplies Taiwan (cargo ledger, docs/model.md)."""
    arms_export_to_conflict: bool = False
    """If true, Korean law lets Korean-owned arms (`commodities[].arms`) meet demands of a
    theater in armed conflict (China's action at `blockade` or above); false is today's law
    (003: "legal restrictions that prevent the export of arms to conflict zones")."""
    none_withdraws_flexibility: bool = True
    """If true, at level `none` no USFK force leaves Korea (2006: the U.S. "respects the ROK
    position that it shall not be involved in a regional conflict in Northeast Asia against
    the will of the Korean people")."""
    poll: SupportPoll | None = None
    """Survey of public support by level, for analyses that weight the levels."""
    forces_abroad: ForcesAbroad | None = None
    """How much of each ROK force may leave Korea at each level (constraint
    `policy_rok_forces_abroad`); unset: no cap beyond the rheostat's task and force rules."""
    source: Source
    """Citation."""


def effective_rok_level(spec: ModelSpec) -> SupportLevel:
    """The rheostat level in force for the validated spec (one rule for every module).

    Precedence: an explicit `policies.rok_support.level` wins; otherwise the level of the
    highest rung China's action reaches in the horizon, from `level_by_ladder` (missing rungs:
    DEFAULT_LEVEL_BY_LADDER) — Seoul decides once for the crisis, not period by period —
    raised to `treaty_level` when `treaty_response` is on and an attack by China within the
    horizon hits a place in the Korean theater, and to `stipulated_level` when
    `stipulated_response` is on and an attack within the horizon hits a place outside both
    theaters.
    """
    from rsoi.model.rules import event_timeline

    policy = spec.policies.rok_support
    if policy.level is not None:
        return policy.level
    timeline = event_timeline(spec)
    action = timeline.highest_rung()
    level = policy.level_by_ladder.get(action, DEFAULT_LEVEL_BY_LADDER[action])
    theater_of = {p.id: p.theater for p in spec.places}
    hit = set(timeline.attack_start)
    by_china = {a.target for a in spec.events.attacks if a.by == "china"} & hit
    if policy.treaty_response and any(theater_of.get(t) == "korea" for t in by_china):
        level = max(level, policy.treaty_level, key=SUPPORT_LEVEL_ORDER.index)
    if policy.stipulated_response:
        outside = {p for p, theater in theater_of.items() if theater is None}
        if hit & outside:
            level = max(level, policy.stipulated_level, key=SUPPORT_LEVEL_ORDER.index)
    return level


def scenario_grid_entry(spec: ModelSpec) -> dict[str, object]:
    """Where a scenario (its applied spec) sits in the grid: China's rung, North Korea's
    timing and delay, and the rheostat level in force (`rsoi scenarios --json`)."""
    conflict = spec.events.korea_conflict
    from rsoi.model.rules import event_timeline

    return {
        "china_action": event_timeline(spec).highest_rung().value,
        "korea_timing": conflict.timing.value,
        "korea_delay_periods": conflict.delay_periods if conflict.timing == "sequential" else 0,
        "rok_support_level": effective_rok_level(spec).value,
    }


class StrategicFlexibility(Strict):
    allowed: bool = True
    """If false, no USFK force may be apportioned to the Taiwan theater."""
    source: Source
    """Citation."""


class Policies(Strict):
    deterrence_floor: DeterrenceFloor
    """North Korea deterrence floor (combat power kept in Korea)."""
    troop_floor: TroopFloor
    """U.S. troop floor in Korea."""
    usfk_ground_stays: Switch
    """USFK ground forces stay in Korea."""
    usfk_air_share: AirShare
    """Bound on the share of USFK aircraft supporting Taiwan operations."""
    rok_support: RokSupport
    """ROK support rheostat."""
    strategic_flexibility: StrategicFlexibility
    """2006 strategic-flexibility statement."""


# --- events, scenarios, settings --------------------------------------------------


class Attack(Strict):
    target: Id
    """Place or route id whose capacity drops."""
    from_period: Period
    """First period of reduced capacity."""
    capacity_factor: Fraction
    """Remaining share of capacity (0 = destroyed). Several attacks on one target do not
    multiply: in each period the lowest factor of the attacks begun by then applies."""
    relative_to: Literal["c_day", "china_action"] = "c_day"
    """Count `from_period` from C-day or from the first period of China's action (dropped when
    China takes no action)."""
    by: Literal["china", "north_korea"] = "china"
    """Who attacks. An attack by China on a place in the Korean theater brings the treaty
    response (`policies.rok_support.treaty_level`)."""
    source: Source = "scenario assumption"
    """Citation."""


class KoreaConflict(Strict):
    timing: KoreaTiming = KoreaTiming.none
    """none, simultaneous (starts with the Taiwan contingency) or sequential."""
    delay_periods: Annotated[int, Field(ge=0)] = 0
    """Sequential only: the Korean conflict starts this many periods after C-day."""


class ChinaStep(Strict):
    action: ChinaAction
    """The rung China's action climbs to."""
    from_period: Period
    """First period of that rung (counted from C-day)."""
    source: Source = "scenario assumption"
    """Citation."""


class Events(Strict):
    china_action: ChinaAction = ChinaAction.gray_zone
    """China's action on the ladder, from `china_from_period` (`none`: no Chinese action)."""
    china_from_period: Period = 1
    """First period of China's action (before it the rung is `none`): 1 when China moves at
    C-day, later when North Korea moves first."""
    china_escalation: list[ChinaStep] = []
    """Later rungs, each from its own period: a blockade that becomes an invasion in period t.
    Steps climb the ladder and come in time order."""
    korea_conflict: KoreaConflict = KoreaConflict()
    """North Korea's timing."""
    attacks: list[Attack] = []
    """Capacity losses from attacks."""

    @model_validator(mode="after")
    def _escalation_climbs(self) -> Events:
        previous_period, previous = self.china_from_period, self.china_action
        for i, step in enumerate(self.china_escalation):
            if step.from_period <= previous_period:
                raise ValueError(
                    f"china_escalation[{i}] starts in period {step.from_period}, not after "
                    f"period {previous_period} of the rung before it; give steps in time order"
                )
            if LADDER_ORDER.index(step.action) <= LADDER_ORDER.index(previous):
                raise ValueError(
                    f"china_escalation[{i}] goes from '{previous.value}' to "
                    f"'{step.action.value}', which does not climb the ladder; list only "
                    "escalations (a new scenario models a different crisis)"
                )
            previous_period, previous = step.from_period, step.action
        return self


class PriorityClass(Strict):
    id: Id
    """Priority class id."""
    weight: Positive
    """Objective weight per short ton / capability unit of shortfall."""
    description: str = ""
    """What the class covers."""


class Settings(Strict):
    integer_units: bool = False
    """Allocate whole provider units (MILP) instead of fractional (LP)."""
    objective: Literal["weighted", "lexicographic"] = "weighted"
    """weighted sum, or lexicographic: minimise each priority class's shortfall penalty in
    order, then lateness, then transport cost plus stability, each stage keeping the earlier
    optima (within `lexicographic_tolerance`). In both modes summary.json `objective` is the
    weighted sum of all parts at the final plan; `lexicographic_stages` lists each stage's own
    optimum."""
    lexicographic_tolerance: NonNeg = 1e-6
    """Relative slack kept on each earlier stage in lexicographic mode."""
    priority_classes: list[PriorityClass]
    """Priority classes, most important first (Korea's defense first)."""
    lateness_weight: NonNeg = 1.0
    """Objective weight per short ton per day delivered after LAD (periods late times
    `period_days`)."""
    transport_cost_weight: NonNeg = 1.0
    """Multiplier on transport cost (mode cost per ton-km)."""
    apportionment_stability_weight: NonNeg = 0.0
    """Objective weight per unit change of a force's share in a theater from one period to the
    next; a small value keeps plans from moving forces back and forth between equally good
    periods (degenerate optima). 0 switches the term off."""
    solver: Literal["choose", "simplex", "ipm", "hipo", "pdlp"] = "choose"
    """HiGHS method: `simplex` (dual simplex), `ipm` (interior point, then crossover), `hipo`
    (HiGHS's newer interior point, where the installed HiGHS has it; then crossover), `pdlp`
    (first-order, no crossover: duals only to its tolerance) or `choose` (HiGHS decides). The
    optimum is the same; `rsoi solve --solver` overrides this for one run."""


class Scenario(Strict):
    description: str
    """One-line description."""
    inherits: Id | None = None
    """Parent scenario id; its overrides apply first."""
    overrides: dict = {}
    """Values overlaid on the base model: nested keys, list entries addressed by id."""


class ScenarioSetMember(Strict):
    scenario: Id
    """Name of a scenario in `scenarios`."""
    probability: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    """Probability of the scenario (the members' probabilities sum to 1)."""
    source: Source | None = None
    """Where this member's probability comes from (e.g. a product of grid marginals); the
    set's `source` covers members without one."""


class ScenarioSet(Strict):
    """Scenarios with probabilities, for the two-stage stochastic plan (`rsoi hedge`)."""

    description: str
    """What the set represents."""
    source: Source
    """Where the probabilities come from (a poll, a judgement, ...)."""
    here_and_now_periods: Period
    """K: flows, force shares and provider allocations in periods 1..K are decided once for
    every member (first stage); later periods are decided per scenario."""
    members: list[ScenarioSetMember] = Field(min_length=1)
    """Scenarios and their probabilities."""

    @model_validator(mode="after")
    def _probabilities_sum_to_one(self) -> ScenarioSet:
        total = sum(m.probability for m in self.members)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"members: probabilities sum to {total:.6g}, not 1; rescale them to add up to 1"
            )
        names = [m.scenario for m in self.members]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"members: scenario '{twice[0]}' is listed twice; merge its entries")
        return self


class ModelSpec(Strict):
    """An rsoi theater model."""

    name: Id
    """Model name (used in run folder names)."""
    description: str
    """What the model represents."""
    notional: Literal[True] = True
    """All data is notional and open-source (must be true)."""
    geodata: str | None = None
    """Path (relative to this file) of the places GeoJSON joined by place id."""
    sea_lanes: str | None = None
    """Path of the sea-lane waypoint graph (GeoJSON) used for sea route distances."""
    horizon: Horizon
    """Planning horizon."""
    settings: Settings
    """Objective and solver settings."""
    theaters: list[Theater]
    """Theaters."""
    modes: dict[Mode, ModeSpec]
    """Per-mode speeds and costs."""
    places: list[Place]
    """Nodes of the theater network."""
    lanes: list[Lane] = []
    """Sea lanes and straits."""
    routes: list[Route]
    """Arcs of the theater network."""
    commodities: list[Commodity]
    """Commodities moved."""
    stocks: list[Stock] = []
    """Inventory at C-day."""
    production: list[Production] = []
    """Production capacity."""
    demands: list[Demand] = []
    """Delivery requirements (TPFDD-like lines)."""
    tasks: list[Task]
    """Rear-area support task definitions."""
    requirements: list[Requirement] = []
    """Requirements for base security, maintenance, ISR and protection."""
    providers: list[Provider] = []
    """Support providers."""
    forces: list[Force] = []
    """Forces apportioned between theaters."""
    combat_requirements: list[CombatRequirement] = []
    """Combat power demanded per theater."""
    policies: Policies
    """Policy constraints."""
    events: Events = Events()
    """Scenario events (overridden by scenarios)."""
    default_scenario: Id | None = None
    """Scenario solved when none is named."""
    scenarios: dict[Id, Scenario] = {}
    """Named scenarios."""
    scenario_sets: dict[Id, ScenarioSet] = {}
    """Named sets of scenarios with probabilities (`rsoi hedge`); the first is the default."""
