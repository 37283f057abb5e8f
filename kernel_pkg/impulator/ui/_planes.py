"""The SEI-BEI and NSEI-NBEI efficiency planes of a stored compound (plotly).

:func:`plane_figure` is a static plotly figure (notebooks, reports); :class:`PlanesPanel` puts
both planes on the page as ``FigureWidget`` s, with a "colour by" dropdown and a side panel
that shows the structure and the values of the point under the mouse (plotly's own hover
label cannot hold a picture).
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from impulator._errors import InvalidInput
from impulator.chem import depict_svg
from impulator.ui import _theme as theme
from impulator.ui._pagekit import run_guarded
from impulator.ui._served import PLOTLY_WIDGET_ENV, after_page_drawn, served_address

__all__ = [
    "COLOUR_BY",
    "PLANES",
    "PlanesPanel",
    "figure_widget",
    "plane_figure",
    "point_html",
    "served_plotly_widget",
]

#: The two planes: (x column, y column, title).
PLANES: tuple[tuple[str, str, str], ...] = (
    ("sei", "bei", "SEI-BEI plane"),
    ("nsei", "nbei", "NSEI-NBEI plane"),
)
#: What the points can be coloured by: option label -> key.
COLOUR_BY: dict[str, str] = {"Score": "score", "Target": "target"}
#: Most targets given a colour of their own; the others share one.
MAX_TARGETS = 10
_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
_OTHER = "#b0b7c0"
_LABELS = {"sei": "SEI", "bei": "BEI", "nsei": "NSEI", "nbei": "NBEI"}


def _go() -> Any:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    return go


def figure_widget(**figure: Any) -> Any:
    """plotly's ``FigureWidget(**figure)``; on a Voila page whose server serves plotly's
    widget bundle (``IMPULATOR_PLOTLY_WIDGET``), one whose browser code imports that file
    instead of carrying its 5 MB itself (sent and compiled once per figure otherwise).

    Example:
        >>> figure_widget(layout={"title": {"text": "SEI-BEI"}}).layout.title.text
        'SEI-BEI'
    """
    bundle = served_plotly_widget()
    widget_class = _served_figure_widget(bundle) if bundle else _go().FigureWidget
    return widget_class(**figure)


def served_plotly_widget() -> str | None:
    """Where this Voila page finds plotly's widget bundle (relative to Voila's address), or
    None: not on a Voila page (JupyterLab's have no Voila address), or not served."""
    return served_address(PLOTLY_WIDGET_ENV)


@functools.cache
def _served_figure_widget(bundle: str) -> type:
    """A FigureWidget class whose browser module imports plotly's from ``bundle`` once the
    page is drawn (compiling plotly takes about a second, during which the browser draws
    nothing)."""
    module = after_page_drawn(bundle) + "export default (await import(source)).default;\n"
    return type("ServedFigureWidget", (_go().FigureWidget,), {"_esm": module})


def _text(value: Any) -> str:
    return theme.format_value(value) if value is not None else ""


def _target(record: pd.Series) -> str:
    name = _text(record.get("target_pref_name"))
    ident = _text(record.get("target_chembl_id"))
    return f"{name} ({ident})" if name and ident else (name or ident or "unknown target")


def _hover_text(record: pd.Series) -> str:
    name = _text(record.get("pref_name")) or _text(record.get("molecule_chembl_id"))
    return "<br>".join(
        html.escape(part)
        for part in (
            name,
            _target(record),
            f"{_text(record.get('standard_type'))} pActivity {_text(record.get('pactivity'))}",
            f"score {_text(record.get('final_score'))} ({_text(record.get('classification'))})",
        )
    )


def _plotted(rows: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Rows with both coordinates, keeping their position in ``rows`` as ``_row``."""
    if rows.empty or x not in rows or y not in rows:
        return rows.iloc[:0].assign(_row=pd.Series(dtype=int))
    frame = rows.assign(_row=range(len(rows)))
    xs = pd.to_numeric(frame[x], errors="coerce")
    ys = pd.to_numeric(frame[y], errors="coerce")
    return frame[xs.notna() & ys.notna()]


def _traces(
    rows: pd.DataFrame, x: str, y: str, colour_by: str, query_inchikey: str | None, legend: bool
) -> list[Any]:
    go = _go()
    frame = _plotted(rows, x, y)
    if frame.empty:
        return []

    def scatter(part: pd.DataFrame, name: str, marker: dict[str, Any], show: bool) -> Any:
        own = (part["inchikey"] == query_inchikey) if "inchikey" in part else part["_row"] < 0
        return go.Scatter(
            x=pd.to_numeric(part[x]).tolist(),
            y=pd.to_numeric(part[y]).tolist(),
            mode="markers",
            name=name,
            customdata=part["_row"].tolist(),
            text=[_hover_text(r) for _, r in part.iterrows()],
            hovertemplate="%{text}<extra></extra>",
            showlegend=show,
            marker={
                **marker,
                "size": [13 if o else 9 for o in own],
                "symbol": ["diamond" if o else "circle" for o in own],
                "line": {"width": 1, "color": "#1d2733"},
            },
        )

    if colour_by == "target":
        labels = frame.apply(_target, axis=1)
        order = labels.value_counts().index.tolist()
        traces = []
        for i, label in enumerate(order[:MAX_TARGETS]):
            traces.append(scatter(frame[labels == label], label, {"color": _PALETTE[i]}, legend))
        rest = frame[~labels.isin(order[:MAX_TARGETS])]
        if not rest.empty:
            traces.append(scatter(rest, "other targets", {"color": _OTHER}, legend))
        return traces
    scores = (
        pd.to_numeric(frame["final_score"], errors="coerce")
        if "final_score" in frame
        else frame["_row"] * float("nan")
    )
    scored, unscored = frame[scores.notna()], frame[scores.isna()]
    traces = []
    if not scored.empty:
        marker = {
            "color": pd.to_numeric(scored["final_score"]).tolist(),
            "colorscale": "Viridis",
            "cmin": 0.0,
            "cmax": 1.0,
            "showscale": legend,
            "colorbar": {"title": {"text": "Score"}, "thickness": 12, "len": 0.8},
        }
        traces.append(scatter(scored, "scored rows", marker, False))
    if not unscored.empty:
        traces.append(scatter(unscored, "no score", {"color": _OTHER}, False))
    return traces


def _layout(rows: pd.DataFrame, x: str, y: str, title: str, *, width: int, height: int) -> Any:
    frame = _plotted(rows, x, y)
    top_x = float(pd.to_numeric(frame[x]).max()) if not frame.empty else 1.0
    top_y = float(pd.to_numeric(frame[y]).max()) if not frame.empty else 1.0
    top_x = top_x if math.isfinite(top_x) and top_x > 0 else 1.0
    top_y = top_y if math.isfinite(top_y) and top_y > 0 else 1.0
    diagonal = max(top_x, top_y) * 1.1
    return {
        "title": {"text": title, "x": 0.02, "font": {"size": 14}},
        "width": width,
        "height": height,
        "margin": {"l": 50, "r": 10, "t": 36, "b": 45},
        "xaxis": {"title": {"text": _LABELS[x]}, "range": [0, top_x * 1.1], "zeroline": False},
        "yaxis": {"title": {"text": _LABELS[y]}, "range": [0, top_y * 1.1], "zeroline": False},
        "shapes": [
            {
                "type": "line",
                "xref": "x",
                "yref": "y",
                "x0": 0,
                "y0": 0,
                "x1": diagonal,
                "y1": diagonal,
                "line": {"color": "#5f6b7a", "width": 1, "dash": "dash"},
            }
        ],
        "annotations": [
            {
                "x": min(top_x, top_y) * 0.95,
                "y": min(top_x, top_y) * 0.95,
                "xref": "x",
                "yref": "y",
                "text": "45°",
                "showarrow": False,
                "xanchor": "left",
                "font": {"color": "#5f6b7a", "size": 11},
            }
        ],
        "legend": {"orientation": "h", "y": -0.2, "font": {"size": 10}},
        "plot_bgcolor": "#f6f8fa",
        "hovermode": "closest",
    }


def plane_figure(
    rows: pd.DataFrame,
    plane: str = "sei-bei",
    *,
    colour_by: str = "score",
    query_inchikey: str | None = None,
    width: int = 420,
    height: int = 400,
) -> Any:
    """One efficiency plane of stored rows as a plotly ``go.Figure``: a point per row with
    both indices, coloured by ``colour_by`` (``"score"`` or ``"target"``), the query's own
    rows drawn as diamonds, and the 45° guide (angle = arctan(y / x) is a property of the
    molecule: points on the guide balance the two indices).

    Example:
        >>> rows = pd.DataFrame({"sei": [8.8, 5.5], "bei": [19.1, 12.1], "final_score": [0.3, 0.1],
        ...                      "inchikey": ["A", "B"]})
        >>> fig = plane_figure(rows, "sei-bei", query_inchikey="A")
        >>> len(fig.data[0].x), fig.layout.shapes[0].x1 == fig.layout.shapes[0].y1
        (2, True)
    """
    chosen = {f"{x}-{y}": (x, y, t) for x, y, t in PLANES}
    if plane not in chosen:
        raise InvalidInput(f"plane must be one of {', '.join(chosen)}, not {plane!r}")
    if colour_by not in COLOUR_BY.values():
        raise InvalidInput(f"colour_by must be score or target, not {colour_by!r}")
    x, y, title = chosen[plane]
    traces = _traces(rows, x, y, colour_by, query_inchikey, legend=True)
    layout = _layout(rows, x, y, title, width=width, height=height)
    return _go().Figure(data=traces, layout={**layout, "showlegend": colour_by == "target"})


def point_html(record: pd.Series) -> str:
    """The side panel for one row: its structure (SVG) and values.

    Example:
        >>> html_ = point_html(pd.Series({"canonical_smiles": "CCO", "pref_name": "ETHANOL",
        ...                               "sei": 1.5, "final_score": 0.2}))
        >>> "<svg" in html_, "ETHANOL" in html_
        (True, True)
    """
    svg = depict_svg(_text(record.get("canonical_smiles")) or None, width=260, height=190)
    name = _text(record.get("pref_name")) or _text(record.get("molecule_chembl_id"))
    ident = _text(record.get("molecule_chembl_id"))
    value = _text(record.get("value_nm"))
    items = [
        ("Target", _target(record)),
        ("Activity", f"{_text(record.get('standard_type'))} {value} nM" if value else ""),
        ("pActivity", _text(record.get("pactivity"))),
        ("Similarity", _text(record.get("similarity"))),
        ("SEI / BEI", f"{_text(record.get('sei'))} / {_text(record.get('bei'))}"),
        ("NSEI / NBEI", f"{_text(record.get('nsei'))} / {_text(record.get('nbei'))}"),
        ("Score", _text(record.get("final_score"))),
    ]
    cells = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in items if v
    )
    title = html.escape(name) + (f" <small>{html.escape(ident)}</small>" if ident != name else "")
    return (
        f'<div class="impulator-compound-point-svg">{svg}</div>'
        f'<div class="impulator-compound-point-name">{title} '
        f"{theme.badge(record.get('classification'))}</div>"
        f'<table class="impulator-compound-point-values">{cells}</table>'
        '<p class="impulator-empty">Click the point for its score breakdown.</p>'
    )


_HINT = (
    '<p class="impulator-empty">Hover a point to see its structure and values here; '
    "click it for its score breakdown.</p>"
)


class PlanesPanel:
    """Both planes as FigureWidgets, a "colour by" dropdown and the hover side panel.

    ``on_select(row)`` is called with the row position (in ``rows``) of a clicked point.
    """

    def __init__(
        self,
        rows: pd.DataFrame,
        *,
        query_inchikey: str | None = None,
        on_select: Callable[[int], None] | None = None,
    ) -> None:
        w = theme.widgets()
        self.rows = rows.reset_index(drop=True)
        self.query_inchikey = query_inchikey
        self.on_select = on_select
        self.colour = w.Dropdown(
            options=list(COLOUR_BY),
            value="Score",
            description="Colour by",
            layout=w.Layout(width="220px"),
        )
        self.colour.add_class("impulator-compound-colour-by")
        legend = w.HTML(
            '<span class="impulator-empty">Diamonds: the compound itself; circles: its '
            "neighbours. Dashed: the 45° guide (SEI = BEI).</span>"
        )
        self.side = w.HTML(_HINT, layout=w.Layout(width="290px"))
        self.side.add_class("impulator-compound-hover")
        # The traces go in with the figure: its browser side only starts listening for
        # changes once plotly's bundle has loaded, and a change sent before that is lost.
        self.figures = [
            figure_widget(
                data=_traces(self.rows, x, y, "score", query_inchikey, legend=i == 0),
                layout=_layout(self.rows, x, y, title, width=410, height=400),
            )
            for i, (x, y, title) in enumerate(PLANES)
        ]
        for figure in self.figures:
            figure.add_class("impulator-compound-plane")
            self._bind(figure)
        self.colour.observe(self._on_colour, names="value")
        plotted = len(_plotted(self.rows, "sei", "bei"))
        missing = len(self.rows) - plotted
        note = w.HTML(
            theme.status_html(f"{missing} row(s) without efficiency indices are not plotted.")
            if missing
            else ""
        )
        self.widget = w.VBox(
            [w.HBox([self.colour, legend]), w.HBox([*self.figures, self.side]), note]
        )
        self.widget.add_class("impulator-compound-planes")

    def _draw(self, colour_by: str) -> None:
        for i, (figure, (x, y, _)) in enumerate(zip(self.figures, PLANES, strict=True)):
            traces = _traces(self.rows, x, y, colour_by, self.query_inchikey, legend=i == 0)
            with figure.batch_update():
                figure.data = []
                if traces:
                    figure.add_traces(traces)
                # A single target still gets its legend entry (plotly hides a lone one).
                figure.layout.showlegend = colour_by == "target" and i == 0
            self._bind(figure)

    def _bind(self, figure: Any) -> None:
        for trace in figure.data:
            trace.on_hover(self._hovered)
            trace.on_click(self._clicked)

    def _on_colour(self, change: dict[str, Any]) -> None:
        colour_by = COLOUR_BY.get(str(change["new"]), "score")
        run_guarded(lambda: self._draw(colour_by), self.side, "recolouring the planes")

    def _row_of(self, trace: Any, points: Any) -> int | None:
        indices = list(getattr(points, "point_inds", []) or [])
        if not indices or trace.customdata is None:
            return None
        return int(trace.customdata[indices[0]])

    def show_point(self, row: int) -> None:
        """Show row ``row`` (position in ``rows``) in the side panel."""
        self.side.value = point_html(self.rows.iloc[row])

    def _hovered(self, trace: Any, points: Any, state: Any = None) -> None:
        run_guarded(lambda: self._point(trace, points, select=False), self.side, "hovering")

    def _clicked(self, trace: Any, points: Any, state: Any = None) -> None:
        run_guarded(lambda: self._point(trace, points, select=True), self.side, "clicking")

    def _point(self, trace: Any, points: Any, *, select: bool) -> None:
        """Show the point under the mouse; ``select``: tell ``on_select`` too."""
        row = self._row_of(trace, points)
        if row is None:
            return
        self.show_point(row)
        if select and self.on_select is not None:
            self.on_select(row)
