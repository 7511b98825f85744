"""Loading the real files into a real PostgreSQL: reconciliation, idempotency, one question per poll."""

import shutil

import pandas as pd
import sqlalchemy as sa

from forecast_pipeline.ingest import LOADER_VERSION, load_files
from forecast_pipeline.loaders.registry import KNOWN_FILES


def _count(engine, sql):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def test_every_known_file_loads_and_reconciles(loaded, engine):
    assert {r.source for r in loaded} == set(KNOWN_FILES)
    for r in loaded:
        assert r.rows_read > 0, r.source
        assert r.rows_read == r.rows_loaded + r.rows_rejected, r.source
    with engine.connect() as conn:
        runs = pd.read_sql(
            sa.text(
                "SELECT load_id, source, rows_read, rows_loaded, rows_rejected "
                "FROM ops.load_runs WHERE status = 'loaded'"
            ),
            conn,
        )
        rejected = pd.read_sql(
            sa.text(
                "SELECT load_id, count(DISTINCT line_no) AS lines, "
                "bool_and(length(reason) > 0) AS reasons FROM ops.rejected_rows "
                "GROUP BY load_id"
            ),
            conn,
        )
    assert (runs["rows_read"] == runs["rows_loaded"] + runs["rows_rejected"]).all()
    merged = runs.merge(rejected, on="load_id", how="left").fillna({"lines": 0, "reasons": True})
    assert (merged["lines"] == merged["rows_rejected"]).all()
    assert merged["reasons"].all()


def test_loading_twice_adds_nothing(loaded, engine, data_dir):
    tables = [
        "raw.poll_answers",
        "raw.results",
        "core.polls",
        "core.poll_answers",
        "core.results",
        "ops.load_runs",
        "ops.rejected_rows",
    ]
    before = {t: _count(engine, f"SELECT count(*) FROM {t}") for t in tables}
    again = load_files(engine, data_dir)
    assert {r.status for r in again} == {"unchanged"}
    after = {t: _count(engine, f"SELECT count(*) FROM {t}") for t in tables}
    assert after == before
    assert before["core.polls"] > 10_000


def test_one_question_per_poll_prefers_likely_voters(loaded, engine):
    # For every poll that has a two-party likely-voter question, the chosen question is a likely-voter one.
    wrong = _count(
        engine,
        """
        WITH lv AS (
            SELECT poll_key FROM raw.poll_answers GROUP BY poll_key, question_id
            HAVING max(population) = 'lv' AND bool_or(party = 'DEM') AND bool_or(party = 'REP')
        )
        SELECT count(*) FROM core.polls p WHERE p.poll_key IN (SELECT poll_key FROM lv)
          AND p.population IS DISTINCT FROM 'lv'
    """,
    )
    assert wrong == 0
    multi = _count(engine, "SELECT count(*) FROM core.polls WHERE n_questions > 1")
    assert multi > 1000  # the rule really had choices to make


def test_hypothetical_matchups_are_not_chosen(loaded, engine):
    # 2019 polls asked Warren v Trump, Biden v Pence...; the chosen question names Biden and Trump.
    with engine.connect() as conn:
        chosen = pd.read_sql(
            sa.text(
                "SELECT p.source, k.name, k.party FROM core.polls p JOIN core.poll_answers a USING (poll_key) "
                "JOIN core.candidates k USING (candidate_id) WHERE p.race_id = '2020-president-US' "
                "AND p.names_nominees AND k.party IN ('DEM', 'REP')"
            ),
            conn,
        )
    # 538's pollster-ratings file (final weeks only, nominees by full name) is no hypothetical.
    ratings = chosen["source"] == "fivethirtyeight-data/pollster-ratings/2023/raw-polls.csv"
    assert set(chosen.loc[~ratings, "name"]) == {"Biden", "Trump"}
    assert set(chosen.loc[ratings, "name"]) == {"Joe Biden", "Donald Trump"}
    assert (~ratings).sum() > 1000


def test_poll_in_two_sources_is_stored_once_from_the_richer_file(loaded, engine):
    with engine.connect() as conn:
        both = pd.read_sql(
            sa.text(
                "SELECT source, count(*) AS n FROM core.polls WHERE n_sources = 2 AND names_nominees "
                "GROUP BY source"
            ),
            conn,
        )
    assert len(both) == 1
    assert both["source"].iloc[0] == "simonw-fivethirtyeight-polls/president_polls.csv"
    assert both["n"].iloc[0] > 500


def test_changed_file_replaces_its_rows(fresh_engine, data_dir, tmp_path):
    name = "simonw-fivethirtyeight-polls/president_polls.csv"
    (tmp_path / "simonw-fivethirtyeight-polls").mkdir()
    lines = (data_dir / name).read_text(encoding="utf-8").splitlines(keepends=True)
    target = tmp_path / name
    target.write_text("".join(lines[:101]), encoding="utf-8")
    first = load_files(fresh_engine, tmp_path, [name])
    assert first[0].rows_read == 100
    target.write_text("".join(lines[:301]), encoding="utf-8")
    second = load_files(fresh_engine, tmp_path, [name])
    assert second[0].status == "loaded" and second[0].rows_read == 300
    assert (
        _count(fresh_engine, "SELECT count(DISTINCT line_no) FROM raw.poll_answers")
        + _count(
            fresh_engine,
            "SELECT count(DISTINCT line_no) FROM ops.rejected_rows o JOIN ops.load_runs l "
            "USING (load_id) WHERE l.load_id = (SELECT max(load_id) FROM ops.load_runs)",
        )
        == 300
    )
    assert _count(fresh_engine, "SELECT count(*) FROM ops.load_runs") == 2
    shutil.rmtree(tmp_path / "simonw-fivethirtyeight-polls")


def test_a_load_by_an_older_loader_version_is_loaded_again(fresh_engine, data_dir, tmp_path):
    """A database loaded before a loader fix gets the fix: the same file content is loaded again when
    its recorded load came from another loader version (NULL: before versions were recorded)."""
    name = "simonw-fivethirtyeight-polls/president_polls.csv"
    (tmp_path / "simonw-fivethirtyeight-polls").mkdir()
    lines = (data_dir / name).read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / name).write_text("".join(lines[:101]), encoding="utf-8")
    assert load_files(fresh_engine, tmp_path, [name])[0].status == "loaded"
    assert load_files(fresh_engine, tmp_path, [name])[0].status == "unchanged"
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("UPDATE ops.load_runs SET loader_version = NULL"))
    again = load_files(fresh_engine, tmp_path, [name])
    assert again[0].status == "loaded" and again[0].rows_read == 100
    # the older load's rows were replaced, not added to
    assert (
        _count(fresh_engine, "SELECT count(DISTINCT line_no) FROM raw.poll_answers") == again[0].rows_loaded
    )
    versions = f"SELECT count(*) FROM ops.load_runs WHERE loader_version = '{LOADER_VERSION}'"
    assert _count(fresh_engine, versions) == 1
    assert load_files(fresh_engine, tmp_path, [name])[0].status == "unchanged"
    shutil.rmtree(tmp_path / "simonw-fivethirtyeight-polls")
