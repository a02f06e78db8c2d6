"""Bar charts drawn on the server as SVG: no script, nothing to download, readable at 360 px.

Each bar's label sits on its own line above the bar, so long skill names never squeeze the
bars on a narrow phone. Colours and sizes are SVG attributes rather than CSS, which the pages'
Content-Security-Policy would refuse inline. A chart names itself (title and desc) for screen
readers, and every page shows the same numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 320
LABEL_HEIGHT = 16  # a label line above each group of bars
BAR_HEIGHT = 14
GAP = 10  # between groups
VALUE_ROOM = 36  # right of the longest bar, for its number
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK = "#1b1b1b"
CHAR_WIDTH = 6.6  # a rough width of one character at 12 px, to lay out the legend


@dataclass(frozen=True)
class Series:
    """One kind of bar: its name in the legend and its colour (dark enough on white)."""

    name: str
    colour: str


# Colours with at least 3:1 contrast on white, told apart by the legend and the tables too.
PRESENT = Series("Present", "#0b6b2b")
LATE = Series("Late", "#8a5a00")
NO_SHOW = Series("No-show", "#b00020")
UNMARKED = Series("Not marked", "#6f6f6f")
BEFORE = Series("At the start", "#6f6f6f")
AFTER = Series("At the end", "#00539f")
LEARNERS = Series("Learners", "#00539f")


def bar_chart(chart_id: str, title: str, description: str, labels: Sequence[str],
              series: Sequence[Series], values: Sequence[Sequence[int]], *,
              stacked: bool = False) -> Markup:
    """Horizontal bars, one group per label: `values[i][j]` is label i's number for series j.

    Stacked: one bar per label made of the series end to end, with the total after it.
    Otherwise one thin bar per series under the label, each with its own number.
    """
    lines, y = _legend(series) if len(series) > 1 else ([], 0)
    totals = [sum(row) for row in values] if stacked else [v for row in values for v in row]
    largest = max(totals, default=0) or 1
    room = WIDTH - VALUE_ROOM
    for label, row in zip(labels, values, strict=True):
        y += LABEL_HEIGHT
        lines.append(_text(0, y - 4, _fit(label)))
        if stacked:
            x = 0.0
            for part, value in zip(series, row, strict=True):
                width = room * value / largest
                if width:
                    lines.append(_rect(x, y, width, part.colour, f"{part.name}: {value}"))
                x += width
            lines.append(_text(x + 4, y + BAR_HEIGHT - 3, str(sum(row))))
            y += BAR_HEIGHT
        else:
            for part, value in zip(series, row, strict=True):
                width = room * value / largest
                if width:
                    lines.append(_rect(0, y, width, part.colour, f"{part.name}: {value}"))
                lines.append(_text(width + 4, y + BAR_HEIGHT - 3, str(value)))
                y += BAR_HEIGHT + 2
        y += GAP
    height = max(y, LABEL_HEIGHT)
    return _svg(chart_id, title, description, height, lines)


def _svg(chart_id: str, title: str, description: str, height: float, lines: list[str]
         ) -> Markup:
    """The drawing, named for screen readers by its title and description."""
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
            f'viewBox="0 0 {WIDTH} {height:g}" width="{WIDTH}" height="{height:g}" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
            f'font-family="{FONT}" font-size="12">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>')
    drawing = head + "".join(lines) + "</svg>"
    return Markup(drawing)  # noqa: S704 - every value escaped above  # nosec B704


def _legend(series: Sequence[Series]) -> tuple[list[str], float]:
    """Coloured squares with their names, wrapping onto a second line when they must."""
    lines, x, y = [], 0.0, 0.0
    for part in series:
        width = 14 + len(part.name) * CHAR_WIDTH
        if x and x + width > WIDTH:
            x, y = 0.0, y + LABEL_HEIGHT
        lines.append(f'<rect x="{x:g}" y="{y + 3:g}" width="10" height="10" '
                     f'fill="{escape(part.colour)}"/>')
        lines.append(_text(x + 14, y + 12, part.name))
        x += width + 12
    return lines, y + LABEL_HEIGHT + 4


def _fit(label: str) -> str:
    """The label cut to the chart's width (the table beside it has it whole)."""
    most = int(WIDTH / CHAR_WIDTH)
    return label if len(label) <= most else label[:most - 1].rstrip() + "…"


def _text(x: float, y: float, words: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" fill="{INK}">{escape(words)}</text>'


def _rect(x: float, y: float, width: float, colour: str, tip: str) -> str:
    # A white edge keeps the parts of a stacked bar apart for those who do not see the colours.
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{escape(colour)}" stroke="#fff" stroke-width="1">'
            f'<title>{escape(tip)}</title></rect>')


LINE_HEIGHT = 150  # the plotting area of a line chart
LINE_LEFT = 28  # room for the scale's numbers


def line_chart(chart_id: str, title: str, description: str, labels: Sequence[str],
               series: Sequence[Series], values: Sequence[Sequence[float | None]], *,
               low: float, high: float) -> Markup:
    """Lines over time on a fixed scale low..high: `values[i][j]` is series j at label i.

    A blank value leaves a gap in its line. Each point carries its number as a tooltip, the
    lowest and highest of the scale are written on the left, and the labels run underneath
    (every other one when they would crowd).
    """
    lines, top = _legend(series) if len(series) > 1 else ([], 0)
    room = WIDTH - LINE_LEFT - 8
    step = room / max(len(labels) - 1, 1)
    span = (high - low) or 1

    def y_of(value: float) -> float:
        return top + LINE_HEIGHT * (1 - (value - low) / span)

    bottom = top + LINE_HEIGHT
    lines.append(f'<line x1="{LINE_LEFT}" y1="{top:g}" x2="{LINE_LEFT}" y2="{bottom:g}" '
                 f'stroke="{INK}" stroke-width="1"/>')
    lines.append(f'<line x1="{LINE_LEFT}" y1="{bottom:g}" x2="{WIDTH - 4}" y2="{bottom:g}" '
                 f'stroke="{INK}" stroke-width="1"/>')
    lines.append(_text(0, top + 10, f"{high:g}"))
    lines.append(_text(0, bottom, f"{low:g}"))
    every = 1 if len(labels) * 48 <= room else 2
    for index, label in enumerate(labels):
        if index % every == 0:
            words = label[:9]
            wide = len(words) * CHAR_WIDTH  # centred under its point, kept inside the chart
            x = min(max(LINE_LEFT + index * step - wide / 2, 0), WIDTH - wide)
            lines.append(_text(x, bottom + 14, words))
    for number, part in enumerate(series):
        runs: list[list[tuple[float, float]]] = [[]]
        for index, row in enumerate(values):
            value = row[number]
            if value is None:
                runs.append([])
                continue
            x, y = LINE_LEFT + index * step, y_of(value)
            runs[-1].append((x, y))
            lines.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{escape(part.colour)}">'
                         f'<title>{escape(f"{part.name}, {labels[index]}: {value:g}")}</title>'
                         f'</circle>')
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                lines.append(f'<polyline points="{points}" fill="none" stroke-width="2" '
                             f'stroke="{escape(part.colour)}"/>')
    height = bottom + 22
    return _svg(chart_id, title, description, height, lines)
