"""Electoral-vote and seat distributions from a simulations table, and the tile map."""

import numpy as np
import pandas as pd
import pytest

from forecast_pipeline.report import simulate as sim
from forecast_pipeline.report.tilegrid import TILES, probability_colour, tile_map_svg


def _sims(rows: dict[str, list[float]]) -> pd.DataFrame:
    n = len(next(iter(rows.values())))
    return pd.DataFrame(
        [{"draw": d, "race_key": r, "share_dem": v[d]} for r, v in rows.items() for d in range(n)]
    )


def test_electoral_votes_count_winners_within_each_draw():
    sims = _sims({"A": [0.6, 0.4, 0.51, 0.49], "B": [0.55, 0.45, 0.2, 0.7], "C": [0.3, 0.52, 0.6, 0.6]})
    ev = sim.electoral_votes_by_draw(sims, {"A": 10, "B": 5, "C": 3})
    assert ev.tolist() == [15, 3, 13, 8]
    top = sim.electoral_topline(ev, total=18)
    # majority of 18 is 10: draws 0 and 2 (15, 13); tie 9: none; Republican 10+: draws 1 (15) and 3 (10)
    assert top["needed"] == 10
    assert top["p_dem"] == pytest.approx(0.5) and top["p_rep"] == pytest.approx(0.5) and top["p_tie"] == 0
    assert top["median"] == pytest.approx(10.5)


def test_tie_and_distribution():
    sims = _sims({"A": [0.6, 0.6, 0.4], "B": [0.4, 0.6, 0.4]})
    ev = sim.electoral_votes_by_draw(sims, {"A": 2, "B": 2})
    assert ev.tolist() == [2, 4, 0]
    top = sim.electoral_topline(ev, total=4)
    assert top["p_tie"] == pytest.approx(1 / 3) and top["p_dem"] == pytest.approx(1 / 3)
    dist = sim.distribution(ev)
    assert dist["value"].tolist() == [0, 2, 4]
    assert np.allclose(dist["probability"], [1 / 3] * 3)
    assert np.allclose(dist["p_at_least"], [1, 2 / 3, 1 / 3])


def test_seats_and_the_posterior_layout():
    sims = _sims({"S1": [0.6, 0.4], "S2": [0.7, 0.45], "S3": [0.2, 0.55]})
    seats = sim.seats_by_draw(sims)
    assert seats.tolist() == [2, 1]
    assert sim.seat_topline(seats, 3)["p_dem_majority_of_races"] == pytest.approx(0.5)


def test_incomplete_simulations_are_refused():
    sims = _sims({"A": [0.6, 0.4], "B": [0.3, 0.2]}).iloc[:-1]
    with pytest.raises(ValueError, match="every race in every draw"):
        sim.seats_by_draw(sims)
    with pytest.raises(ValueError, match="lack columns"):
        sim.seats_by_draw(sims.rename(columns={"share_dem": "p"}))


def test_simulations_from_posterior_stack_chains():
    import xarray as xr

    arr = np.arange(2 * 3 * 2, dtype=float).reshape(2, 3, 2) / 100  # chain, draw, race
    post = xr.Dataset(
        {"election_day_share": (("chain", "draw", "race"), arr)},
        coords={"race": ["r1", "r2"], "chain": [0, 1], "draw": [0, 1, 2]},
    )
    tree = xr.DataTree.from_dict({"posterior": post})
    sims = sim.simulations_from_posterior(tree)
    assert len(sims) == 12 and sims["draw"].nunique() == 6
    assert sims.loc[(sims["draw"] == 4) & (sims["race_key"] == "r2"), "share_dem"].item() == pytest.approx(
        0.09
    )


def test_tile_map_has_every_state_and_colours_by_probability():
    assert len(TILES) == 51 and len(set(TILES.values())) == 51
    svg = tile_map_svg({"CA": 0.99, "TX": 0.1, "GA": 0.5})
    assert svg.count('class="tile"') == 51
    assert probability_colour(0.99) in svg and probability_colour(0.1) in svg
    assert probability_colour(1.0) == "#1f5fbf" and probability_colour(0.0) == "#c92a2a"
    assert probability_colour(0.5) == "#f2f2f2" and probability_colour(None) == "#e8e8e8"
    assert "CA: P(D win) 99.0%" in svg and "WY: no race" in svg


def test_house_effects_plot_and_no_pollsters():
    import xarray as xr

    from forecast_pipeline.report.plots import house_effects_png

    def tree(n):
        post = xr.Dataset(
            {"house_effect": (("chain", "draw", "pollster"), np.full((2, 5, n), 0.04))},
            coords={"pollster": [f"P{i}" for i in range(n)]},
        )
        return xr.DataTree.from_dict({"posterior": post})

    assert house_effects_png(tree(0)) is None  # a forecast made before any poll
    png = house_effects_png(tree(3))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
