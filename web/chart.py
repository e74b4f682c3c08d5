"""A small line chart as SVG coordinates for a template: documents per run over time, no script and no inline style."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 400  # viewBox units; the chart is at most 32rem wide, so 14-unit labels stay readable at 375 px too
HEIGHT = 200
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 36  # room for the axis labels


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str  # "12 dokument, 5 mars 2024 kl. 14.05" (a tooltip; the table carries the numbers for everyone)


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: str  # for <polyline points="…">
    dots: list[Dot]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    baseline: float  # y of the x axis
    left: int


def _y_range(values: Sequence[int]) -> tuple[int, int]:
    """A range that shows change: from a little below the lowest value (0 when it is near) to above the highest."""
    low, high = min(values), max(values)
    if high == low:
        return max(0, low - 1), high + 1
    pad = max(1, (high - low) // 5)
    bottom = 0 if low - pad <= (high - low) else low - pad
    return bottom, high + pad


def line_chart(values: Sequence[int], when: Sequence[str], labels: Sequence[str], value_text: Sequence[str]) -> Chart | None:
    """A chart of ``values`` in time order (oldest first); ``when`` is the short x label of each point, ``labels``
    the full one. None with fewer than two points: one run is a number, not a trend."""
    if len(values) < 2:
        return None
    low, high = _y_range(values)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(i: int) -> float:
        return round(LEFT + plot_w * i / (len(values) - 1), 1)

    def y_of(v: int) -> float:
        return round(TOP + plot_h * (1 - (v - low) / (high - low)), 1)

    dots = [Dot(x_of(i), y_of(v), f"{value_text[i]}, {labels[i]}") for i, v in enumerate(values)]
    y_ticks = [Tick(LEFT - 8, y_of(v), f"{v:,}".replace(",", "\u00a0")) for v in sorted({min(values), max(values)})]
    x_ticks = [Tick(x_of(i), HEIGHT - BOTTOM + 20, when[i]) for i in sorted({0, len(values) - 1})]
    return Chart(WIDTH, HEIGHT, " ".join(f"{d.x},{d.y}" for d in dots), dots, y_ticks, x_ticks, HEIGHT - BOTTOM, LEFT)
