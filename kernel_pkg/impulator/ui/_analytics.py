"""The Analytics page: score distribution, classes, flag prevalence, targets, trends.

The numbers come from the database as the calling user sees it (row-level security on
PostgreSQL): :func:`impulator.store.analytics` for counts, scores, classes and trends, and
two aggregates of this module for what it does not give (per-target summaries and flag
prevalence). On a Voila page whose server serves plotly's widget bundle the figures are
``FigureWidget`` s that import it (the page draws before plotly.js has loaded, the figures
follow); elsewhere (JupyterLab) they are ``application/vnd.plotly.v1+json`` outputs, drawn by
the local jupyterlab-plotly renderer. Either way nothing loads from a CDN and plotly.js is not
sent through the kernel once per figure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from impulator import store
from impulator.store import (
    FLAG_COLUMNS,
    SCORE_BINS,
    STRONG_CLASSES,
    TARGET_COLUMNS,
    UNSCORED,
    flag_prevalence,
    target_summary,
)
from impulator.ui import _theme as theme
from impulator.ui._pagekit import guarded, run_guarded, title
from impulator.ui._planes import figure_widget, served_plotly_widget

__all__ = [
    "FIGURES",
    "FLAG_COLUMNS",
    "PLOTLY_MIME",
    "TARGET_COLUMNS",
    "AnalyticsPage",
    "AnalyticsSummary",
    "analytics_figures",
    "flag_prevalence",
    "show_analytics",
    "summarize_analytics",
    "target_summary",
]

#: The figures of :func:`analytics_figures`, in page order.
FIGURES: tuple[str, ...] = ("scores", "classes", "flags", "trends")
#: The output type that the jupyterlab-plotly renderer draws.
PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: The output type of a widget shown in an Output widget.
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"


@dataclass(frozen=True, eq=False)
class AnalyticsSummary:
    """Everything the Analytics page shows, as the calling user sees it.

    Attributes:
        numbers: :func:`impulator.store.analytics` (counts, score bins, classes, trends).
        flagged_compounds: compounds whose own structure raises at least one flag.
        targets: :func:`target_summary`.
        flags: :func:`flag_prevalence`.
    """

    numbers: dict[str, Any]
    flagged_compounds: int
    targets: pd.DataFrame = field(repr=False)
    flags: pd.DataFrame = field(repr=False)


def summarize_analytics(url: str | None = None) -> AnalyticsSummary:
    """The Analytics page's numbers.

    Raises:
        StoreUnavailable, PermissionDenied: the database cannot be read.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> s = summarize_analytics(url)
        >>> s.numbers["total_compounds"], s.flagged_compounds, len(s.targets)
        (0, 0, 0)
    """
    numbers = store.analytics(url)
    flagged = store.flagged_compounds(url)
    return AnalyticsSummary(numbers, flagged, target_summary(url), flag_prevalence(url))


def analytics_figures(summary: AnalyticsSummary) -> dict[str, Any]:
    """The page's plotly figures (``go.Figure``): ``scores``, ``classes``, ``flags``,
    ``trends``.

    Example:
        >>> import pandas as pd
        >>> numbers = {"score_distribution": [], "class_counts": {}, "trends": []}
        >>> flags = pd.DataFrame(columns=list(FLAG_COLUMNS))
        >>> sorted(analytics_figures(AnalyticsSummary(numbers, 0, pd.DataFrame(), flags)))
        ['classes', 'flags', 'scores', 'trends']
    """
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    n = summary.numbers
    layout = {
        "height": 300,
        "margin": {"l": 50, "r": 20, "t": 40, "b": 50},
        "template": "plotly_white",
        "font": {"family": "system-ui, sans-serif", "size": 12},
    }
    bins = n.get("score_distribution") or [
        {"lower": lo, "upper": hi, "count": 0} for lo, hi in SCORE_BINS
    ]
    scores = go.Figure(
        go.Bar(
            x=[f"{b['lower']:.1f}–{b['upper']:.1f}" for b in bins],
            y=[b["count"] for b in bins],
            marker_color=theme.COLOURS["primary"],
            hovertemplate="best score %{x}: %{y} compounds<extra></extra>",
        ),
        layout={
            **layout,
            "title": "Best score distribution",
            "xaxis_title": "best score",
            "yaxis_title": "compounds",
        },
    )
    order = [*theme.CLASS_COLOURS, UNSCORED]
    counts = dict(n.get("class_counts") or {})
    names = [c for c in order if c in counts] + sorted(set(counts) - set(order))
    classes = go.Figure(
        go.Bar(
            x=names,
            y=[counts[c] for c in names],
            marker_color=[theme.CLASS_COLOURS.get(c, "#b0b7c3") for c in names],
            hovertemplate="%{x}: %{y} compounds<extra></extra>",
        ),
        layout={**layout, "title": "Best class", "yaxis_title": "compounds"},
    )
    flags = summary.flags
    flag_figure = go.Figure(
        go.Bar(
            x=[str(f).replace("_", " ") for f in flags["flag"]],
            y=[100 * float(s) for s in flags["share"]],
            customdata=list(zip(flags["flagged"], flags["structures"], strict=True)),
            marker_color=theme.COLOURS["warning"],
            hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]} of %{customdata[1]})<extra></extra>",
        ),
        layout={
            **layout,
            "title": "Flag prevalence (neighbourhood structures)",
            "yaxis_title": "% of structures",
        },
    )
    trend = n.get("trends") or []
    trends = go.Figure(
        go.Bar(
            x=[t["day"] for t in trend],
            y=[t["count"] for t in trend],
            marker_color=theme.COLOURS["accent"],
            hovertemplate="%{x}: %{y} compounds stored<extra></extra>",
        ),
        layout={
            **layout,
            "title": "Compounds stored per day (UTC, last 30 days)",
            "yaxis_title": "compounds",
        },
    )
    figures = {"scores": scores, "classes": classes, "flags": flag_figure, "trends": trends}
    for name, figure in figures.items():
        values = [v for v in figure.data[0].y or () if v is not None]
        if name != "flags" and values and max(values) <= 5:
            figure.update_yaxes(dtick=1)  # counts: no 0.5 compounds on the axis
        if not any(values):
            figure.add_annotation(
                text="Nothing to show yet",
                showarrow=False,
                xref="paper",
                yref="paper",
                x=0.5,
                y=0.5,
                font={"color": "#5f6b7a"},
            )
            figure.update_yaxes(range=[0, 1], showticklabels=False)
    return figures


_TARGET_TABLE: list[theme.Column] = [
    ("target_chembl_id", "Target"),
    ("target_pref_name", "Name"),
    ("compounds", "Compounds"),
    ("rows", "Rows"),
    ("median_score", "Median score"),
]


class AnalyticsPage:
    """The widgets of the Analytics page (``widget`` is the page); ``figures`` maps a name
    of :func:`analytics_figures` to the ``go.Figure`` shown, ``outputs`` to the Output widget
    it is shown in, and ``widgets`` to its FigureWidget on a page that draws with them."""

    def __init__(self, url: str | None = None) -> None:
        w = theme.widgets()
        self.url = url
        self.summary: AnalyticsSummary | None = None
        self.figures: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        self.widgets: dict[str, Any] = {}  # the FigureWidgets shown, when plotly's is served
        for name in FIGURES:
            output = w.Output()
            output.add_class("impulator-analytics-figure")
            output.add_class(f"impulator-analytics-{name}")
            self.outputs[name] = output
        self.error = w.HTML()
        self.error.add_class("impulator-analytics-error")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.refresh_button.add_class("impulator-analytics-refresh")
        self.refreshed = w.HTML()
        self.refreshed.add_class("impulator-analytics-refreshed")
        self.tiles = w.HBox()
        self.tiles.add_class("impulator-tiles")
        self.tiles.add_class("impulator-analytics-tiles")
        self.charts = w.GridBox(
            list(self.outputs.values()),
            layout=w.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))", grid_gap="12px"),
        )
        self.charts.add_class("impulator-analytics-charts")
        self.targets = w.HTML()
        self.targets.add_class("impulator-analytics-targets")
        self.refresh_button.on_click(
            guarded(self.refresh, self.error, "refreshing the Analytics page")
        )
        self.widget = theme.page_frame(
            "Analytics",
            w.HBox([self.refresh_button, self.refreshed, self.error]),
            self.tiles,
            self.charts,
            title("Targets (most compounds first)", "impulator-analytics-targets-title"),
            self.targets,
        )
        self.widget.add_class("impulator-analytics")
        self.refresh()

    def refresh(self) -> None:
        """Read the numbers again and redraw (errors are shown on the page, never raised)."""
        self.refreshed.value = theme.status_html("Computing…", "busy")
        summary = run_guarded(
            lambda: summarize_analytics(self.url), self.error, "reading the Analytics numbers"
        )
        if summary is None:
            self.refreshed.value = ""
            return
        self.error.value = ""
        self.summary = summary
        self._show(summary)
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        self.refreshed.value = theme.status_html(f"updated {stamp} UTC", "info")

    def _show(self, s: AnalyticsSummary) -> None:
        n = s.numbers
        mean = n.get("mean_score")
        self.tiles.children = [
            theme.tile(
                "Compounds", n["total_compounds"], "yours and shared with you", name="compounds"
            ),
            theme.tile(
                "Mean best score",
                None if mean is None else round(float(mean), 3),
                "over scored compounds",
                name="mean",
            ),
            theme.tile(
                "Strong IMP or better",
                n["strong_imps_or_better"],
                " or ".join(reversed(STRONG_CLASSES)),
                name="strong",
            ),
            theme.tile(
                "Flagged compounds",
                s.flagged_compounds,
                "their own structure raises a flag",
                name="flagged",
            ),
        ]
        self.figures = analytics_figures(s)
        served = served_plotly_widget() is not None
        for name, figure in self.figures.items():
            data = json.loads(figure.to_json())
            if served:
                # A new widget per refresh: traces sent before its browser side listens
                # would be lost (see impulator.ui._planes).
                old = self.widgets.pop(name, None)
                self.widgets[name] = figure_widget(**data)
                if old is not None:
                    old.close()
                data = {
                    WIDGET_VIEW_MIME: {
                        "model_id": self.widgets[name].model_id,
                        "version_major": 2,
                        "version_minor": 0,
                    }
                }
            else:
                data = {PLOTLY_MIME: data}
            self.outputs[name].outputs = (
                {"output_type": "display_data", "data": data, "metadata": {}},
            )
        self.targets.value = theme.html_table(
            s.targets, _TARGET_TABLE, empty="No scored rows yet: analyse compounds first."
        )


def show_analytics(url: str | None = None) -> Any:
    """The Analytics page as one widget: tiles, score distribution, classes, flag
    prevalence, compounds stored per day, and per-target summaries.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> page = show_analytics(url)
        >>> "impulator-analytics" in page._dom_classes
        True
    """
    return AnalyticsPage(url).widget
