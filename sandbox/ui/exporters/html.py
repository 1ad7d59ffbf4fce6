"""Self-contained interactive HTML export of a map view with folium (Leaflet inlined, no Qt, no network)."""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from sandbox.ui.classify import NO_DATA, classify, legend_labels, no_data_rows
from sandbox.ui.fmt import format_as_of, format_value, note_of
from sandbox.ui.palette import Colors, no_value_colour, ramp

__all__ = [
    "ExportError", "LEAFLET_PACKAGE", "leaflet_assets", "render_html", "export_html", "export_region",
    "feature_collection_of", "external_references",
]

LEAFLET_PACKAGE = "XStatic-Leaflet"  # ships leaflet.js/leaflet.css; read at run time, never committed
SCHEME_ZH = {"natural_breaks": "自然断点分级", "quantiles": "分位数分级"}
LEVEL_ZH = {"province": "省", "prefecture": "市州", "county": "县", "town": "乡镇", "village": "行政村"}
LEVEL_COUNT_ZH = {"prefecture": "个市州", "county": "个县", "town": "个乡镇", "village": "个村"}
FONT_STACK = ('"WenQuanYi Micro Hei","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",'
              '"PingFang SC",sans-serif')
_EXTERNAL = re.compile(
    r"""<script[^>]*\ssrc\s*=\s*["']?(?:https?:)?//[^>]*>|<link[^>]*\shref\s*=\s*["']?(?:https?:)?//[^>]*>"""
    r"""|url\(\s*["']?(?:https?:)?//[^)]*\)|@import\s+["']?(?:url\()?\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)
_JSON_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")


class ExportError(RuntimeError):
    """The view cannot be exported (missing Leaflet package, unusable data)."""


@lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str]:
    """(leaflet.js, leaflet.css) from the installed XStatic-Leaflet, images inlined as data: URIs."""
    try:
        from xstatic.pkg import leaflet as xs
    except ImportError:
        hint = f"导出交互地图需要 Python 包 {LEAFLET_PACKAGE}（pip install {LEAFLET_PACKAGE}）"
        raise ExportError(hint) from None
    base = Path(xs.BASE_DIR)
    js = re.sub(r"^//# sourceMappingURL=.*$", "", (base / "leaflet.js").read_text("utf-8"), flags=re.M)
    css = (base / "leaflet.css").read_text("utf-8")

    def data_uri(m: re.Match) -> str:
        img = base / m.group(1)
        if not img.is_file():
            return "none"
        return f"url(data:image/png;base64,{base64.b64encode(img.read_bytes()).decode('ascii')})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    return js.replace("</script", "<\\/script"), css


def external_references(page: str) -> list[str]:
    """Every script, stylesheet, CSS url() or @import in `page` that would be fetched from the network."""
    return [m.group(0)[:120] for m in _EXTERNAL.finditer(page)]


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _fmt(v: Any, unit: str, note: str | None = None) -> str:
    return format_value(v if _number(v) else None, unit, note)


def _note(props: Mapping[str, Any], key: str) -> str | None:
    return note_of(props.get("indicator_notes"), key)


def _registry(indicators: Iterable[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    if indicators is not None:
        return list(indicators)
    from sandbox.domain import indicators as builtin

    return [i.as_dict() for i in builtin.REGISTRY]


def _bounds(fc: Mapping[str, Any]) -> tuple[float, float, float, float] | None:
    bbox = fc.get("bbox")
    if isinstance(bbox, (list, tuple)) and len(bbox) == 4 and all(_number(b) for b in bbox):
        return tuple(float(b) for b in bbox)  # type: ignore[return-value]
    xs, ys = [], []

    def walk(c: Any) -> None:
        if isinstance(c, (list, tuple)) and len(c) >= 2 and all(_number(v) for v in c[:2]):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        elif isinstance(c, (list, tuple)):
            for x in c:
                walk(x)

    for f in fc.get("features") or []:
        walk(((f or {}).get("geometry") or {}).get("coordinates"))
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _popup(props: Mapping[str, Any], registry: list[Mapping[str, Any]], key: str, foot: str) -> str:
    e = html.escape
    sub = [LEVEL_ZH.get(str(props.get("level")), ""), str(props.get("code") or "")]
    if props.get("is_poor_village") is not None:
        sub.append("贫困村" if props.get("is_poor_village") else "非贫困村")
    if props.get("poor_village_exit_year"):
        sub.append(f"{props['poor_village_exit_year']}年出列")
    rows = "".join(
        f'<tr{" class=sb-cur" if r["key"] == key else ""}><th>{e(str(r.get("label_zh") or r["key"]))}</th>'
        f'<td>{e(_fmt(props.get(r["key"]), str(r.get("unit") or ""), _note(props, r["key"])))}'
        "</td></tr>"
        for r in registry
    )
    return (f'<div class="sb-pop"><div class="sb-pop-title">{e(str(props.get("name") or props.get("code")))}</div>'
            f'<div class="sb-pop-sub">{e(" · ".join(s for s in sub if s))}</div><table>{rows}</table>'
            f'<div class="sb-pop-foot">{e(foot)}</div></div>')


def _css(map_id: str) -> str:
    c = Colors
    return f"""
#{map_id}.leaflet-container {{ background: radial-gradient(ellipse at 50% 45%, #0e2748 0%, {c.background} 75%);
  font-family: {FONT_STACK}; }}
