"""File loaders: concrete numbers on the real data files, and small synthetic bad files."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path

import pandas as pd
import pytest

from forecast_pipeline.data_manifest import FILES, ManifestEntry
from forecast_pipeline.fetch import FetchError, drop_cycles, fetch
from forecast_pipeline.loaders.base import (
    POLL_ANSWER_COLUMNS,
    REJECT_COLUMNS,
    RESULT_COLUMNS,
    UnknownLayoutError,
)
from forecast_pipeline.loaders.economist import load_economist
from forecast_pipeline.loaders.fte import load_fte
from forecast_pipeline.loaders.raw_polls import RAW_POLLS_END_LAG_DAYS, load_raw_polls
from forecast_pipeline.loaders.registry import (
    COMPANION_FILES,
    KNOWN_FILES,
    detect_layout,
    load_file,
    load_known,
)
from forecast_pipeline.loaders.results import load_results
from tests.unit.synthetic import senate_results_frame

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("FORECAST_DATA_DIR", REPO.parent / "shared" / "data" / "raw"))
# Missing data is a failure (conftest.data_dir says how to get it), never a silent skip.
real = pytest.mark.usefixtures("data_dir")

SIMONW = "simonw-fivethirtyeight-polls/president_polls.csv"
ALEXFIFER = "alexfifer-data-mining/president_polls_2020.csv"
SENATE_POLLS = "fostercole-election-prediction/senate_polls_historical.csv"
GOVERNOR_POLLS = "snoutcounter-backend/governor_polls_historical.csv"
HOUSE_POLLS = "snoutcounter-backend/house_polls_historical.csv"
GENERIC_POLLS = "snoutcounter-backend/generic_ballot_polls_historical.csv"
ECON_2008 = "economist-us-potus-model/all_polls_2008.csv"
ECON_2012 = "economist-us-potus-model/all_polls_2012.csv"
ECON_2016 = "economist-us-potus-model/all_polls.csv"
PRES_RESULTS = "fivethirtyeight-election-results/election_results_presidential.csv"
SENATE_RESULTS = "fivethirtyeight-election-results/election_results_senate.csv"
GOV_RESULTS = "fivethirtyeight-election-results/election_results_gubernatorial.csv"
LEO = "upshot-leo-senate-model/senate_polls.csv"
LEO_2010 = "upshot-leo-senate-model/senate_polls_2010.csv"
STANFORD_AUX = "stanford-polling-errors/polls_auxiliary_dataset.tsv"
STANFORD_MAIN = "stanford-polling-errors/polls_main_dataset.tsv"
RAW_POLLS = "fivethirtyeight-data/pollster-ratings/2023/raw-polls.csv"
# A LEO load's rows are the lines of the answers table beside the poll table (leo.py).
ROWS_FILE = {
    LEO: "upshot-leo-senate-model/senate_poll_answers.csv",
    LEO_2010: "upshot-leo-senate-model/senate_2010_answers.csv",
}

# rows_read (= CSV records), accepted lines, rejected lines, distinct polls (races for results), layout
EXPECTED = {
    PRES_RESULTS: (8595, 8444, 151, 395, "fte_results"),
    SENATE_RESULTS: (4132, 4127, 5, 862, "fte_results"),
    GOV_RESULTS: (2351, 2325, 26, 378, "fte_results"),
    SIMONW: (12233, 12233, 0, 2984, "fte_2018"),
    ALEXFIFER: (16438, 16438, 0, 4133, "fte_subset"),
    SENATE_POLLS: (6658, 6658, 0, 2119, "fte_2023"),
    GOVERNOR_POLLS: (5619, 5517, 102, 1599, "fte_2023"),
    HOUSE_POLLS: (3584, 3530, 54, 1140, "fte_2023"),
    GENERIC_POLLS: (4097, 4097, 0, 3154, "fte_generic"),
    ECON_2008: (1323, 1323, 0, 1320, "economist_wide"),
    ECON_2012: (1175, 1175, 0, 1175, "economist_wide"),
    ECON_2016: (3168, 2211, 957, 1804, "economist_2016"),
    LEO: (10493, 10424, 69, 4914, "leo_polls"),
    LEO_2010: (3713, 3691, 22, 1795, "leo_polls_2010"),
    STANFORD_AUX: (10444, 9222, 1222, 9027, "stanford_auxiliary"),
    STANFORD_MAIN: (4221, 4126, 95, 4092, "stanford_main"),
    RAW_POLLS: (11475, 7763, 3712, 5376, "raw_polls_538"),
}


@pytest.fixture(scope="module")
def loaded():
    return load_known(DATA)


def _records(path: Path) -> int:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return sum(1 for row in csv.reader(fh, delimiter="\t" if path.suffix == ".tsv" else ",") if row) - 1


def _row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    assert mask.sum() == 1, f"{where} matched {int(mask.sum())} rows"
    return frame[mask].iloc[0]


# ---------------------------------------------------------------- real files


@real
def test_known_files_match_expected_counts(loaded):
    assert list(loaded) == KNOWN_FILES
    assert set(EXPECTED) == set(KNOWN_FILES)
    for rel, (rows, accepted, rejected, ids, layout) in EXPECTED.items():
        result = loaded[rel]
        key = "race_id" if layout == "fte_results" else "poll_id"
        got = (
            result.rows_read,
            result.accepted["line_no"].nunique(),
            result.rejected_lines,
            result.accepted[key].nunique(),
            result.layout,
        )
        assert got == (rows, accepted, rejected, ids, layout), rel
        assert result.rows_read == _records(DATA / ROWS_FILE.get(rel, rel)), rel
        # every line ends up accepted or rejected, never both
        assert not set(result.accepted["line_no"]) & set(result.rejected["line_no"]), rel
        assert list(result.rejected.columns) == REJECT_COLUMNS


@real
def test_frames_follow_the_contract(loaded):
    for rel, result in loaded.items():
        a = result.accepted
        columns = RESULT_COLUMNS if result.layout == "fte_results" else POLL_ANSWER_COLUMNS
        assert list(a.columns) == columns, rel
        assert result.source == rel and a["source"].eq(ROWS_FILE.get(rel, rel)).all()
        assert str(a["district"].dtype) == "Int64" and str(a["senate_class"].dtype) == "Int64"
        assert str(a["pct"].dtype) == "Float64"
        assert a["pct"].between(0, 100).all(), rel
        if columns is POLL_ANSWER_COLUMNS:
            assert (a["end_date"] >= a["start_date"]).all()
            assert (a["end_date"] == a["end_date"].dt.normalize()).all()
            assert a["population"].dropna().isin(["lv", "rv", "a", "v"]).all()
            assert a["candidate"].str.len().gt(0).all()
            assert (a["sample_size"].dropna() > 0).all()


@real
def test_detect_layout_and_manifest_cover_known_files():
    from forecast_pipeline.data_manifest import HISTORY_FILES

    assert len(HISTORY_FILES) == 8
    assert sorted(e.path for e in FILES) == sorted([*KNOWN_FILES, *COMPANION_FILES, *HISTORY_FILES])
    for entry in FILES:
        path = DATA / entry.path
        if entry.path in HISTORY_FILES:
            pass  # not a loader's file: only its bytes are checked below
        elif entry.path in COMPANION_FILES:
            with pytest.raises(UnknownLayoutError):  # read with its poll table, never on its own
                detect_layout(path)
        else:
            assert detect_layout(path) == EXPECTED[entry.path][4]
        assert path.stat().st_size == entry.size
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256, entry.path


@real
def test_simonw_known_poll(loaded):
    a = loaded[SIMONW].accepted
    assert a["end_date"].max() == pd.Timestamp("2020-10-20")
    biden = _row(a, question_id="134048", candidate="Biden")
    assert biden["line_no"] == 2 and biden["poll_id"] == "71558"
    assert biden["pollster"] == "Public Policy Polling" and biden["sponsor"] == "Protect Our Care"
    assert (biden["state"], biden["race_id"], biden["party"], biden["pct"]) == (
        "KS",
        "2020-president-KS",
        "DEM",
        42.0,
    )
    assert biden["partisan"] == "DEM" and biden["population"] == "v" and biden["mode"] == "Live Phone/Text"
    assert biden["start_date"] == pd.Timestamp("2020-10-19")
    assert biden["created_at"] == pd.Timestamp("2020-10-21 14:10")
    assert _row(a, question_id="134048", candidate="Trump")["pct"] == 54.0
    national = a[a["state"] == "US"]
    assert len(national) == 4594 and national["race_id"].eq("2020-president-US").all()


@real
def test_maine_and_nebraska_districts(loaded):
    a = loaded[SIMONW].accepted
    me2 = a[(a["state"] == "ME") & (a["district"] == 2)]
    assert len(me2) == 46 and me2["race_id"].eq("2020-president-ME-2").all()
    assert _row(a, line_no=2533)[["pollster", "race_id", "candidate", "pct"]].tolist() == [
        "Pan Atlantic Research",
        "2020-president-ME-2",
        "Biden",
        46.5,
    ]
    assert len(a[(a["state"] == "NE") & (a["district"] == 2)]) == 13
    assert a.loc[a["state"] == "ME", "district"].isna().sum() == 128


@real
def test_alexfifer_subset(loaded):
    a = loaded[ALEXFIFER].accepted
    assert a["end_date"].max() == pd.Timestamp("2020-11-02")
    assert a["cycle"].eq(2020).all() and a["office"].eq("president").all()
    first = a[a["poll_id"] == "72621"]
    assert first[["question_id", "candidate", "party", "pct"]].values.tolist() == [
        ["72621-q1", "Biden", "DEM", 49.0],
        ["72621-q1", "Trump", "REP", 48.0],
    ]
    assert first["state"].eq("IA").all() and first["population"].eq("v").all()
    # one poll asking four match-ups: Trump repeats, so four questions
    ohio = a[a["poll_id"] == "57026"]
    assert ohio["question_id"].nunique() == 4
    parties = a.groupby("candidate")["party"].first()
    assert parties[["Jorgensen", "Hawkins", "Sanders", "Warren"]].tolist() == ["LIB", "GRE", "DEM", "DEM"]
    assert pd.isna(parties["Pence"])  # not a 2020 candidate in the results
    no_results = load_fte(DATA / ALEXFIFER, DATA)
    assert no_results.accepted["party"].isna().all()


@real
def test_newer_layout_polls(loaded):
    senate = loaded[SENATE_POLLS].accepted
    warnock = _row(senate, line_no=2)
    assert warnock[
        [
            "poll_id",
            "question_id",
            "pollster",
            "state",
            "senate_class",
            "race_id",
            "stage",
            "candidate",
            "party",
            "pct",
            "partisan",
        ]
    ].tolist() == [
        "81762",
        "165972",
        "Trafalgar Group",
        "GA",
        3,
        "2022-senate-GA-c3",
        "runoff",
        "Warnock",
        "DEM",
        51.1,
        "REP",
    ]
    assert senate["senate_class"].notna().all()
    house = loaded[HOUSE_POLLS]
    assert house.accepted["district"].notna().all()
    assert _row(house.accepted, line_no=2)["race_id"] == "2023-house-RI-1"
    territories = house.rejected
    assert territories["kind"].eq("out_of_scope").all() and territories["field"].eq("state").all()
    gov = loaded[GOVERNOR_POLLS].rejected
    assert gov["reason"].str.contains("Puerto Rico").sum() == 94


@real
def test_line_numbers_survive_quoted_newlines(loaded):
    path = DATA / HOUSE_POLLS
    physical = path.read_text(encoding="utf-8").split("\n")
    assert len(physical) - 1 > loaded[HOUSE_POLLS].rows_read + 1  # the file has quoted newlines
    result = loaded[HOUSE_POLLS]
    for frame in (
        result.accepted,
        result.rejected.assign(poll_id=result.rejected["raw"].str.extract(r'"poll_id": "(\d+)"')[0]),
    ):
        for line_no, poll_id in zip(frame["line_no"], frame["poll_id"], strict=True):
            assert physical[line_no - 1].startswith(poll_id + ","), line_no


@real
def test_generic_ballot(loaded):
    a = loaded[GENERIC_POLLS].accepted
    assert a["candidate"].value_counts().to_dict() == {
        "Democrats": 4097,
        "Republicans": 4097,
        "Independent": 1233,
    }
    assert a["office"].eq("generic").all() and a["state"].eq("US").all()
    first = a[a["line_no"] == 2]
    assert first[["candidate", "party", "pct"]].values.tolist() == [
        ["Democrats", "DEM", 49.0],
        ["Republicans", "REP", 51.0],
    ]
    assert first["race_id"].eq("2022-generic-US").all() and first["partisan"].eq("DEM").all()


@real
def test_economist(loaded):
    y2008 = loaded[ECON_2008].accepted
    national = y2008[y2008["state"] == "US"]
    assert national["poll_id"].nunique() == 319
    assert y2008["population"].isna().all() and y2008["mode"].isna().all()
    ak = y2008[y2008["line_no"] == 2]
    assert ak[["state", "pollster", "sample_size", "candidate", "party", "pct"]].values.tolist() == [
        ["AK", "SurveyUSA", 600.0, "Obama", "DEM", 43.0],
        ["AK", "SurveyUSA", 600.0, "McCain", "REP", 48.0],
    ]
    assert ak["start_date"].eq(pd.Timestamp("2008-03-03")).all()
    y2012 = loaded[ECON_2012].accepted
    assert y2012["population"].value_counts().to_dict() == {"lv": 1902, "rv": 448}
    assert set(y2012["candidate"]) == {"Obama", "Romney"}

    y2016 = loaded[ECON_2016]
    subgroups = y2016.rejected
    assert len(subgroups) == 957 and subgroups["kind"].eq("out_of_scope").all()
    assert subgroups["reason"].str.contains("Likely Voters - Democrat").sum() == 142
    a = y2016.accepted
    assert set(a["candidate"]) == {"Trump", "Clinton", "Johnson", "McMullin"}
    first = a[a["line_no"] == 2]
    assert first[["state", "pollster", "population", "candidate", "pct"]].values.tolist() == [
        ["US", "Insights West", "lv", "Trump", 41.0],
        ["US", "Insights West", "lv", "Clinton", 45.0],
    ]
    assert first["created_at"].eq(pd.Timestamp("2016-11-08 12:16:30")).all()
    # LV/RV and the two question iterations of a poll share its poll_id
    assert a.groupby("poll_id")["question_id"].nunique().max() >= 2
    assert load_economist(DATA / ECON_2016, DATA).accepted["poll_id"].equals(a["poll_id"])


@real
def test_presidential_results(loaded):
    r = loaded[PRES_RESULTS].accepted
    pa = r[(r["race_id"] == "2020-president-PA") & (r["stage"] == "general")]
    votes = pa.groupby("party")["votes"].sum()
    assert votes["DEM"] / (votes["DEM"] + votes["REP"]) == pytest.approx(0.506, abs=0.001)
    biden = _row(pa, candidate="Joe Biden")
    assert biden["pct"] == pytest.approx(50.008, abs=0.001) and bool(biden["winner"])
    us = r[(r["race_id"] == "2020-president-US") & (r["stage"] == "general")]
    assert us.loc[us["candidate"] == "Joe Biden", "party"].tolist() == ["DEM", "DEM"]  # DEM + WFP lines
    assert set(r.loc[r["district"].notna(), "state"]) == {"ME", "NE"}
    assert r["stage"].isin(["general", "primary", "caucus"]).all()
    rejected = loaded[PRES_RESULTS].rejected
    assert rejected.groupby(["kind", "field"]).size().to_dict() == {
        ("out_of_scope", "ranked_choice_round"): 65,
        ("out_of_scope", "state"): 86,
    }


@real
def test_senate_and_governor_results(loaded):
    s = loaded[SENATE_RESULTS]
    ny = s.accepted[s.accepted["race_id"] == "2018-senate-NY-c1"]
    gillibrand = ny[ny["candidate"] == "Kirsten E. Gillibrand"]
    assert len(gillibrand) == 4 and gillibrand["party"].eq("DEM").all()  # fusion lines kept, one party
    ak = s.accepted[s.accepted["race_id"] == "2022-senate-AK-c3"]
    assert ak["candidate"].is_unique and len(ak) == 4  # round 1 only
    assert s.rejected["field"].eq("ranked_choice_round").all() and len(s.rejected) == 5
    # 2006 New Jersey: 538's lines hold a partial count (58,333 v 41,998); results_errata.csv has the
    # certified one, and the file's percents (of the partial total) are dropped
    nj = s.accepted[(s.accepted["race_id"] == "2006-senate-NJ-c1")].set_index("candidate")
    assert nj.loc["Bob Menendez", "votes"] == 1_200_843 and nj.loc["Thomas H. Kean Jr.", "votes"] == 997_775
    assert nj["votes"].sum() == 2_250_070 and nj["pct"].isna().all()
    wv = s.accepted[(s.accepted["race_id"] == "2006-senate-WV-c1")].set_index("party")["votes"]
    assert wv["DEM"] / (wv["DEM"] + wv["REP"]) == pytest.approx(0.6565, abs=1e-4)
    assert s.accepted["senate_class"].notna().all()
    ga = s.accepted[(s.accepted["state"] == "GA") & (s.accepted["cycle"] == 2020)]
    assert set(ga["race_id"]) == {"2020-senate-GA-c2", "2020-senate-GA-c3"}
    assert set(ga["stage"]) == {"general", "jungle primary", "runoff"}
    g = loaded[GOV_RESULTS]
    assert g.rejected["kind"].eq("out_of_scope").all()
    me = g.accepted[(g.accepted["race_id"] == "2010-governor-ME") & (g.accepted["stage"] == "general")]
    me = me.set_index("candidate")["votes"]
    assert me["Paul R. LePage"] == 218_065 and me["Eliot R. Cutler"] == 208_270  # not 18,007 v 13,316
    assert pd.isna(me["Kevin L. Scott"]) and pd.isna(me["Blank"])  # no corrected count: unknown
    assert g.accepted["stage"].isin(["general", "recall", "jungle primary", "runoff"]).all()


@real
def test_raw_polls_scope_and_rejections(loaded):
    result = loaded[RAW_POLLS]
    assert result.rejected.groupby(["kind", "field"]).size().to_dict() == {
        ("out_of_scope", "location"): 7,  # Puerto Rico and the Virgin Islands
        ("out_of_scope", "type_detail"): 76,  # Sen-O / Gov-O / Sen-OS
        ("out_of_scope", "type_simple"): 3629,  # House-G and Pres-P
    }
    a = result.accepted
    lines = a.groupby(["cycle", "office"])["line_no"].nunique()
    assert (lines[(2016, "senate")], lines[(2014, "senate")], lines[(2014, "governor")]) == (265, 216, 226)
    assert a.loc[a["office"] == "senate", "senate_class"].notna().all()
    assert a["poll_id"].str.startswith("raw-").all() and a["question_id"].str.startswith("raw-q-").all()
    assert (a["end_date"] - a["start_date"]).eq(pd.Timedelta(days=RAW_POLLS_END_LAG_DAYS)).all()
    assert a["population"].isna().all() and a["created_at"].isna().all() and a["sponsor"].isna().all()
    districts = a[a["district"].notna()]
    assert districts["race_id"].str.fullmatch(r"\d{4}-president-(ME-[12]|NE-2)").all()
    assert districts.groupby(["state", "district"])["line_no"].nunique().to_dict() == {
        ("ME", 1): 12,
        ("ME", 2): 14,
        ("NE", 2): 6,
    }
    assert set(a.loc[a["stage"] == "runoff", "cycle"]) == {
        2002,
        2003,
        2008,
        2014,
        2015,
        2016,
        2018,
        2019,
        2020,
        2022,
    }
    # two Senate races in one state and cycle: each line goes to its own race
    ok = a[(a["cycle"] == 2014) & (a["state"] == "OK") & (a["office"] == "senate")]
    assert ok.groupby("race_id")["candidate"].agg(set).to_dict() == {
        "2014-senate-OK-c2": {"Matt Silverstein", "James M. Inhofe"},
        "2014-senate-OK-c3": {"Constance N. Johnson", "James Lankford"},
    }


@real
def test_raw_polls_2016_new_hampshire_senate_line(loaded):
    a = loaded[RAW_POLLS].accepted
    line = a[a["line_no"] == 8222]  # Marist for NBC/WSJ, polldate 10/22/2016
    assert line[["candidate", "party", "pct"]].values.tolist() == [
        ["Maggie Hassan", "DEM", 47.0],
        ["Kelly Ayotte", "REP", 48.0],
    ]
    first = line.iloc[0]
    assert first[
        [
            "poll_id",
            "question_id",
            "pollster",
            "state",
            "senate_class",
            "race_id",
            "stage",
            "cycle",
            "sample_size",
            "mode",
        ]
    ].tolist() == [
        "raw-47539",
        "raw-q-74357",
        "Marist College",
        "NH",
        3,
        "2016-senate-NH-c3",
        "general",
        2016,
        768.0,
        "Live Phone",
    ]
    assert first["start_date"] == pd.Timestamp("2016-10-22")
    assert first["end_date"] == pd.Timestamp("2016-10-25")  # median field date + 3 days
    assert pd.isna(first["partisan"]) and pd.isna(first["population"])


@real
def test_raw_polls_never_load_the_attached_result(loaded):
    a = loaded[RAW_POLLS].accepted
    with open(DATA / RAW_POLLS, newline="", encoding="utf-8") as fh:
        source = pd.DataFrame(list(csv.DictReader(fh)))
    source["line_no"] = source.index + 2  # no quoted newlines: one physical line per record
    checked = 0
    for i, cand in enumerate(("cand1", "cand2")):
        answers = a.groupby("line_no").nth(i).set_index("line_no")
        columns = [f"{cand}_name", f"{cand}_pct", f"{cand}_actual"]
        merged = answers.join(source.set_index("line_no")[columns], how="inner")
        assert len(merged) == answers.shape[0] and (merged["candidate"] == merged[f"{cand}_name"]).all()
        poll = merged[f"{cand}_pct"].astype(float)
        actual = merged[f"{cand}_actual"].astype(float)
        assert (merged["pct"].astype(float) == poll).all(), cand
        differs = poll != actual
        assert not (merged.loc[differs, "pct"].astype(float) == actual[differs]).any(), cand
        checked += int(differs.sum())
    assert checked > 15000


# ---------------------------------------------------------------- synthetic files

OLD_HEADER = (
    "question_id,poll_id,cycle,state,pollster_id,pollster,sponsor_ids,sponsors,display_name,"
    "pollster_rating_id,pollster_rating_name,fte_grade,sample_size,population,population_full,"
    "methodology,office_type,seat_number,seat_name,start_date,end_date,election_date,"
    "sponsor_candidate,internal,partisan,tracking,nationwide_batch,ranked_choice_reallocated,"
    "created_at,notes,url,stage,race_id,answer,candidate_id,candidate_name,candidate_party,pct"
)
NEW_HEADER = (
    "poll_id,pollster_id,pollster,sponsor_ids,sponsors,display_name,pollster_rating_id,"
    "pollster_rating_name,numeric_grade,pollscore,methodology,transparency_score,state,start_date,"
    "end_date,sponsor_candidate_id,sponsor_candidate,sponsor_candidate_party,endorsed_candidate_id,"
    "endorsed_candidate_name,endorsed_candidate_party,question_id,sample_size,population,"
    "subpopulation,population_full,tracking,created_at,notes,url,url_article,url_topline,"
    "url_crosstab,source,internal,partisan,race_id,cycle,office_type,seat_number,seat_name,"
    "election_date,stage,nationwide_batch,ranked_choice_reallocated,ranked_choice_round,"
    "hypothetical,party,answer,candidate_id,candidate_name,pct"
)


OLD_DEFAULTS = {
    "question_id": "1",
    "poll_id": "10",
    "cycle": "2020",
    "state": "Pennsylvania",
    "pollster": "Test Poll",
    "sample_size": "800",
    "population": "lv",
    "methodology": "Online",
    "office_type": "U.S. President",
    "seat_number": "0",
    "start_date": "10/1/20",
    "end_date": "10/3/20",
    "created_at": "10/4/20 09:30",
    "stage": "general",
    "answer": "Biden",
    "candidate_party": "DEM",
    "pct": "50",
}


def _csv_row(header: str, defaults: dict[str, str], **values) -> dict[str, str]:
    """One CSV row of ``header``: blank fields, then the defaults, then ``values``."""
    return {**dict.fromkeys(header.split(","), ""), **defaults, **values}


def _old_row(**values) -> dict[str, str]:
    return _csv_row(OLD_HEADER, OLD_DEFAULTS, **values)


def _write(path: Path, header: str, rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header.split(","), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_missing_column_raises(tmp_path):
    header = OLD_HEADER.replace(",pct", "")
    row = _old_row()
    del row["pct"]
    path = _write(tmp_path / "no_pct.csv", header, [row])
    with pytest.raises(UnknownLayoutError, match=r"no_pct\.csv.*'pct'"):
        detect_layout(path)
    with pytest.raises(UnknownLayoutError, match="pct"):
        load_fte(path, tmp_path)
    with pytest.raises(UnknownLayoutError):
        load_file(path, tmp_path)


def test_bad_values_are_rejected_and_good_rows_load(tmp_path):
    rows = [
        _old_row(answer="Biden", pct="50"),
        _old_row(answer="Trump", candidate_party="REP", pct="abc"),
        _old_row(question_id="2", answer="Biden", start_date="10/5/20", end_date="10/3/20"),
        _old_row(question_id="3", answer="Biden", pct="150"),
        _old_row(question_id="4", answer="Biden", state="Atlantis"),
        _old_row(question_id="5", answer="", pct="40"),
        _old_row(question_id="6", answer="Biden", sample_size="0"),
        _old_row(question_id="7", answer="Biden", start_date="someday"),
        _old_row(
            question_id="8",
            poll_id="11",
            answer="Trump",
            candidate_party="REP",
            state="Maine CD-2",
            population="likely",
            notes="two\nlines",
            pct="47.5",
        ),
        _old_row(question_id="9", poll_id="12", answer="Biden", state="Puerto Rico"),
    ]
    result = load_fte(_write(tmp_path / "polls.csv", OLD_HEADER, rows), tmp_path)
    assert result.layout == "fte_2018" and result.source == "polls.csv"
    assert result.rows_read == 10
    assert result.accepted["line_no"].tolist() == [2, 10]
    rejected = result.rejected.set_index("line_no")
    assert rejected.loc[3, ["kind", "field", "reason"]].tolist() == [
        "invalid",
        "pct",
        "pct 'abc' is not a number",
    ]
    assert rejected.loc[4, "field"] == "end_date" and "before start_date" in rejected.loc[4, "reason"]
    assert rejected.loc[5, "reason"] == "pct '150' is outside 0-100"
    assert rejected.loc[6, "field"] == "state"
    assert rejected.loc[7, "field"] == "answer"
    assert rejected.loc[8, "field"] == "sample_size"
    assert rejected.loc[9, "field"] == "start_date"
    assert rejected.loc[12, "kind"] == "out_of_scope"  # line 10 holds the quoted newline
    assert '"pct": "abc"' in rejected.loc[3, "raw"]
    good = result.accepted.set_index("line_no")
    assert good.loc[2, ["state", "race_id", "party", "pct"]].tolist() == [
        "PA",
        "2020-president-PA",
        "DEM",
        50.0,
    ]
    assert good.loc[2, "end_date"] == pd.Timestamp("2020-10-03")
    assert good.loc[10, ["state", "district", "race_id", "population"]].tolist()[:3] == [
        "ME",
        2,
        "2020-president-ME-2",
    ]
    assert pd.isna(good.loc[10, "population"])  # unknown population: kept, None


def test_malformed_and_blank_lines(tmp_path):
    text = OLD_HEADER + "\n" + ",".join(_old_row().values()) + "\n\n1,2,3\n"
    path = tmp_path / "short.csv"
    path.write_text(text, encoding="utf-8")
    result = load_fte(path, tmp_path)
    assert result.rows_read == 2
    assert result.accepted["line_no"].tolist() == [2]
    assert result.rejected[["line_no", "field"]].values.tolist() == [[4, None]]
    assert "3 fields" in result.rejected["reason"].iloc[0]


def test_new_layout_future_cycle_loads(tmp_path):
    base = dict.fromkeys(NEW_HEADER.split(","), "")
    base.update(
        poll_id="90001",
        pollster="Future Poll",
        state="Nebraska CD-2",
        start_date="10/1/24",
        end_date="10/3/24",
        question_id="200001",
        sample_size="600",
        population="LV",
        created_at="10/5/24 12:00",
        cycle="2024",
        office_type="U.S. President",
        seat_number="0",
        stage="general",
        methodology="Text-to-Web",
        partisan="REP,REF",
    )
    senate = {
        **base,
        "poll_id": "90002",
        "question_id": "200002",
        "state": "Ohio",
        "office_type": "U.S. Senate",
        "seat_name": "Class I",
        "party": "REP",
        "answer": "Moreno",
        "pct": "46",
    }
    rows = [
        {**base, "party": "DEM", "answer": "Harris", "pct": "49"},
        {**base, "party": "REP", "answer": "Trump", "pct": "47"},
        senate,
    ]
    result = load_fte(_write(tmp_path / "president_polls.csv", NEW_HEADER, rows), tmp_path)
    a = result.accepted
    assert result.layout == "fte_2023" and len(result.rejected) == 0
    assert a["race_id"].tolist() == ["2024-president-NE-2"] * 2 + ["2024-senate-OH-c1"]
    assert a["population"].eq("lv").all() and a["cycle"].eq(2024).all()
    assert a["partisan"].iloc[0] == "REP,REF"


def test_economist_bad_rows(tmp_path):
    path = tmp_path / "all_polls_2012.csv"
    path.write_bytes(
        b"state,pollster,number.of.observations,start.date,end.date,obama,romney,other,undecided,mode,"
        b"population\r\n"
        b"--,Gallup,3050,10/1/12,10/7/12,49,46,1,4,Live Phone,Likely Voters\r\n"
        b"OH,PPP,abc,10/1/12,10/7/12,49,46,1,4,Live Phone,Likely Voters\r\n"
        b"ZZ,PPP,500,10/1/12,10/7/12,49,46,1,4,Live Phone,Likely Voters\r\n"
        b"OH,PPP,500,10/1/12,10/7/12,49,,1,4,Live Phone,Likely Voters\r\n"
    )
    result = load_economist(path, tmp_path)
    assert result.rows_read == 4
    assert result.accepted[["line_no", "state", "candidate", "pct"]].values.tolist() == [
        [2, "US", "Obama", 49.0],
        [2, "US", "Romney", 46.0],
    ]
    assert result.rejected["field"].tolist() == ["number.of.observations", "state", "romney"]


# 538's results layout (election_results_*.csv)
RESULTS_HEADER = (
    "id,race_id,state_abbrev,state,office_id,office_name,office_seat_name,cycle,stage,special,"
    "party,politician_id,candidate_id,candidate_name,ballot_party,ranked_choice_round,votes,"
    "percent,unopposed,winner,alt_result_text,source"
)


def test_results_synthetic(tmp_path):
    header = RESULTS_HEADER
    base = dict.fromkeys(header.split(","), "")
    base.update(
        race_id="1",
        state="New York",
        office_name="U.S. Senate",
        office_seat_name="Class I",
        cycle="2018",
        stage="general",
        special="false",
        winner="false",
    )
    rows = [
        {
            **base,
            "candidate_id": "7",
            "candidate_name": "A Dem",
            "ballot_party": "DEM",
            "votes": "900",
            "percent": "45",
            "winner": "true",
        },
        {
            **base,
            "candidate_id": "7",
            "candidate_name": "A Dem",
            "ballot_party": "WFP",
            "votes": "100",
            "percent": "5",
            "winner": "true",
        },
        {
            **base,
            "candidate_id": "8",
            "candidate_name": "A Rep",
            "ballot_party": "REP",
            "votes": "1000",
            "percent": "fifty",
        },
        {**base, "alt_result_text": "Blank", "votes": "5", "percent": "0.25", "winner": ""},
    ]
    result = load_results(_write(tmp_path / "election_results_senate.csv", header, rows), tmp_path)
    a = result.accepted
    assert a["candidate"].tolist() == ["A Dem", "A Dem", "Blank"]
    assert a["party"].tolist()[:2] == ["DEM", "DEM"] and pd.isna(a["party"].iloc[2])  # WFP line is DEM
    assert a["pct"].tolist() == [45.0, 5.0, 0.25]
    assert a["race_id"].eq("2018-senate-NY-c1").all()
    assert result.rejected[["line_no", "field"]].values.tolist() == [[4, "percent"]]


def test_results_partial_counts_are_rejected(tmp_path):
    """A contested general election with a third of its state's usual turnout is a partial count in
    the source (2006 New Jersey Senate in 538's file): its lines are rejected, with the total and the
    median it was compared with. Uncontested races and ordinary low-turnout ones stay."""
    header = RESULTS_HEADER
    base = dict.fromkeys(header.split(","), "")
    base.update(office_name="U.S. Senate", stage="general", special="false", winner="false")

    def race(rid, state, cycle, klass, dem, rep):
        out = []
        for cid, (name, party, votes) in enumerate([("D", "DEM", dem), ("R", "REP", rep)]):
            if votes:
                out.append(
                    {
                        **base,
                        "race_id": rid,
                        "state": state,
                        "office_seat_name": klass,
                        "cycle": str(cycle),
                        "candidate_id": f"{rid}{cid}",
                        "candidate_name": f"{name} {state} {cycle}",
                        "ballot_party": party,
                        "votes": str(votes),
                    }
                )
        return out

    rows = (
        race("1", "New Jersey", 2000, "Class I", 1_500_000, 1_400_000)
        + race("2", "New Jersey", 2002, "Class II", 1_100_000, 900_000)
        + race("3", "New Jersey", 2006, "Class I", 58_333, 41_998)  # partial: 3% of the median
        + race("4", "New Jersey", 2008, "Class II", 1_900_000, 1_300_000)
        + race("5", "Georgia", 1972, "Class II", 800_000, 700_000)
        + race("6", "Georgia", 1978, "Class II", 536_320, 108_808)  # real: 40% of 1972
        + race("7", "Mississippi", 1984, "Class II", 400_000, 500_000)
        + race("8", "Mississippi", 1990, "Class II", 0, 274_244)  # uncontested: not checked
    )
    result = load_results(_write(tmp_path / "election_results_senate.csv", header, rows), tmp_path)
    rej = result.rejected
    assert rej[["line_no", "kind", "field"]].values.tolist() == [
        [6, "invalid", "votes"],
        [7, "invalid", "votes"],
    ]
    assert rej["reason"].iloc[0] == (
        "the 2006 NJ senate general election has 100,331 votes in all, 3% of the median (2,900,000) of NJ's "
        "other senate general elections 2000-2008: the source's counts are partial, so the race's result "
        "lines are not used (results_errata.csv can give the certified count)"
    )
    assert set(result.accepted["race_id"]) == {
        "2000-senate-NJ-c1",
        "2002-senate-NJ-c2",
        "2008-senate-NJ-c2",
        "1972-senate-GA-c2",
        "1978-senate-GA-c2",
        "1984-senate-MS-c2",
        "1990-senate-MS-c2",
    }


RAW_POLLS_HEADER = (
    "poll_id,question_id,race_id,year,race,location,type_simple,type_detail,pollster,pollster_rating_id,"
    "methodology,partisan,polldate,samplesize,cand1_name,cand1_id,cand1_party,cand1_pct,cand2_name,cand2_id,"
    "cand2_party,cand2_pct,cand3_pct,margin_poll,electiondate,cand1_actual,cand2_actual,margin_actual,error,"
    "bias,rightcall,advancedplusminus,comment"
)


RAW_POLL_DEFAULTS = {
    "poll_id": "1",
    "question_id": "11",
    "race_id": "100",
    "year": "2016",
    "location": "PA",
    "type_simple": "Pres-G",
    "type_detail": "Pres-G",
    "pollster": "Test Poll",
    "methodology": "Online",
    "partisan": "D",
    "polldate": "10/20/2016",
    "samplesize": "800",
    "cand1_name": "Hillary Rodham Clinton",
    "cand1_party": "DEM",
    "cand1_pct": "46",
    "cand2_name": "Donald Trump",
    "cand2_party": "REP",
    "cand2_pct": "44",
    "electiondate": "11/8/2016",
    "cand1_actual": "47.46",
    "cand2_actual": "48.18",
}


def _raw_poll_row(**values) -> dict[str, str]:
    return _csv_row(RAW_POLLS_HEADER, RAW_POLL_DEFAULTS, **values)


def test_raw_polls_bad_lines_are_rejected_with_line_and_field(tmp_path):
    rows = [
        _raw_poll_row(),
        _raw_poll_row(question_id="12", polldate="13/45/2016"),
        _raw_poll_row(question_id="13", cand1_pct="150"),
        _raw_poll_row(question_id="14", type_simple="House-G", type_detail="House-G", location="PA-7"),
        _raw_poll_row(question_id="15", type_simple="Sen-G", type_detail="Sen-O", location="LA"),
        _raw_poll_row(question_id="16", location="ZZ"),
        _raw_poll_row(question_id="17", samplesize="n/a"),
        _raw_poll_row(question_id="18", pollster=" "),
        _raw_poll_row(question_id="19", location="M2", partisan="R", polldate="11/1/2016"),
        _raw_poll_row(question_id="20", type_simple="Gov-G", type_detail="Gov-GR", location="US"),
    ]
    result = load_raw_polls(_write(tmp_path / "raw-polls.csv", RAW_POLLS_HEADER, rows), tmp_path)
    assert result.layout == "raw_polls_538" and result.rows_read == 10
    assert sorted(result.accepted["line_no"].unique()) == [2, 10]
    rejected = result.rejected.set_index("line_no")
    assert rejected[["kind", "field", "reason"]].to_dict("index") == {
        3: {"kind": "invalid", "field": "polldate", "reason": "polldate '13/45/2016' is not a date"},
        4: {"kind": "invalid", "field": "cand1_pct", "reason": "cand1_pct '150' is outside 0-100"},
        5: {
            "kind": "out_of_scope",
            "field": "type_simple",
            "reason": "type_simple 'House-G' is not a general election for president, Senate or governor "
            "(House races and presidential primaries are not modelled)",
        },
        6: {
            "kind": "out_of_scope",
            "field": "type_detail",
            "reason": "type_detail 'Sen-O' is an open (jungle / top-two) stage, not modelled",
        },
        7: {"kind": "invalid", "field": "location", "reason": "location 'ZZ' is not a known state"},
        8: {"kind": "invalid", "field": "samplesize", "reason": "samplesize 'n/a' is not a number"},
        9: {"kind": "invalid", "field": "pollster", "reason": "pollster is missing"},
        11: {
            "kind": "invalid",
            "field": "location",
            "reason": "location 'US' (national) is only valid for president",
        },
    }
    assert '"cand1_pct": "150"' in rejected.loc[4, "raw"]
    good = result.accepted.set_index(["line_no", "party"])
    assert good.loc[(2, "DEM"), ["race_id", "candidate", "pct", "partisan"]].tolist() == [
        "2016-president-PA",
        "Hillary Rodham Clinton",
        46.0,
        "DEM",
    ]
    assert good.loc[(2, "REP"), "pct"] == 44.0  # the poll's 44, never the attached 48.18
    assert good.loc[(10, "REP"), ["race_id", "district", "partisan", "start_date", "end_date"]].tolist() == [
        "2016-president-ME-2",
        2,
        "REP",
        pd.Timestamp("2016-11-01"),
        pd.Timestamp("2016-11-04"),
    ]


def test_raw_polls_senate_class_from_names_then_attached_result(tmp_path):
    results = senate_results_frame(
        (2014, "OK", 2, False, [("Matt Silverstein", "DEM", 2800), ("Jim Inhofe", "REP", 7200)]),  # 28.0
        (2014, "OK", 3, True, [("Connie Johnson", "DEM", 3000), ("James Lankford", "REP", 7000)]),  # 30.0
    )
    senate = {"type_simple": "Sen-G", "type_detail": "Sen-G", "location": "OK", "year": "2014"}
    rows = [
        _raw_poll_row(**senate, cand1_name="Connie Johnson", cand2_name="James Lankford"),
        _raw_poll_row(
            **senate,
            question_id="12",
            cand1_name="Dem",
            cand2_name="Rep",
            cand1_actual="28",
            cand2_actual="72",
        ),
        _raw_poll_row(
            **senate,
            question_id="13",
            cand1_name="Dem",
            cand2_name="Rep",
            cand1_actual="40",
            cand2_actual="60",
        ),
    ]
    result = load_raw_polls(_write(tmp_path / "raw-polls.csv", RAW_POLLS_HEADER, rows), tmp_path, results)
    assert result.accepted.groupby("line_no")["race_id"].first().to_dict() == {
        2: "2014-senate-OK-c3",  # by the candidates' names
        3: "2014-senate-OK-c2",  # by the attached result: 28 / (28 + 72) = 28.0
    }
    bad = result.rejected.set_index("line_no")
    assert bad.loc[4, "field"] == "location" and "matches none of them" in bad.loc[4, "reason"]


# ---------------------------------------------------------------- fetch


def _mirror(tmp_path: Path, files: dict[str, bytes], drop: tuple[int, ...] = ()):
    entries = []
    for rel, data in files.items():
        repo, commit, upstream = "owner/repo", "a" * 40, f"data/{rel}"
        target = tmp_path / "mirror" / repo / commit / upstream
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        kept = drop_cycles(data, drop) if drop else data
        entries.append(
            ManifestEntry(rel, repo, commit, upstream, hashlib.sha256(kept).hexdigest(), len(kept), drop)
        )
    return (tmp_path / "mirror").as_uri(), entries


def test_fetch_from_file_mirror(tmp_path, capsys):
    data = b'poll_id,cycle,pct\n1,2022,40\n2,2024,"4\n1"\n3,2020,45\r\n'
    base_url, entries = _mirror(tmp_path, {"x/polls.csv": data}, drop=(2024,))
    dest = tmp_path / "data"
    written = fetch(dest, base_url=base_url, manifest=entries)
    assert written == [dest / "x/polls.csv"]
    assert written[0].read_bytes() == b"poll_id,cycle,pct\n1,2022,40\n3,2020,45\r\n"
    assert "ok" in capsys.readouterr().out
    fetch(dest, base_url=base_url, manifest=entries)
    assert "present, sha256 ok" in capsys.readouterr().out
    assert not list(dest.glob("x/.*.part"))


def test_fetch_hash_mismatch_names_file_and_hashes(tmp_path):
    base_url, entries = _mirror(tmp_path, {"y/file.csv": b"a,b\n1,2\n"})
    wrong = [ManifestEntry(e.path, e.repo, e.commit, e.upstream_path, "0" * 64, e.size) for e in entries]
    with pytest.raises(FetchError, match=r"y/file\.csv: sha256 mismatch: expected 0{64}, got [0-9a-f]{64}"):
        fetch(tmp_path / "data", base_url=base_url, manifest=wrong, log=lambda _: None)
    assert not (tmp_path / "data" / "y" / "file.csv").exists()
    with pytest.raises(FetchError, match="not in the data manifest"):
        fetch(tmp_path / "data", files=["nope.csv"], base_url=base_url, manifest=entries)


@real
def test_fetch_real_file_from_mirror(tmp_path):
    rel = ECON_2012
    entry = next(e for e in FILES if e.path == rel)
    target = tmp_path / "mirror" / entry.repo / entry.commit / entry.upstream_path
    target.parent.mkdir(parents=True)
    target.write_bytes((DATA / rel).read_bytes())
    written = fetch(
        tmp_path / "data", files=[rel], base_url=(tmp_path / "mirror").as_uri(), log=lambda _: None
    )
    assert hashlib.sha256(written[0].read_bytes()).hexdigest() == entry.sha256
