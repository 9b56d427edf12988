"""The monitoring map (一张图) as a schematic tile map: one tile per unit, coloured by an indicator.

No official boundary data can ship with the platform (docs/domain.md §21), so the map does not pretend to
be one: each unit directly below the chosen region is a square on a grid, placed by hand to echo the
units' relative geography where a layout is known (the demo city's counties, `LAYOUTS`), and otherwise in
a compact grid in code order. The page says it is a 示意图.

Colours: the units' figures fall into at most five classes (equal steps between the smallest and the
largest figure, or quantiles); the hue says which way is better (red where more is worse, green where
more is better, blue for a plain count), the shade how much. A unit without a figure (a ratio over
nothing) is grey and labelled 无数据.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from dixian.regions.models import Region

    from .catalogue import Indicator
    from .selectors import Figure

Scheme = Literal["equal", "quantile"]
SCHEMES: dict[str, str] = {"equal": "等距分级", "quantile": "分位数分级"}
CLASSES = 5

# Where the units of a city sit on the tile grid: region code -> (column, row), row 0 at the north.
# The demo city 九江市 (docs/domain.md §16), hand-placed to echo the map without claiming to be one:
# 瑞昌, 柴桑, 浔阳 along the Yangtze in the north with 湖口 and 彭泽 east of them downstream; 修水 far west
# and 武宁 west; 德安 and 濂溪 (around 庐山) below the city; 永修, 共青城, 庐山市 in the centre-south on the
# west shore of 鄱阳湖, and 都昌 on its east shore in the south-east.
_JIUJIANG: dict[str, tuple[int, int]] = {
    "360481": (1, 0),  # 瑞昌市
    "360404": (2, 0),  # 柴桑区
    "360403": (3, 0),  # 浔阳区
    "360429": (4, 0),  # 湖口县
    "360430": (5, 0),  # 彭泽县
    "360424": (0, 1),  # 修水县
    "360423": (1, 1),  # 武宁县
    "360426": (2, 1),  # 德安县
    "360402": (3, 1),  # 濂溪区
    "360425": (1, 2),  # 永修县
    "360482": (2, 2),  # 共青城市
    "360483": (3, 2),  # 庐山市
    "360428": (4, 2),  # 都昌县
}
LAYOUTS: dict[str, tuple[int, int]] = {f"{code}000000": pos for code, pos in _JIUJIANG.items()}

# Five shades per hue, lightest first (sequential palettes, light to dark).
PALETTES: dict[str, tuple[str, ...]] = {
    "down": ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"),  # more is worse: reds
    "up": ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"),  # more is better: greens
    "": ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"),  # a plain count: blues
}
NO_DATA_FILL = "#d0d7de"
DARK_TEXT = "#1f2328"
LIGHT_TEXT = "#ffffff"

# Tile geometry in SVG user units; the viewBox scales the whole map to the page's width.
TILE = 100
GAP = 6
MARGIN = 4
DISPLAY_SCALE = 1.2


@dataclass(frozen=True)
class ColourClass:
    index: int  # 0 .. CLASSES-1 (the shade), spread over the palette when there are fewer classes
    low: Decimal
    high: Decimal
    fill: str
    label: str
    count: int


@dataclass(frozen=True)
class Tile:
    region: Region
    figure: Figure
    rank: int | None
    col: int
    row: int
    colour_class: ColourClass | None
    value_text: str
    href: str | None

    @property
    def x(self) -> int:
        return MARGIN + self.col * (TILE + GAP)

    @property
    def y(self) -> int:
        return MARGIN + self.row * (TILE + GAP)

    @property
    def cx(self) -> int:
        return self.x + TILE // 2

    @property
    def fill(self) -> str:
        return self.colour_class.fill if self.colour_class else NO_DATA_FILL

    @property
    def text_fill(self) -> str:
        return LIGHT_TEXT if self.colour_class and self.colour_class.index >= 3 else DARK_TEXT

    @property
    def name_size(self) -> int:
        """A font size that fits the name on the tile (a Chinese character is about 1em wide)."""
        return min(20, (TILE - 10) // max(len(self.region.name), 1))

    @property
    def name_y(self) -> int:
        return self.y + 45

    @property
    def value_y(self) -> int:
        return self.y + 74


@dataclass(frozen=True)
class TileMap:
    tiles: list[Tile]
    classes: list[ColourClass]
    no_data: int  # units without a figure
    width: int
    height: int

    # The size drawn on a wide screen (a tile about 120 px); a narrow screen shrinks it (reports/map.css).
    @property
    def display_width(self) -> int:
        return round(self.width * DISPLAY_SCALE)

    @property
    def display_height(self) -> int:
        return round(self.height * DISPLAY_SCALE)


def number_text(value: Decimal, *, places: int | None = None) -> str:
    """1,234 / 12.5 / 14,767: thousands separated, no trailing zeros of a whole number."""
    if places is None:
        places = 0 if value == value.to_integral_value() else 1
    q = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return f"{q:,.{places}f}"


def value_text(value: Decimal | None, indicator: Indicator) -> str:
    if value is None:
        return "无数据"
    if indicator.is_percent:
        return f"{number_text(value, places=indicator.places)}%"
    return f"{number_text(value)}{indicator.unit}"


def quantum(values: Sequence[Decimal]) -> Decimal:
    """The finest step the figures are written in: 1 for counts, 0.1 for percentages (at most 0.01)."""
    exponent = min((int(v.normalize().as_tuple().exponent) for v in values), default=0)
    return Decimal(1).scaleb(max(min(exponent, 0), -2))


def class_uppers(values: Sequence[Decimal], scheme: Scheme = "equal", k: int = CLASSES) -> list[Decimal]:
    """The upper bound of each class (inclusive), ascending, at most k of them; [] without values.

    Equal steps split [min, max] into k equal parts; quantiles take the nearest-rank value at 1/k, 2/k …
    of the sorted figures, so that each class holds about as many units. Bounds are rounded down to the
    step the figures are written in (whole households, tenths of a percent), so that the legend reads
    "0 – 2, 3 – 5" rather than "0 – 2.6"; bounds that then coincide (few distinct figures, many zeros)
    merge: a map of two different figures has two classes, not five.
    """
    if not values:
        return []
    ordered = sorted(values)
    lo, hi = ordered[0], ordered[-1]
    if lo == hi:
        return [hi]
    if scheme == "quantile":
        n = len(ordered)
        uppers = [ordered[max(math.ceil(i * n / k), 1) - 1] for i in range(1, k + 1)]
        if len(set(uppers)) == 1:  # most units share the largest figure: the rest still look different
            uppers = [lo, hi]
    else:
        step = (hi - lo) / k
        uppers = [lo + step * i for i in range(1, k)] + [hi]
    q = quantum(values)
    return sorted({u.quantize(q, ROUND_FLOOR) for u in uppers} | {hi})


def shade_indices(count: int, k: int = CLASSES) -> list[int]:
    """Which of the k shades `count` classes use: spread from lightest to darkest (one class: the middle)."""
    if count <= 1:
        return [k // 2] * count
    return [round(i * (k - 1) / (count - 1)) for i in range(count)]


def colour_classes(
    values: Sequence[Decimal], indicator: Indicator, scheme: Scheme = "equal"
) -> list[ColourClass]:
    uppers = class_uppers(values, scheme)
    palette = PALETTES[indicator.better]
    places = 1 if indicator.is_percent else None
    q = quantum(values)
    out: list[ColourClass] = []
    for i, (high, shade) in enumerate(zip(uppers, shade_indices(len(uppers)), strict=True)):
        low = min(values) if i == 0 else uppers[i - 1] + q
        members = [v for v in values if low <= v <= high]
        label = (
            number_text(high, places=places)
            if low == high
            else f"{number_text(low, places=places)} – {number_text(high, places=places)}"
        )
        out.append(ColourClass(shade, low, high, palette[shade], label, len(members)))
    return out


def class_of(value: Decimal | None, classes: Sequence[ColourClass]) -> ColourClass | None:
    if value is None:
        return None
    for c in classes:
        if value <= c.high:
            return c
    return classes[-1] if classes else None


def grid_positions(codes: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(column, row) of each code: the hand-made layout where it has one (cropped to the units shown),
    then every other unit in code order in a compact near-square grid below it."""
    placed = {c: LAYOUTS[c] for c in codes if c in LAYOUTS}
    rest = sorted(c for c in codes if c not in placed)
    out: dict[str, tuple[int, int]] = {}
    top = 0
    width = 0
    if placed:
        min_col = min(col for col, _ in placed.values())
        min_row = min(row for _, row in placed.values())
        out = {c: (col - min_col, row - min_row) for c, (col, row) in placed.items()}
        width = max(col for col, _ in out.values()) + 1
        top = max(row for _, row in out.values()) + 1
    if rest:
        cols = max(width, math.ceil(math.sqrt(len(rest))))
        for i, code in enumerate(rest):
            out[code] = (i % cols, top + i // cols)
    return out


def tile_map(
    units: Sequence[tuple[Region, Figure, int | None, str | None]],
    indicator: Indicator,
    scheme: Scheme = "equal",
) -> TileMap:
    """Lay out and colour `units` (region, figure, rank, link to its dashboard)."""
    values = [f.value for _, f, _, _ in units if f.value is not None]
    classes = colour_classes(values, indicator, scheme)
    positions = grid_positions([r.code for r, _, _, _ in units])
    tiles = [
        Tile(
            region,
            figure,
            rank,
            *positions[region.code],
            class_of(figure.value, classes),
            value_text(figure.value, indicator),
            href,
        )
        for region, figure, rank, href in units
    ]
    cols = max((t.col for t in tiles), default=0) + 1
    rows = max((t.row for t in tiles), default=0) + 1
    return TileMap(
        tiles=tiles,
        classes=classes,
        no_data=sum(1 for t in tiles if t.colour_class is None),
        width=2 * MARGIN + cols * (TILE + GAP) - GAP,
        height=2 * MARGIN + rows * (TILE + GAP) - GAP,
    )
