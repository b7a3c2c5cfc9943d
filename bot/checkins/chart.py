"""A small symptom chart as data for a server-rendered SVG: pure, no drawing library.

Each point keeps its value, grade and date so the page (and a browser test) can read what
was drawn; the dashed line marks where grade 2 begins ("call today").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT, PAD = 320, 120, 24


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    value: int
    grade: int | None
    at: datetime


@dataclass(frozen=True)
class Chart:
    question: str
    label: str
    y_max: int
    threshold_y: float | None  # the grade-2 line
    dots: tuple[Dot, ...]
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD

    @property
    def polyline(self) -> str:
        return " ".join(f"{d.x:.1f},{d.y:.1f}" for d in self.dots)

    @property
    def bottom(self) -> int:
        return self.height - self.pad


def build(
    question: str,
    label: str,
    points: Sequence[tuple[datetime, int, int | None]],
    y_max: int,
    grade2_at: int | None,
) -> Chart:
    """Points (when, value, grade), oldest first, spaced evenly left to right."""
    top = max([y_max, *(v for _, v, _ in points)])
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def y_of(value: int) -> float:
        return HEIGHT - PAD - inner_h * value / top

    step = inner_w / (len(points) - 1) if len(points) > 1 else 0
    dots = tuple(
        Dot(PAD + (i * step if len(points) > 1 else inner_w / 2), y_of(v), v, g, at)
        for i, (at, v, g) in enumerate(points)
    )
    line = y_of(grade2_at) if grade2_at is not None and grade2_at <= top else None
    return Chart(question, label, top, line, dots)
