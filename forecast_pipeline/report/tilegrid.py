"""A tile-grid map of the states (one square per state, roughly where it lies), as inline SVG."""

from __future__ import annotations

from html import escape

# (row, column) of each state's tile.
TILES: dict[str, tuple[int, int]] = {
    "AK": (0, 0),
    "ME": (0, 11),
    "VT": (1, 10),
    "NH": (1, 11),
    "WA": (2, 1),
    "ID": (2, 2),
    "MT": (2, 3),
    "ND": (2, 4),
    "MN": (2, 5),
    "IL": (2, 6),
    "WI": (2, 7),
    "MI": (2, 8),
    "NY": (2, 9),
    "RI": (2, 10),
    "MA": (2, 11),
    "OR": (3, 1),
    "NV": (3, 2),
    "WY": (3, 3),
    "SD": (3, 4),
    "IA": (3, 5),
    "IN": (3, 6),
    "OH": (3, 7),
    "PA": (3, 8),
    "NJ": (3, 9),
    "CT": (3, 10),
    "CA": (4, 1),
    "UT": (4, 2),
    "CO": (4, 3),
    "NE": (4, 4),
    "MO": (4, 5),
    "KY": (4, 6),
    "WV": (4, 7),
    "VA": (4, 8),
    "MD": (4, 9),
    "DE": (4, 10),
    "AZ": (5, 2),
    "NM": (5, 3),
    "KS": (5, 4),
    "AR": (5, 5),
    "TN": (5, 6),
    "NC": (5, 7),
    "SC": (5, 8),
    "DC": (5, 9),
    "OK": (6, 4),
    "LA": (6, 5),
    "MS": (6, 6),
    "AL": (6, 7),
    "GA": (6, 8),
    "HI": (7, 0),
    "TX": (7, 4),
    "FL": (7, 9),
}
N_ROWS, N_COLS = 8, 12


def probability_colour(p: float | None) -> str:
    """Red (P(D win) = 0) through light grey (0.5) to blue (1); grey for no race."""
    if p is None:
        return "#e8e8e8"
    p = min(max(float(p), 0.0), 1.0)
    grey, blue, red = (0xF2, 0xF2, 0xF2), (0x1F, 0x5F, 0xBF), (0xC9, 0x2A, 0x2A)
    end, t = (blue, (p - 0.5) * 2) if p >= 0.5 else (red, (0.5 - p) * 2)
    rgb = [round(g + (e - g) * t) for g, e in zip(grey, end, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def tile_map_svg(p_by_state: dict[str, float], size: int = 46, title: str = "") -> str:
    """SVG with one <g class="tile" data-state="XX"> per state: a square coloured by P(D win), the
    state code and the probability in percent. States without a race are grey."""
    gap = 3
    w, h = N_COLS * (size + gap), N_ROWS * (size + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tilemap" viewBox="0 0 {w} {h}" '
        f'width="{w}" height="{h}" role="img" aria-label="{escape(title or "tile map")}">'
    ]
    for state, (row, col) in sorted(TILES.items()):
        p = p_by_state.get(state)
        x, y = col * (size + gap), row * (size + gap)
        fill = probability_colour(p)
        dark = p is not None and abs(p - 0.5) > 0.3
        ink = "#ffffff" if dark else "#222222"
        label = "" if p is None else f"{100 * p:.0f}%"
        tip = f"{state}: no race" if p is None else f"{state}: P(D win) {100 * p:.1f}%"
        parts.append(
            f'<g class="tile" data-state="{state}"><title>{escape(tip)}</title>'
            f'<rect x="{x}" y="{y}" width="{size}" height="{size}" rx="4" fill="{fill}"/>'
            f'<text x="{x + size / 2}" y="{y + size * 0.45}" text-anchor="middle" font-size="13" '
            f'font-weight="600" fill="{ink}">{state}</text>'
            f'<text x="{x + size / 2}" y="{y + size * 0.8}" text-anchor="middle" font-size="10" '
            f'fill="{ink}">{label}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
