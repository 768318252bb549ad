"""Charts as inline SVG, drawn in Python: nothing to load, nothing to run in the browser.

Every chart is an `<svg class="chart">`; each drawn datum (a line, a point, a bar, a node, an
edge) has the class `mark` and `data-*` attributes naming what it shows, so a reader (or a
test) can tell a chart that shows something from an empty frame.

Example:
    >>> canvas = Canvas(120, 40, "one bar")
    >>> canvas.rect(0, 10, 50, 20, fill="#4c72b0", mark={"label": "a", "value": 3})
    >>> svg = canvas.render()
    >>> svg.startswith('<svg class="chart"') and 'data-value="3"' in svg
    True
    >>> nice_ceiling(7), nice_ceiling(0), nice_ceiling(130)
    ((8, 2), (1, 1), (150, 50))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

FONT = "system-ui, sans-serif"
INK = "#222"
FAINT = "#ddd"
MUTED = "#666"


def _attributes(values: Mapping[str, object]) -> str:
    return "".join(
        f' {name.replace("_", "-")}="{escape(str(value))}"'
        for name, value in values.items()
        if value is not None
    )


def _mark(mark: Mapping[str, object] | None) -> dict[str, object]:
    """The attributes of a drawn datum: class `mark` and its `data-*` values."""
    if mark is None:
        return {}
    return {"class": "mark", **{f"data-{name}": value for name, value in mark.items()}}


class Canvas:
    """An SVG drawing of a fixed size, built element by element."""

    def __init__(self, width: float, height: float, title: str):
        self.width, self.height, self.title = width, height, title
        self.parts: list[str] = []

    def element(self, name: str, attributes: Mapping[str, object], content: str = "") -> None:
        inner = f"<title>{escape(content)}</title>" if content else ""
        self.parts.append(f"<{name}{_attributes(attributes)}>{inner}</{name}>")

    def rect(self, x, y, width, height, *, fill, stroke=None, rx=0, mark=None, tip=""):
        shape = {"x": _n(x), "y": _n(y), "width": _n(width), "height": _n(height), "rx": rx}
        self.element("rect", {**shape, "fill": fill, "stroke": stroke, **_mark(mark)}, tip)

    def line(self, x1, y1, x2, y2, *, stroke=FAINT, width=1):
        ends = {"x1": _n(x1), "y1": _n(y1), "x2": _n(x2), "y2": _n(y2)}
        self.element("line", {**ends, "stroke": stroke, "stroke_width": width})

    def polyline(self, points: Sequence[tuple[float, float]], *, stroke, width=2, mark=None):
        drawn = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        style = {"fill": "none", "stroke": stroke, "stroke_width": width}
        self.element("polyline", {"points": drawn, **style, **_mark(mark)})

    def circle(self, cx, cy, r, *, fill, mark=None, tip=""):
        self.element(
            "circle", {"cx": _n(cx), "cy": _n(cy), "r": r, "fill": fill, **_mark(mark)}, tip
        )

    def path(self, d: str, *, stroke, width=1.5, arrow=False, mark=None, tip=""):
        style = {"fill": "none", "stroke": stroke, "stroke_width": _n(width)}
        end = {"marker_end": "url(#arrow)"} if arrow else {}
        self.element("path", {"d": d, **style, **end, **_mark(mark)}, tip)

    def text(
        self, x, y, content: str, *, anchor="start", size=12, weight=None, fill=INK, data=None
    ):
        """A text; `data`: `data-*` attributes saying what it labels."""
        attributes = {"x": _n(x), "y": _n(y), "text_anchor": anchor, "font_size": size}
        attributes |= {"font_weight": weight, "fill": fill}
        attributes |= {f"data-{name}": value for name, value in (data or {}).items()}
        self.parts.append(f"<text{_attributes(attributes)}>{escape(content)}</text>")

    def render(self) -> str:
        arrow = (
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
            'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{MUTED}"/></marker></defs>'
        )
        size = {"width": _n(self.width), "height": _n(self.height)}
        frame = {"class": "chart", **size}  # inline in HTML: no namespace to declare
        frame |= {"viewBox": f"0 0 {_n(self.width)} {_n(self.height)}", "role": "img"}
        frame |= {"aria_label": self.title, "font_family": FONT}
        head = f"<svg{_attributes(frame)}><title>{escape(self.title)}</title>{arrow}"
        return head + "".join(self.parts) + "</svg>"


def _n(value: float) -> str:
    """A coordinate as short text (one decimal at most)."""
    rounded = round(float(value), 1)
    return str(int(rounded)) if rounded.is_integer() else str(rounded)


def nice_ceiling(largest: float) -> tuple[int, int]:
    """An axis top at or above `largest` and its tick step (1, 2 or 5 times a power of ten),
    about four ticks high."""
    if largest <= 0:
        return 1, 1
    raw = largest / 4
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return int(math.ceil(largest / step) * step), int(step)


@dataclass(frozen=True)
class Series:
    """One line of a line chart: its name, colour and a value per day."""

    name: str
    color: str
    values: Sequence[int]


def line_chart(days: Sequence[date], series: Sequence[Series], title: str) -> str:
    """A line per series over the days (a point on each day, with its value as a tooltip),
    an integer y axis from 0, and a legend."""
    width, height = 720, 260
    left, right, top, bottom = 48, 16, 34, 40
    plot_width, plot_height = width - left - right, height - top - bottom
    canvas = Canvas(width, height, title)
    top_value, step = nice_ceiling(max((max(s.values, default=0) for s in series), default=0))

    def x(i: int) -> float:
        return left + plot_width / 2 if len(days) == 1 else left + i * plot_width / (len(days) - 1)

    def y(value: float) -> float:
        return top + plot_height * (1 - value / top_value)

    for tick in range(0, top_value + 1, step):
        canvas.line(left, y(tick), width - right, y(tick))
        canvas.text(left - 6, y(tick) + 4, str(tick), anchor="end", size=11, fill=MUTED)
    every = max(1, math.ceil(len(days) / 8))
    for i, day in enumerate(days):
        if i % every == 0 or i == len(days) - 1:
            canvas.text(x(i), height - bottom + 18, f"{day.day} {day:%b}", anchor="middle", size=11)
    for number, line in enumerate(series):
        points = [(x(i), y(value)) for i, value in enumerate(line.values)]
        canvas.polyline(points, stroke=line.color, mark={"series": line.name})
        for day, value, (px, py) in zip(days, line.values, points, strict=True):
            mark = {"series": line.name, "day": day.isoformat(), "value": value}
            canvas.circle(
                px, py, 3.5, fill=line.color, mark=mark, tip=f"{day}: {value} {line.name}"
            )
        legend_x = left + number * 130
        canvas.rect(legend_x, 10, 18, 4, fill=line.color)
        canvas.text(legend_x + 24, 16, line.name, size=12)
    return canvas.render()


def bar_chart(bars: Sequence[tuple[str, int]], title: str, *, color: str = "#c44e52") -> str:
    """Horizontal bars, one a label, longest first as given, each with its value."""
    label_width, bar_width, row = 190, 380, 26
    width, height = label_width + bar_width + 70, row * len(bars) + 12
    canvas = Canvas(width, height, title)
    largest = max((value for _, value in bars), default=0) or 1
    for i, (label, value) in enumerate(bars):
        y = 6 + i * row
        canvas.text(label_width - 8, y + 17, label, anchor="end", size=12)
        length = max(2, bar_width * value / largest)
        mark = {"label": label, "value": value}
        canvas.rect(
            label_width, y + 4, length, row - 8, fill=color, mark=mark, tip=f"{label}: {value}"
        )
        canvas.text(label_width + length + 6, y + 17, str(value), size=12)
    return canvas.render()