.sb-box {{ position: absolute; z-index: 1000; background: rgba(12,29,54,0.92); color: {c.text};
  border: 1px solid {c.panel_border}; border-radius: 6px; padding: 10px 14px; font-family: {FONT_STACK}; }}
#sb-title {{ top: 12px; left: 60px; max-width: 60%; }}
#sb-title h1 {{ margin: 0 0 4px 0; font-size: 22px; color: {c.text}; }}
#sb-title .sb-meta {{ font-size: 14px; color: {c.text_muted}; }}
.sb-demo {{ display: inline-block; margin-left: 8px; padding: 1px 8px; border: 1px solid {c.demo}; color: {c.demo};
  border-radius: 4px; font-weight: bold; }}
#sb-legend {{ bottom: 28px; right: 12px; font-size: 14px; min-width: 200px; }}
#sb-legend .sb-legend-title {{ font-weight: bold; font-size: 16px; margin-bottom: 2px; }}
#sb-legend .sb-hint {{ color: {c.text_muted}; font-size: 12px; margin-bottom: 6px; }}
#sb-legend table {{ border-collapse: collapse; width: 100%; }}
#sb-legend td {{ padding: 2px 4px; }}
#sb-legend .sb-sw {{ width: 28px; height: 16px; border: 1px solid {c.background}; }}
#sb-legend .sb-n {{ text-align: right; color: {c.text_muted}; }}
#sb-empty {{ top: 45%; left: 50%; transform: translate(-50%, -50%); font-size: 20px; }}
.leaflet-popup-content-wrapper, .leaflet-popup-tip, .leaflet-tooltip {{ background: {c.panel}; color: {c.text};
  border: 1px solid {c.panel_border}; font-family: {FONT_STACK}; }}
