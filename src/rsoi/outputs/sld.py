"""OGC SLD 1.1 / Symbology Encoding styles for ``layer_styles.styleSLD``.

ArcGIS Pro and GeoServer do not read QGIS's QML; these give them the same colours and
categories (without QGIS-only parts: data-defined widths, temporal settings, label rules).
"""

from __future__ import annotations

from html import escape

from rsoi.outputs.palette import (
    BORDER,
    KIND_STYLE,
    LAND,
    MODE_COLORS,
    NATION_COLORS,
    OTHER_KIND,
    UNUSED,
)

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<StyledLayerDescriptor xmlns="http://www.opengis.net/sld" '
    'xmlns:ogc="http://www.opengis.net/ogc" xmlns:se="http://www.opengis.net/se" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1.1.0" '
    'xsi:schemaLocation="http://www.opengis.net/sld '
    'http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">'
)
# matplotlib markers of mapping.KIND_STYLE -> SLD well-known marks
MARKS = {"o": "circle", "s": "square", "^": "triangle", "*": "star", "X": "x", "P": "cross"}


def _filter(field: str | None, value: str | None) -> str:
    if field is None:
        return ""
    return (
        "<ogc:Filter><ogc:PropertyIsEqualTo>"
        f"<ogc:PropertyName>{escape(field)}</ogc:PropertyName>"
        f"<ogc:Literal>{escape(str(value))}</ogc:Literal>"
        "</ogc:PropertyIsEqualTo></ogc:Filter>"
    )


def _line(color: str, width: float, opacity: float = 1.0, dash: str | None = None) -> str:
    extra = f'<se:SvgParameter name="stroke-dasharray">{dash}</se:SvgParameter>' if dash else ""
    return (
        "<se:LineSymbolizer><se:Stroke>"
        f'<se:SvgParameter name="stroke">{color}</se:SvgParameter>'
        f'<se:SvgParameter name="stroke-width">{width:g}</se:SvgParameter>'
        f'<se:SvgParameter name="stroke-opacity">{opacity:g}</se:SvgParameter>'
        f"{extra}</se:Stroke></se:LineSymbolizer>"
    )


def _point(mark: str, color: str, size: float) -> str:
    return (
        "<se:PointSymbolizer><se:Graphic><se:Mark>"
        f"<se:WellKnownName>{mark}</se:WellKnownName>"
        f'<se:Fill><se:SvgParameter name="fill">{color}</se:SvgParameter></se:Fill>'
        '<se:Stroke><se:SvgParameter name="stroke">#ffffff</se:SvgParameter>'
        '<se:SvgParameter name="stroke-width">0.5</se:SvgParameter></se:Stroke>'
        f"</se:Mark><se:Size>{size:g}</se:Size></se:Graphic></se:PointSymbolizer>"
    )


def _polygon(fill: str | None, stroke: str | None) -> str:
    parts = ["<se:PolygonSymbolizer>"]
    if fill:
        parts.append(f'<se:Fill><se:SvgParameter name="fill">{fill}</se:SvgParameter></se:Fill>')
    if stroke:
        parts.append(
            f'<se:Stroke><se:SvgParameter name="stroke">{stroke}</se:SvgParameter>'
            '<se:SvgParameter name="stroke-width">0.5</se:SvgParameter></se:Stroke>'
        )
    parts.append("</se:PolygonSymbolizer>")
    return "".join(parts)


def _rules(layer: str) -> list[tuple[str, str | None, str | None, str]]:
    """(title, filter field, filter value, symbolizer) per rule."""
    if layer == "places":
        out = []
        for kind, (marker, _, color) in KIND_STYLE.items():
            out.append(
                (
                    kind.replace("_", " "),
                    "kind",
                    kind,
                    _point(MARKS.get(marker, "circle"), color, 8),
                )
            )
        return out
    if layer == "allocations":
        return [(n, "lead_nation", n, _point("circle", c, 9)) for n, c in NATION_COLORS.items()]
    if layer == "flows":
        return [(f"{m} flow", "mode", m, _line(c, 2.5, 0.7)) for m, c in MODE_COLORS.items()]
    if layer == "routes":
        return [
            ("route used", "closed", "0", _line(UNUSED, 0.8, 0.5)),
            ("closed", "closed", "1", _line("#B00020", 1.0, 1.0, "2 3")),
        ]
    if layer == "apportionment":
        return [(n, "nation", n, _line(c, 1.5, 0.7, "6 3")) for n, c in NATION_COLORS.items()]
    if layer == "worst_losses":  # rsoi interdict
        return [
            (
                "worst set only (greedy misses it)",
                "in_greedy_set",
                "0",
                _point("circle", "#C8102E", 12),
            ),
            ("worst set, also greedy", "in_greedy_set", "1", _point("circle", "#7A0019", 12)),
        ]
    if layer == "basemap_land":
        return [("land", None, None, _polygon(LAND, None))]
    if layer == "basemap_countries":
        return [("country border", None, None, _polygon(None, BORDER))]
    return [("default", None, None, _point("circle", OTHER_KIND[2], 6))]


def sld(layer: str) -> str:
    """The SLD document of one rsoi layer."""
    rules = "".join(
        f"<se:Rule><se:Name>{escape(title)}</se:Name>"
        f"<se:Description><se:Title>{escape(title)}</se:Title></se:Description>"
        f"{_filter(field, value)}{symbolizer}</se:Rule>"
        for title, field, value, symbolizer in _rules(layer)
    )
    return (
        f"{HEAD}<NamedLayer><se:Name>{layer}</se:Name><UserStyle><se:Name>{layer}</se:Name>"
        f"<se:FeatureTypeStyle>{rules}</se:FeatureTypeStyle></UserStyle></NamedLayer>"
        "</StyledLayerDescriptor>\n"
    )
