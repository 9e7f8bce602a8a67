"""The shared map palette (matplotlib map, report, QGIS QML and SLD styles); no imports."""

from __future__ import annotations

MODE_COLORS = {"sea": "#0072B2", "air": "#D55E00", "rail": "#009E73", "road": "#CC79A7"}
NATION_COLORS = {"US": "#1B3A6B", "ROK": "#C8102E"}
# kind -> (matplotlib marker, QGIS marker shape, colour)
KIND_STYLE = {
    "seaport": ("o", "circle", "#0B4F8A"),
    "naval_base": ("s", "square", "#0B4F8A"),
    "airbase": ("^", "triangle", "#8E1B1B"),
    "army_base": ("D", "diamond", "#3F6E1F"),
    "depot": ("P", "cross_fill", "#7A4B0C"),
    "maintenance_facility": ("h", "hexagon", "#7A4B0C"),
    "staging_area": ("p", "pentagon", "#555555"),
    "theater_destination": ("*", "star", "#555555"),
    "sea_area": ("X", "cross2", "#4A90B8"),
}
OTHER_KIND = ("o", "circle", "#555555")
LAND, WATER, BORDER, UNUSED, CLOSED = "#F2EFE9", "#D9E8F2", "#9A9A9A", "#8C8C8C", "#B00020"


def _qml_color(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},255"


STYLE_COLORS: dict[str, str] = {
    **{f"mode_{k}": _qml_color(v) for k, v in MODE_COLORS.items()},
    **{f"nation_{k}": _qml_color(v) for k, v in NATION_COLORS.items()},
    **{f"kind_{k}": _qml_color(c) for k, (_, _, c) in KIND_STYLE.items()},
    **{f"shape_{k}": s for k, (_, s, _) in KIND_STYLE.items()},
    "land": _qml_color(LAND),
    "border": _qml_color(BORDER),
    "unused": _qml_color(UNUSED),
}
"""Placeholders of the QML templates in rsoi/qml (string.Template syntax)."""
