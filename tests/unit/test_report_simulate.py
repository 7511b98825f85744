"""The report's adapter over the stored simulations (parsing, distribution, CSV), and the tile map."""

import numpy as np
import pandas as pd
import pytest

from forecast_pipeline import simulations as S
from forecast_pipeline.report import simulate as sim
from forecast_pipeline.report.tilegrid import TILES, probability_colour, tile_map_svg


def _long(rows: dict[str, list[float]]) -> pd.DataFrame:
    """Stored layout: one row per (sim, race_id)."""
    n = len(next(iter(rows.values())))
    return pd.DataFrame(
        [{"sim": i, "race_id": r, "dem_share": v[i]} for i in range(n) for r, v in sorted(rows.items())]
    )


def test_distribution_and_p_at_least():
    dist = sim.distribution(pd.Series([2, 4, 0, 4]))
    assert dist["value"].tolist() == [0, 2, 4]
    assert np.allclose(dist["probability"], [0.25, 0.25, 0.5])
    assert np.allclose(dist["p_at_least"], [1, 0.75, 0.5])


def test_race_ids_parse_into_the_frame_the_library_counts_with():
    races = sim.races_from_ids(
        ["2020-president-ME", "2020-president-ME-2", "2020-senate-GA-c3", "2020-senate-GA-c2"]
    )
    assert races["office"].tolist() == ["president", "president", "senate", "senate"]
    assert races["state"].tolist() == ["ME", "ME", "GA", "GA"]
    assert pd.isna(races["district"].iloc[0]) and races["district"].iloc[1] == 2
    assert races["district"].iloc[2:].isna().all()
    # Maine's district race gets 1 EV and the statewide race the other 3 (the library's allocation)
    alloc, fallback = S.ev_allocation(races[races["office"] == "president"], 2020)
    assert dict(zip(alloc["label"], alloc["ev"], strict=True)) == {"ME": 3, "ME-2": 1}
    assert fallback == ["ME"]


def test_a_share_stored_at_exactly_one_half_is_the_only_tolerance():
    wide = S.wide_shares(_long({"A": [0.5, 0.6, 0.4, 0.5], "B": [0.3, 0.5, 0.7, 0.2]}))
    assert sim._half_tolerance(wide, ["A"]) == pytest.approx(0.5)
    assert sim._half_tolerance(wide, ["A", "B"]) == pytest.approx(0.75)
    assert sim._half_tolerance(wide, ["C"]) == 0.0


def test_simulations_csv_is_wide_by_sim(tmp_path):
    sims = _long({"2020-senate-AZ-c3": [0.51, 0.49], "2020-senate-GA-c2": [0.4, 0.6]})
    sim.simulations_csv(sims, tmp_path / "s.csv")
    back = pd.read_csv(tmp_path / "s.csv")
    assert back.columns.tolist() == ["sim", "2020-senate-AZ-c3", "2020-senate-GA-c2"]
    assert back.to_numpy().tolist() == [[0, 0.51, 0.4], [1, 0.49, 0.6]]


def test_the_report_module_has_no_counting_of_its_own():
    """The electoral-vote and seat counts are the library's (forecast_pipeline.simulations): the
    report's old duplicates are gone."""
    for name in (
        "electoral_votes_by_draw",
        "seats_by_draw",
        "simulations_from_posterior",
        "electoral_topline",
    ):
        assert not hasattr(sim, name), name


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
