"""The one set of colours every map and sheet draws with, safe for colour-vision deficiency.

About 1 man in 12 sees red and green alike (deuteranopia, protanopia), fewer
blue and yellow (tritanopia). So:

* **Categories** (the Map page, the session map, the gap map's service markers,
  the support sheets) use Okabe & Ito's eight colours ("Color Universal Design",
  2008), made to stay apart under each common deficiency. Eight colours cannot
  keep 28 categories apart, so every category also has a **shape** (circle,
  square, triangle, diamond): each (colour, shape) pair is used once, and the
  layer list shows the same shape as its key. Colour never carries meaning alone.
* **Minutes on foot** (the gap map's areas) use viridis (van der Walt & Smith,
  2015): its lightness rises evenly, so the order of the classes reads in grey too.
* **Deprivation outlines** use one hue (ColorBrewer Purples) at three lightnesses
  and three line widths.
* **Neutrals** (text, strokes, backgrounds, the app's accent) are the only other
  colours; :data:`ALLOWED` holds them all, and a test fails on any colour a map or
  sheet draws that is not in it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ALLOWED",
    "DEPRIVATION",
    "HIGHLIGHT",
    "MARKER_SHAPES",
    "MINUTES",
    "NEUTRALS",
    "OKABE_ITO",
    "SHEET_COLOURS",
    "UNCATEGORISED",
    "MarkerStyle",
    "marker_style",
    "shape_path",
    "shape_svg",
]

#: Okabe & Ito's colour-vision-safe colours, by their names.
OKABE_ITO: Final = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
Shape = Literal["circle", "square", "triangle", "diamond"]
MARKER_SHAPES: Final[tuple[Shape, ...]] = ("circle", "square", "triangle", "diamond")
# Category markers: the seven colours other than black (kept for "no category yet"),
# darkest and most different first; 7 colours x 4 shapes = 28 distinct markers.
_MARKER_COLOURS: Final = tuple(
    OKABE_ITO[name]
    for name in (
        "blue",
        "vermillion",
        "bluish_green",
        "reddish_purple",
        "orange",
        "sky_blue",
        "yellow",
    )
)
#: Numbered service markers on the support sheets: dark enough for white numbers.
SHEET_COLOURS: Final = tuple(
    OKABE_ITO[name]
    for name in ("blue", "vermillion", "black", "reddish_purple", "bluish_green", "orange")
)
#: Minutes on foot, within the limit (light) to not reached at all (dark): viridis, 6 classes.
MINUTES: Final = ("#FDE725", "#7AD151", "#22A884", "#2A788E", "#414487", "#440154")
#: Deprivation (IMD) outlines: deciles 1-2, 3-4, 5-10 (ColorBrewer Purples).
DEPRIVATION: Final = ("#3F007D", "#807DBA", "#BCBDDC")
#: Text, strokes, backgrounds and the app's accent (the theme's primary colour).
NEUTRALS: Final = {
    "white": "#FFFFFF",
    "text": "#111111",
    "outline": "#222222",
    "soft_text": "#444444",
    "foot_text": "#555555",
    "credit": "#333333",
    "frame": "#999999",
    "rule": "#CCCCCC",
    "street": "#9A948A",
    "sheet_street": "#B9B4A7",
    "land": "#F2EFE9",
    "paper": "#F7F5EF",
    "accent": "#1F5FA8",
    "warning": "#B3261E",
}
#: The new place's pin on the session map (and the high-contrast focus ring): bright
#: yellow inside a thick black ring, bigger than any marker.
HIGHLIGHT: Final = "#FFD400"


@dataclass(frozen=True, slots=True)
class MarkerStyle:
    """How a category's markers look: an Okabe-Ito colour and a shape.

    Examples
    --------
    >>> MarkerStyle("#0072B2", "square").shape
    'square'
    >>> MarkerStyle("#123456", "circle")
    Traceback (most recent call last):
    ...
    ValueError: Marker colour '#123456' is not in the colour-vision-safe palette.
    """

    colour: str
    shape: Shape

    def __post_init__(self) -> None:
        if self.colour not in (*_MARKER_COLOURS, OKABE_ITO["black"]):
            msg = f"Marker colour {self.colour!r} is not in the colour-vision-safe palette."
            raise ValueError(msg)
        if self.shape not in MARKER_SHAPES:
            msg = f"Marker shape must be one of {', '.join(MARKER_SHAPES)}; got {self.shape!r}."
            raise ValueError(msg)


#: Markers of assets with no category yet: a black circle.
UNCATEGORISED: Final = MarkerStyle(OKABE_ITO["black"], "circle")


def marker_style(index: int | str) -> MarkerStyle:
    """Return the marker style of the category at ``index`` (or of an unknown code).

    The first 28 indexes each get their own (colour, shape) pair: colours go
    round first, then shapes. A code string (a category the taxonomy does not
    know) gets a pair by checksum, the same every time.

    Examples
    --------
    >>> marker_style(0), marker_style(7)
    (MarkerStyle(colour='#0072B2', shape='circle'), MarkerStyle(colour='#0072B2', shape='square'))
    >>> len({marker_style(i) for i in range(28)})
    28
    """
    number = zlib.crc32(index.encode("utf-8")) if isinstance(index, str) else index
    count = len(_MARKER_COLOURS)
    colour = _MARKER_COLOURS[number % count]
    shape = MARKER_SHAPES[(number // count) % len(MARKER_SHAPES)]
    return MarkerStyle(colour, shape)


def shape_path(shape: Shape, x: float, y: float, radius: float) -> str:
    """Return an SVG path for ``shape`` centred on ``(x, y)``, about ``radius`` across half.

    The same drawing is used in the browser (:mod:`assetmap.output.viz` draws
    markers with it) and in keys and legends.

    Examples
    --------
    >>> shape_path("square", 10, 10, 5)
    'M5.6,5.6H14.4V14.4H5.6Z'
    >>> shape_path("circle", 10, 10, 5)
    'M5,10a5,5 0 1,0 10,0a5,5 0 1,0 -10,0Z'
    """
    r = radius
    if shape == "square":
        s = r * 0.88
        return f"M{x - s:g},{y - s:g}H{x + s:g}V{y + s:g}H{x - s:g}Z"
    if shape == "triangle":
        t = r * 1.2
        return f"M{x:g},{y - t:g}L{x + t:g},{y + t * 0.8:g}L{x - t:g},{y + t * 0.8:g}Z"
    if shape == "diamond":
        d = r * 1.2
        return f"M{x:g},{y - d:g}L{x + d:g},{y:g}L{x:g},{y + d:g}L{x - d:g},{y:g}Z"
    return f"M{x - r:g},{y:g}a{r:g},{r:g} 0 1,0 {2 * r:g},0a{r:g},{r:g} 0 1,0 {-2 * r:g},0Z"


def shape_svg(style: MarkerStyle, *, size: int = 14) -> str:
    """Return a small inline SVG of a marker, for a map's layer list or a legend.

    Examples
    --------
    >>> shape_svg(marker_style(7), size=10)[:38]
    '<svg width="10" height="10" viewBox="0'
    """
    half = size / 2
    path = shape_path(style.shape, half, half, half * 0.75)
    return (
        f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}" aria-hidden="true" '
        f'focusable="false" style="vertical-align:middle;margin-right:4px">'
        f'<path d="{path}" fill="{style.colour}" stroke="{NEUTRALS["outline"]}" '
        f'stroke-width="1"/></svg>'
    )


#: Every colour a map or sheet may draw (upper-case ``#RRGGBB``).
ALLOWED: Final = frozenset(
    (*OKABE_ITO.values(), *MINUTES, *DEPRIVATION, *NEUTRALS.values(), *SHEET_COLOURS, HIGHLIGHT)
)
