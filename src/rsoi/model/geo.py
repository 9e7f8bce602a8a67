"""Geodesy helpers, the sea-lane graph and basemap loading (WGS84, lon/lat order)."""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyproj
import shapely

from rsoi.model.rules import sea_path_better

GEOD = pyproj.Geod(ellps="WGS84")
BASEMAP_LAYERS = ("countries", "land")
PORT_TOLERANCE_KM = 3.0  # edge ends this close to a port node may touch the (coarse) coastline

LonLat = tuple[float, float]


def geodesic_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic (WGS84 ellipsoid) distance in km between two lon/lat points."""
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2]) / 1000.0


def densify_geodesic(coords: Sequence[LonLat], step_km: float = 25.0) -> shapely.LineString:
    """Great-circle polyline through ``coords`` with vertices at most ~``step_km`` apart.

    The given points are kept exactly (first and last vertex equal the inputs).
    """
    if len(coords) < 2:
        raise ValueError("need at least two points")
    if step_km <= 0:
        raise ValueError("step_km must be positive")
    out: list[LonLat] = [(float(coords[0][0]), float(coords[0][1]))]
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(coords):
        n = int(geodesic_km(lon1, lat1, lon2, lat2) // step_km)
        if n > 0:
            out.extend((float(x), float(y)) for x, y in GEOD.npts(lon1, lat1, lon2, lat2, n))
        out.append((float(lon2), float(lat2)))
    return shapely.LineString(out)


def trim_line_km(line: shapely.LineString, start_km: float, end_km: float) -> shapely.LineString:
    """Drop the vertices of a (densified) lon/lat line within the given km of its ends.

    Returns an empty LineString if nothing (or a single vertex) remains.
    """
    pts = list(line.coords)
    (lon0, lat0), (lon1, lat1) = pts[0], pts[-1]
    keep = [
        p
        for p in pts
        if geodesic_km(lon0, lat0, p[0], p[1]) >= start_km
        and geodesic_km(lon1, lat1, p[0], p[1]) >= end_km
    ]
    return shapely.LineString(keep) if len(keep) >= 2 else shapely.LineString()


@dataclass(frozen=True)
class SeaPath:
    """A shortest sea route: nodes visited, straits passed (in order), length and geometry."""

    node_ids: tuple[str, ...]
    straits: tuple[str, ...]
    distance_km: float
    line: shapely.LineString = field(compare=False)


@dataclass(frozen=True)
class _Edge:
    to: int
    km: float
    strait: str | None


class SeaLaneGraph:
    """Undirected sea-lane graph of waypoints and port places, searched with Dijkstra."""

    def __init__(
        self,
        coords: Mapping[str, LonLat],
        edges: Sequence[tuple[str, str, str | None]],
        waypoint_ids: frozenset[str] = frozenset(),
    ) -> None:
        self.node_ids: tuple[str, ...] = tuple(sorted(coords))
        self.coords: dict[str, LonLat] = {k: coords[k] for k in self.node_ids}
        self.waypoint_ids = waypoint_ids
        self._index = {n: i for i, n in enumerate(self.node_ids)}
        adj: list[list[_Edge]] = [[] for _ in self.node_ids]
        for a, b, strait in edges:
            ia, ib = self._index[a], self._index[b]
            km = geodesic_km(*self.coords[a], *self.coords[b])
            adj[ia].append(_Edge(ib, km, strait))
            adj[ib].append(_Edge(ia, km, strait))
        for lst in adj:
            lst.sort(key=lambda e: (e.to, e.km))
        self._adj = tuple(tuple(lst) for lst in adj)
        self.straits: frozenset[str] = frozenset(s for _, _, s in edges if s)

    @classmethod
    def from_file(cls, path: str | Path, places: Mapping[str, LonLat]) -> SeaLaneGraph:
        """Load a sea-lane GeoJSON; ``places`` maps place id -> (lon, lat).

        Edges touching a place id that is neither a waypoint nor in ``places`` are skipped,
        so a scenario may pass only the places it uses.
        """
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        coords: dict[str, LonLat] = {}
        waypoints: set[str] = set()
        raw_edges: list[tuple[str, str, str | None]] = []
        for feat in data["features"]:
            props = feat["properties"]
            if props.get("feature") == "waypoint":
                lon, lat = feat["geometry"]["coordinates"][:2]
                coords[props["id"]] = (float(lon), float(lat))
                waypoints.add(props["id"])
            elif props.get("feature") == "edge":
                raw_edges.append((props["from"], props["to"], props.get("strait")))
        edges = []
        for a, b, strait in raw_edges:
            for n in (a, b):
                if n not in coords and n in places:
                    lon, lat = places[n]
                    coords[n] = (float(lon), float(lat))
            if a in coords and b in coords:
                edges.append((a, b, strait))
        return cls(coords, edges, frozenset(waypoints))

    def _node(self, node_id: str) -> int:
        try:
            return self._index[node_id]
        except KeyError:
            raise KeyError(
                f"{node_id!r} is not a node of the sea-lane graph "
                "(unknown place id, or a place without a sea-lane edge)"
            ) from None

    def path(
        self,
        origin_id: str,
        destination_id: str,
        closed_straits: frozenset[str] = frozenset(),
    ) -> SeaPath | None:
        """Shortest geodesic sea path avoiding ``closed_straits``; None if unreachable."""
        src, dst = self._node(origin_id), self._node(destination_id)
        dist = [float("inf")] * len(self.node_ids)
        prev: list[int] = [-1] * len(self.node_ids)
        prev_strait: list[str | None] = [None] * len(self.node_ids)
        label: list[tuple[str, ...] | None] = [None] * len(self.node_ids)  # waypoint ids
        dist[src] = 0.0
        label[src] = (self.node_ids[src],)
        heap: list[tuple[float, int]] = [(0.0, src)]
        done = [False] * len(self.node_ids)
        while heap:
            d, u = heapq.heappop(heap)
            if done[u]:
                continue
            done[u] = True
            if u == dst:
                break
            for e in self._adj[u]:
                if done[e.to] or (e.strait is not None and e.strait in closed_straits):
                    continue
                nd = d + e.km
                nodes = (*label[u], self.node_ids[e.to])
                # the tie-break is the shared rule (rsoi.model.rules.sea_path_better)
                if sea_path_better(nd, nodes, dist[e.to], label[e.to]):
                    dist[e.to] = nd
                    prev[e.to] = u
                    prev_strait[e.to] = e.strait
                    label[e.to] = nodes
                    heapq.heappush(heap, (nd, e.to))
        if not done[dst]:
            return None
        nodes = [dst]
        straits_rev: list[str] = []
        while nodes[-1] != src:
            n = nodes[-1]
            if prev_strait[n]:
                straits_rev.append(prev_strait[n])
            nodes.append(prev[n])
        nodes.reverse()
        straits: list[str] = []
        for s in reversed(straits_rev):
            if s not in straits:
                straits.append(s)
        ids = tuple(self.node_ids[i] for i in nodes)
        if len(ids) == 1:
            lon, lat = self.coords[ids[0]]
            line = shapely.LineString([(lon, lat), (lon, lat)])
        else:
            line = densify_geodesic([self.coords[n] for n in ids])
        return SeaPath(ids, tuple(straits), dist[dst], line)


def load_basemap(path: str | Path) -> dict:
    """Read the ``countries`` and ``land`` layers of the basemap GeoPackage (GeoDataFrames)."""
    import pyogrio  # here, not at the top: the LP path needs no geopandas

    return {layer: pyogrio.read_dataframe(path, layer=layer) for layer in BASEMAP_LAYERS}
