"""Server-rendered SVG bar charts: geometry here, markup in templates/macros/charts.html (no JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    css: str  # class of the bars (colours in app.css)


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str
    value: float
    href: str | None


@dataclass
class BarChart:
    """Horizontal stacked bars, one row per label; every segment links to the dossiers behind it."""

    title: str
    series: Sequence[Series]
    width: int = 640
    row_height: int = 26
    label_width: int = 170
    rows: list[tuple[str, list[Segment], float]] = field(default_factory=list)

    @property
    def height(self) -> int:
        return 24 + len(self.rows) * (self.row_height + 8) + 8

    @property
    def plot_width(self) -> int:
        return self.width - self.label_width - 50


def stacked_bars(
    title: str,
    series: Sequence[Series],
    rows: Sequence[tuple[str, Sequence[float | None], Sequence[str | None]]],
) -> BarChart:
    """`rows`: (label, one value per series, one drill-down link per series)."""
    chart = BarChart(title=title, series=series)
    biggest = max((sum(v or 0 for v in values) for _, values, _ in rows), default=0) or 1
    for i, (label, values, links) in enumerate(rows):
        y = 24 + i * (chart.row_height + 8)
        x = float(chart.label_width)
        segments = []
        for s, value, href in zip(series, values, links, strict=True):
            width = chart.plot_width * (value or 0) / biggest
            if value:
                segments.append(
                    Segment(
                        x,
                        y,
                        max(width, 2.0),
                        chart.row_height,
                        s.css,
                        f"{label} — {s.label}: {value:g}",
                        value,
                        href,
                    )
                )
            x += width
        chart.rows.append((label, segments, sum(v or 0 for v in values)))
    return chart