.leaflet-control-scale-line {{ background: rgba(12,29,54,0.85); color: {c.text}; border-color: {c.text_muted}; }}
.leaflet-container a.leaflet-popup-close-button {{ color: {c.text_muted}; }}
.sb-pop-title {{ font-size: 16px; font-weight: bold; }}
.sb-pop-sub, .sb-pop-foot {{ color: {c.text_muted}; font-size: 12px; margin: 2px 0 6px 0; }}
.sb-pop table {{ border-collapse: collapse; }}
.sb-pop th {{ text-align: left; font-weight: normal; color: {c.text_muted}; padding: 1px 10px 1px 0; }}
.sb-pop td {{ text-align: right; padding: 1px 0; }}
.sb-pop tr.sb-cur th, .sb-pop tr.sb-cur td {{ color: {c.accent}; font-weight: bold; }}
"""


class _Expose(MacroElement):
    """Publishes the map and the regions layer as window.sandboxExport (tests and benchmarks use it)."""

    _template = Template("""
{% macro script(this, kwargs) %}
window.sandboxExport = {map: {{ this._parent.get_name() }}, regions: {{ this.layer.get_name() }}};
{% endmacro %}""")

    def __init__(self, layer: MacroElement):
        super().__init__()
        self._name = "SandboxExpose"
        self.layer = layer


def _meta(region_json: Mapping[str, Any], fc: Mapping[str, Any]) -> dict[str, Any]:
    """Name, year, as-of and demo mark of the view; the region's payload wins over the GeoJSON's."""
    demo = bool(fc.get("demo") or region_json.get("demo"))
    as_of = region_json.get("as_of") or fc.get("as_of")
    demo_text = str(fc.get("data_label") or region_json.get("data_label") or "演示数据") if demo else ""
    return {
        "name": str(region_json.get("name") or region_json.get("code") or ""),
        "year": region_json.get("year", fc.get("year")), "as_of": as_of, "demo_text": demo_text,
        "foot": f"数据截至 {format_as_of(as_of)}" + (f" · {demo_text}" if demo else ""),
    }


def _map_data(feats: list, classes: tuple[int, ...], colours: list[str], key: str, unit: str,
              registry: list[Mapping[str, Any]], foot: str, selected: str | None) -> dict:
    """The GeoJSON embedded in the page: geometry, fill colour, tooltip and popup HTML per region."""
    out = []
    for f, c in zip(feats, classes):
        props = f.get("properties") or {}
        if not f.get("geometry"):
            continue
        code = str(props.get("code") or "")
        name = str(props.get("name") or code)
        out.append({"type": "Feature", "id": code, "geometry": f["geometry"], "properties": {
            "code": code, "name": name, "level": str(props.get("level") or ""),
            "fill": colours[c] if c != NO_DATA else no_value_colour(_note(props, key)), "selected": code == selected,
            "tip": html.escape(f"{name}　{_fmt(props.get(key), unit, _note(props, key))}"),
            "popup": _popup(props, registry, key, foot),
        }})
    return {"type": "FeatureCollection", "features": out}


def _style(f: Mapping[str, Any]) -> dict:
    sel = f["properties"]["selected"]
    return {"fillColor": f["properties"]["fill"], "fillOpacity": 0.9, "weight": 4 if sel else 1.5,
            "color": Colors.selected if sel else Colors.region_border}


def _title_html(meta: Mapping[str, Any], label: str, level: str) -> str:
    e = html.escape
    year = f"{meta['year']}年" if meta["year"] else ""
    children = f"各{LEVEL_ZH[level]}" if level in LEVEL_ZH else ""
    badge = f'<span class="sb-demo">{e(meta["demo_text"])}</span>' if meta["demo_text"] else ""
    return (f'<div id="sb-title" class="sb-box"><h1>{e(meta["name"])}　{e(year)}{children}{e(label)}</h1>'
            f'<div class="sb-meta">数据截至 {e(format_as_of(meta["as_of"]))}{badge}'
            f'　导出于 {datetime.now():%Y-%m-%d %H:%M}</div></div>')


def render_html(region_json: Mapping[str, Any], children_fc: Mapping[str, Any], indicator: Mapping[str, Any], *,
                indicators: Iterable[Mapping[str, Any]] | None = None, selected: str | None = None,
                classes: int = 5) -> str:
    """The page as a string: choropleth of `children_fc` by `indicator`, legend, popups, as-of, demo mark."""
    if not isinstance(children_fc, Mapping) or not isinstance(children_fc.get("features"), list):
        raise ExportError("下级区划数据不是 GeoJSON FeatureCollection，无法导出")
    key = str(indicator["key"])
    label, unit = str(indicator.get("label_zh") or key), str(indicator.get("unit") or "")
    better = bool(indicator.get("higher_is_better", False))
    scheme = str(indicator.get("classification") or "natural_breaks")
    registry = _registry(indicators)
    if not any(r.get("key") == key for r in registry):
        registry = [dict(indicator), *registry]
    feats = [f for f in children_fc["features"] if isinstance(f, Mapping)]
    cls = classify([(f.get("properties") or {}).get(key) for f in feats], scheme, classes)
    colours = ramp(cls.k, better)
    meta = _meta(region_json, children_fc)
    level = str((feats[0].get("properties") or {}).get("level") or "") if feats else ""
    data = _map_data(feats, cls.classes, colours, key, unit, registry, meta["foot"], selected)

    bounds = _bounds(children_fc)
    centre = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2] if bounds else [0.0, 0.0]
    fig = Figure(title=f"{meta['name']}{meta['year'] or ''}{'年' if meta['year'] else ''}{label}")
    m = folium.Map(location=centre, zoom_start=10 if bounds else 2, tiles=None, control_scale=True, zoom_snap=0.25)
    m.default_js, m.default_css = [], []  # no CDN: Leaflet goes inline below; jQuery/Bootstrap are not used
    m.add_to(fig)
    js, css = leaflet_assets()
    fig.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css")
    fig.header.add_child(Element(f"<script>{js}</script>"), name="leaflet")
    fig.header.add_child(Element(f"<style>{_css(m.get_name())}</style>"), name="sandbox_css")
    if data["features"]:
        layer = folium.GeoJson(
            data, name="regions", style_function=_style,
            highlight_function=lambda f: {"weight": 3, "color": Colors.hover, "fillOpacity": 1.0},
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
            popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=420),
        ).add_to(m)
        m.add_child(_Expose(layer))
    else:
        empty = f"{html.escape(meta['name'])}没有下级区划，无可绘制的地图"
        fig.html.add_child(Element(f'<div id="sb-empty" class="sb-box">{empty}</div>'), name="sb_empty")
    if bounds:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], padding=(24, 24))
    fig.html.add_child(Element(_title_html(meta, label, level)), name="sb_title")
    if feats:
        notes = [_note(f.get("properties") or {}, key) for f, c in zip(feats, cls.classes) if c == NO_DATA]
        fig.html.add_child(Element(_legend_html(cls, colours, label, unit, better, scheme, level, notes)),
                           name="sb_legend")
    page = _unescape_cjk(fig.render())
    leaks = external_references(page)
    if leaks:
        raise ExportError(f"导出页面仍引用网络资源: {leaks}")
    return page


def _unescape_cjk(page: str) -> str:
    """folium embeds JSON with \\uXXXX escapes: restore non-ASCII text so names read (and grep) as written."""

    def sub(m: re.Match) -> str:
        cp = int(m.group(2), 16)
        keep = cp < 0x80 or 0xD800 <= cp <= 0xDFFF or cp in (0x2028, 0x2029)
        return m.group(0) if keep else m.group(1) + chr(cp)

    return _JSON_ESCAPE.sub(sub, page)


def _legend_html(cls, colours: list[str], label: str, unit: str, better: bool, scheme: str, level: str,
                 notes: list[str | None]) -> str:
    e = html.escape
    counter = LEVEL_COUNT_ZH.get(level, "个")
    rows = [(c, t, n) for c, t, n in zip(colours, legend_labels(cls, unit), cls.counts())]
    rows += [(no_value_colour(note), t, n) for note, t, n in no_data_rows(notes)]
    body = "".join(f'<tr><td><div class="sb-sw" style="background:{c}"></div></td><td>{e(t)}</td>'
                   f'<td class="sb-n">{n} {counter}</td></tr>' for c, t, n in rows)
    unit_text = f"（单位：{e(unit)}）" if unit else ""
    hint = "▲ 数值越高越好" if better else "▼ 数值越低越好"
    return (f'<div id="sb-legend" class="sb-box"><div class="sb-legend-title">{e(label)}{unit_text}</div>'
            f'<div class="sb-hint">{hint} · {SCHEME_ZH.get(scheme, e(scheme))}</div><table>{body}</table></div>')


def export_html(region_json: Mapping[str, Any], children_fc: Mapping[str, Any], indicator: Mapping[str, Any],
                path: str | Path, **options: Any) -> Path:
    """Write the view as ONE self-contained HTML file (opens offline); options as for render_html."""
    out = Path(path)
    page = render_html(region_json, children_fc, indicator, **options)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def export_region(client: Any, code: str, path: str | Path, *, year: int | None = None,
                  indicator: str = "poverty_incidence", selected: str | None = None) -> Path:
    """Fetch a region's view through the API client (region, children GeoJSON, registry) and export it."""
    registry = client.indicators()
    entry = next((i for i in registry if i.get("key") == indicator), None)
    if entry is None:
        raise ExportError(f"未知指标：{indicator}")
    region = client.region(code, year)
    fc = client.children_geojson(code, region.get("year", year))
    return export_html(region, fc, entry, path, indicators=registry, selected=selected)


def feature_collection_of(region_map: Any) -> dict:
    """A children FeatureCollection rebuilt from the wall's RegionMap (what is on screen now)."""
    feats = []
    for f in region_map.features:
        coords = [[[list(p) for p in ring] for ring in poly] for poly in f.polygons]
        geom = {"type": "Polygon", "coordinates": coords[0]} if len(coords) == 1 else {
            "type": "MultiPolygon", "coordinates": coords}
        feats.append({"type": "Feature", "geometry": geom, "properties": dict(f.properties)})
    return {"type": "FeatureCollection", "features": feats, "bbox": list(region_map.bbox), "year": region_map.year,
            "as_of": region_map.as_of, "demo": region_map.demo, "data_label": region_map.data_label,
            "parent": dict(region_map.parent)}
