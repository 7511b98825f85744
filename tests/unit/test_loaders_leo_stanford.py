"""LEO and Stanford loaders: concrete numbers on the real files, and small synthetic bad files."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from forecast_pipeline.loaders.base import (
    POLL_ANSWER_COLUMNS,
    REJECT_COLUMNS,
    UnknownLayoutError,
)
from forecast_pipeline.loaders.leo import answers_path, load_leo
from forecast_pipeline.loaders.registry import RESULT_FILES, detect_layout, load_file, load_known
from forecast_pipeline.loaders.stanford import load_stanford
from tests.unit.synthetic import senate_results_frame

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("FORECAST_DATA_DIR", REPO.parent / "shared" / "data" / "raw"))
# Missing data is a failure (conftest.data_dir says how to get it), never a silent skip.
real = pytest.mark.usefixtures("data_dir")

LEO = "upshot-leo-senate-model/senate_polls.csv"
LEO_ANSWERS = "upshot-leo-senate-model/senate_poll_answers.csv"
LEO_2010 = "upshot-leo-senate-model/senate_polls_2010.csv"
LEO_2010_ANSWERS = "upshot-leo-senate-model/senate_2010_answers.csv"
AUX = "stanford-polling-errors/polls_auxiliary_dataset.tsv"
MAIN = "stanford-polling-errors/polls_main_dataset.tsv"
ROWS_FILE = {LEO: LEO_ANSWERS, LEO_2010: LEO_2010_ANSWERS, AUX: AUX, MAIN: MAIN}

# rows_read, accepted lines, rejected lines, distinct polls, layout
EXPECTED = {
    LEO: (10493, 10424, 69, 4914, "leo_polls"),
    LEO_2010: (3713, 3691, 22, 1795, "leo_polls_2010"),
    AUX: (10444, 9222, 1222, 9027, "stanford_auxiliary"),
    MAIN: (4221, 4126, 95, 4092, "stanford_main"),
}
ANSWER_COLUMNS = [
    "line_no",
    "poll_id",
    "question_id",
    "pollster",
    "start_date",
    "end_date",
    "sample_size",
    "population",
    "partisan",
    "candidate",
    "party",
    "pct",
    "state",
    "race_id",
]


@pytest.fixture(scope="module")
def loaded():
    return load_known(DATA, RESULT_FILES + list(EXPECTED))


@pytest.fixture(scope="module")
def senatesenate_results_frame(loaded):
    return loaded["fivethirtyeight-election-results/election_results_senate.csv"].accepted


def _records(path: Path) -> int:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return sum(1 for row in csv.reader(fh, delimiter="\t" if path.suffix == ".tsv" else ",") if row) - 1


def _row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    assert mask.sum() == 1, f"{where} matched {int(mask.sum())} rows"
    return frame[mask].iloc[0]


def _values(frame: pd.DataFrame, columns=ANSWER_COLUMNS) -> list:
    return [None if pd.isna(v) else v for v in frame[columns].tolist()]


# ---------------------------------------------------------------- real files: accounting


@real
@pytest.mark.parametrize("rel", list(EXPECTED))
def test_counts_reconcile(loaded, rel):
    result = loaded[rel]
    rows, accepted, rejected, polls, layout = EXPECTED[rel]
    a = result.accepted
    got = (
        result.rows_read,
        a["line_no"].nunique(),
        result.rejected_lines,
        a["poll_id"].nunique(),
        result.layout,
    )
    assert got == (rows, accepted, rejected, polls, layout)
    assert result.rows_read == _records(DATA / ROWS_FILE[rel])
    assert result.rows_read == a["line_no"].nunique() + result.rejected_lines
    assert not set(a["line_no"]) & set(result.rejected["line_no"])
    assert result.source == rel and detect_layout(DATA / rel) == layout
    # rows point at the file that holds their line
    assert a["source"].eq(ROWS_FILE[rel]).all() and result.rejected["source"].eq(ROWS_FILE[rel]).all()
    assert list(a.columns) == POLL_ANSWER_COLUMNS and list(result.rejected.columns) == REJECT_COLUMNS
    assert a["pct"].between(0, 100).all() and (a["end_date"] >= a["start_date"]).all()
    assert a["population"].dropna().isin(["lv", "rv", "a", "v"]).all()
    assert a["partisan"].dropna().isin(["DEM", "REP", "IND"]).all()
    assert (a["sample_size"].dropna() > 0).all() and a["stage"].eq("general").all()
    senate = a[a["office"] == "senate"]
    assert senate["senate_class"].notna().all()
    assert (
        senate["race_id"]
        == senate["cycle"].astype(str)
        + "-senate-"
        + senate["state"]
        + "-c"
        + senate["senate_class"].astype(str)
    ).all()
    assert a.loc[a["office"] != "senate", "senate_class"].isna().all()
    assert a["created_at"].isna().all()
    assert result.rejected["reason"].str.len().gt(0).all()


@real
def test_leo_polls_by_cycle_match_coverage(loaded):
    main = loaded[LEO].accepted.groupby("cycle")["poll_id"].nunique()
    assert main[2008] == 679 and main[2006] == 871 and main[2004] == 533
    # 844 poll lines in 2012; 13 polls only have undecided answers to primary questions
    assert main[2012] == 831
    assert 2010 not in main.index
    y2010 = loaded[LEO_2010].accepted
    assert y2010["cycle"].eq(2010).all()
    # 1,800 poll lines: five NY polls ask only Ford/Thompson v Pataki, which match neither NY race
    assert y2010["poll_id"].nunique() == 1795


@real
def test_stanford_by_cycle_match_coverage(loaded):
    aux = loaded[AUX]
    lines = aux.accepted.drop_duplicates("line_no").groupby(["cycle", "office"]).size()
    polls = aux.accepted.groupby(["cycle", "office"])["poll_id"].nunique()
    # 2010 governor: 687 lines less AK (parties swapped), ME and RI (an independent in the top two) and
    # OR (attached results disagree with each other); 2006: 581 less NY (swapped) and MI (mixed)
    assert lines[(2010, "governor")] == polls[(2010, "governor")] == 624
    assert lines[(2012, "senate")] == 783 and lines[(2006, "governor")] == 518
    # 2008 Senate: 1,175 lines = 853 accepted + 281 exact copies (the 2008 block appears twice, once with
    # a trailing blank after the pollster) + 41 Mississippi/Wyoming lines whose race is ambiguous
    assert lines[(2008, "senate")] == 853 and polls[(2008, "senate")] == 820
    rejected = aux.rejected
    raw = rejected["raw"].map(json.loads)
    sen2008 = raw.map(lambda r: (r["election"], r["year"]) == ("Sen", "2008"))
    assert sen2008.sum() == 1175 - 853
    assert rejected[sen2008]["kind"].value_counts().to_dict() == {"out_of_scope": 281, "invalid": 41}
    main = loaded[MAIN].accepted.drop_duplicates("line_no").groupby(["cycle", "office"]).size()
    assert main[(2008, "president")] == 466 and main[(2014, "senate")] == 67 and main[(2013, "senate")] == 22


# ---------------------------------------------------------------- real files: LEO values


@real
def test_leo_known_poll(loaded):
    a = loaded[LEO].accepted
    begich = _row(a, line_no=2)
    assert _values(begich) == [
        2,
        "17136",
        "17136-6300",
        "Fairleigh Dickinson",
        pd.Timestamp("2008-09-17"),
        pd.Timestamp("2008-09-21"),
        601.0,
        "lv",
        None,
        "Begich",
        "DEM",
        47.0,
        "AK",
        "2008-senate-AK-c2",
    ]
    stevens = _row(a, line_no=28)
    assert (stevens["poll_id"], stevens["candidate"], stevens["party"], stevens["pct"]) == (
        "17136",
        "Stevens",
        "REP",
        43.0,
    )
    assert begich["office"] == "senate" and begich["stage"] == "general" and pd.isna(begich["mode"])
    # LEO writes 0 for an unknown sample size; partisan "d" -> DEM
    assert pd.isna(_row(a, line_no=21)["sample_size"])
    assert _row(a, poll_id="24082", candidate="Wicker")["partisan"] == "DEM"
    # "Jr." in the surname column: the surname comes from the full name
    assert set(a.loc[a["race_id"] == "2006-senate-PA-c1", "candidate"]) >= {"Casey", "Santorum"}
    assert a["party"].isna().sum() == 133  # primary losers in hypothetical match-ups, generic candidates


@real
def test_leo_2010_known_poll(loaded):
    a = loaded[LEO_2010].accepted
    akers = _row(a, line_no=2)
    assert _values(akers) == [
        2,
        "995",
        "995-murray-v-akers",
        "Rasmussen (Pulse Opinion Research)",
        pd.Timestamp("2010-07-14"),
        pd.Timestamp("2010-07-14"),
        750.0,
        "lv",
        None,
        "Akers",
        "REP",
        41.0,
        "WA",
        "2010-senate-WA-c3",
    ]
    angle = _row(a, line_no=38)
    assert (angle["pollster"], angle["mode"], angle["race_id"]) == ("Mason-Dixon", "RDD", "2010-senate-NV-c3")
    assert _row(a, line_no=37)["partisan"] == "REP"
    assert set(a["party"]) == {"DEM", "REP", "OTH"}


@real
def test_leo_specials_get_their_class(loaded):
    a = loaded[LEO].accepted
    ms = a[(a["cycle"] == 2008) & (a["state"] == "MS")]
    assert set(ms.loc[ms["candidate"].isin(["Wicker", "Musgrove"]), "race_id"]) == {"2008-senate-MS-c1"}
    assert set(ms.loc[ms["candidate"].isin(["Cochran", "Fleming"]), "race_id"]) == {"2008-senate-MS-c2"}
    wicker = _row(a, poll_id="16522", candidate="Wicker")
    assert (wicker["pollster"], wicker["pct"], wicker["senate_class"]) == ("Research 2000", 51.0, 1)
    # the results give Musgrove the special's nonpartisan ballot line
    assert _row(a, poll_id="16522", candidate="Musgrove")["party"] == "NPA"
    wy = a[(a["cycle"] == 2008) & (a["state"] == "WY")].groupby("race_id")["candidate"].unique()
    assert set(wy["2008-senate-WY-c1"]) == {"Barrasso", "Carter"}
    assert set(wy["2008-senate-WY-c2"]) == {"Enzi", "Rothfuss"}
    # one poll asked about both Wyoming races: one poll id, two races
    assert a[a["poll_id"] == "16859"]["race_id"].nunique() == 2

    b = loaded[LEO_2010].accepted
    races = b.groupby("candidate")["race_id"].unique()
    assert list(races["Gillibrand"]) == ["2010-senate-NY-c1"]
    assert list(races["Schumer"]) == ["2010-senate-NY-c3"]
    assert list(races["Coons"]) == ["2010-senate-DE-c2"] and list(races["Manchin"]) == ["2010-senate-WV-c1"]
    blakeman = _row(b, line_no=251)
    assert (blakeman["pollster"], blakeman["party"], blakeman["race_id"]) == (
        "Siena",
        "REP",
        "2010-senate-NY-c1",
    )


@real
def test_leo_class_from_names_over_slug(loaded):
    a = loaded[LEO].accepted
    # LEO's slug says class III (McMahon's 2010 race) for this 2012 poll; the names put it in class I
    mcmahon = _row(a, line_no=1241)
    assert _values(mcmahon, ["poll_id", "pollster", "candidate", "party", "pct", "race_id"]) == [
        "24042",
        "Bennett Petts Blumenthal",
        "McMahon",
        "REP",
        36.0,
        "2012-senate-CT-c1",
    ]
    assert _row(a, line_no=1058)["race_id"] == "2012-senate-CT-c1"
    # a race missing from the results keeps LEO's slug class: North Dakota's December 1992 special
    nd = a[a["race_id"] == "1992-senate-ND-c1"]
    assert set(nd["candidate"]) == {"Conrad", "Dalrymple"} and nd["party"].isna().all()
    assert _row(a, line_no=5261)[["pollster", "pct"]].tolist() == ["U. North Dakota", 68.0]


@real
def test_leo_rejects(loaded):
    result = loaded[LEO]
    rejected = result.rejected.set_index("line_no")
    assert rejected.loc[558, ["kind", "field", "reason"]].tolist() == [
        "invalid",
        "poll_id",
        f"poll_id '25904' is not in {LEO}",
    ]
    # a bad poll line rejects its answers, naming the poll file and line
    assert rejected.loc[2889, ["field", "reason"]].tolist() == [
        "end_date",
        f"poll 26142 ({LEO} line 3813): end_date '8/1/98' is before start_date '8/31/98'",
    ]
    assert rejected["kind"].value_counts().to_dict() == {"out_of_scope": 65, "invalid": 4}
    assert rejected.loc[10436, "reason"] == "stage 'primary': only general-election answers are modelled"
    assert rejected.loc[10430, "reason"] == "answer 'undecided' is not a candidate"
    polls = result.poll_rejected
    assert result.answers_source == LEO_ANSWERS and polls["source"].eq(LEO).all()
    assert polls[["line_no", "kind", "field"]].values.tolist() == [
        [847, "out_of_scope", "id"],
        [3813, "invalid", "end_date"],
    ]

    y2010 = loaded[LEO_2010].rejected
    assert y2010["field"].value_counts().to_dict() == {"poll_id": 12, "office": 10}
    ford = y2010.set_index("line_no").loc[1400, "reason"]
    assert (
        ford == "NY has 2 Senate races in 2010 (classes [1, 3]) and the candidates ['Ford', 'Pataki'] "
        "match none of them"
    )


@real
def test_leo_withoutsenate_results_frame():
    main = load_leo(DATA / LEO, DATA)
    assert main.accepted["party"].isna().all() and main.accepted["senate_class"].notna().all()
    assert _row(main.accepted, line_no=1241)["race_id"] == "2012-senate-CT-c3"  # the slug, unchecked
    y2010 = load_leo(DATA / LEO_2010, DATA)
    assert len(y2010.accepted) == 0 and y2010.rejected_lines == y2010.rows_read == 3713
    assert y2010.rejected["reason"].str.contains("no certified Senate results were given").sum() == 3701


# ---------------------------------------------------------------- real files: Stanford values


@real
def test_stanford_auxiliary_known_polls(loaded):
    a = loaded[AUX].accepted
    first = a[a["line_no"] == 2]
    assert first[["candidate", "party", "pct"]].values.tolist() == [
        ["Democrat", "DEM", 39.0],
        ["Republican", "REP", 57.0],
    ]
    dem = first.iloc[0]
    assert _values(
        dem,
        [
            "cycle",
            "office",
            "state",
            "race_id",
            "pollster",
            "start_date",
            "end_date",
            "sample_size",
            "population",
            "mode",
            "partisan",
        ],
    ) == [
        2004,
        "president",
        "AL",
        "2004-president-AL",
        "SurveyUSA",
        pd.Timestamp("2004-10-27"),
        pd.Timestamp("2004-10-27"),
        735.0,
        "lv",
        None,
        None,
    ]
    assert dem["poll_id"].startswith("stan-") and dem["question_id"].startswith("stan-q-")
    dscc = _row(a, line_no=2287, party="DEM")
    assert _values(dscc, ["pollster", "sponsor", "partisan", "pct", "race_id"]) == [
        "Global Strategy Group (D-DSCC)",
        "DSCC",
        "DEM",
        42.0,
        "2008-president-AK",
    ]
    ppp = _row(a, line_no=6960, party="REP")
    assert _values(ppp, ["pollster", "partisan", "mode", "sample_size", "pct"]) == [
        "PPP (D)",
        "DEM",
        "Automated Phone",
        94.0,
        53.0,
    ]
    gov = _row(a, line_no=8916, party="DEM")
    assert _values(gov, ["race_id", "pollster", "pct", "end_date"]) == [
        "2010-governor-AR",
        "Rasmussen Reports",
        60.0,
        pd.Timestamp("2010-10-28"),
    ]
    # populationType spellings
    raw = pd.read_csv(DATA / AUX, sep="\t", dtype=str, keep_default_na=False)
    by_line = a.drop_duplicates("line_no").set_index("line_no")["population"]
    spelled = raw["populationType"].set_axis(range(2, len(raw) + 2))
    for text, code in {
        "Likely Voters": "lv",
        "Registered Voters": "rv",
        "LV": "lv",
        "A": "a",
        "AV": None,
    }.items():
        lines = [n for n in spelled[spelled == text].index if n in by_line.index]
        assert lines, text
        got = set(by_line[lines].fillna("none"))
        assert got == {code or "none"}, text
    # a start date is given on some lines, else the end date stands in
    dated = _row(a, line_no=9781, party="DEM")
    assert (dated["start_date"], dated["end_date"]) == (
        pd.Timestamp("2006-10-23"),
        pd.Timestamp("2006-10-30"),
    )


@real
def test_stanford_rejects_and_duplicates(loaded):
    aux = loaded[AUX]
    rejected = aux.rejected.set_index("line_no")
    assert rejected.loc[2002, ["kind", "field", "reason"]].tolist() == [
        "out_of_scope",
        "pollName",
        "line repeats line 2001 field for field",
    ]
    ms = rejected.loc[5924]
    assert ms["field"] == "state" and ms["reason"] == (
        "MS has 2 Senate races in 2008 (classes [1, 2]) and the source names no candidates, and the attached "
        "final result 43.96 matches none of them"
    )
    assert aux.rejected["field"].value_counts().to_dict() == {
        "pollName": 1047,
        "finalTwoPartyVSDemocratic": 134,
        "state": 41,
    }
    # 2006 NY governor: the file swaps the parties (Spitzer at 24%), caught against the certified result
    raw = aux.rejected["raw"].map(json.loads)
    ny = aux.rejected[raw.map(lambda r: (r["election"], r["year"], r["state"]) == ("Gov", "2006", "NY"))]
    assert len(ny) == 11 and ny["field"].eq("finalTwoPartyVSDemocratic").all()
    assert ny["reason"].str.contains("its race's median 29.7").all()
    assert ny["reason"].str.contains("differs from the certified Democratic two-party share 70.8").all()
    # 2006 New Jersey Senate: checked against the errata's certified 54.6% (results_errata.csv), not the
    # partial count's 58.1% that used to reject all 116 lines
    assert aux.accepted.loc[aux.accepted["race_id"] == "2006-senate-NJ-c1", "line_no"].nunique() == 116
    # an LV and an RV version of one poll share the poll id
    versions = aux.accepted[
        (aux.accepted["state"] == "AZ")
        & (aux.accepted["cycle"] == 2006)
        & (aux.accepted["pollster"] == "Mason-Dixon")
    ]
    lv_rv = versions.groupby("poll_id")["population"].unique().map(sorted)
    assert ["lv", "rv"] in lv_rv.tolist()
    # the attached result is not a poll field
    assert not any("finalTwoParty" in c for c in aux.accepted.columns)


@real
def test_stanford_main_specials(loaded):
    a = loaded[MAIN].accepted
    assert _values(_row(a, line_no=2, party="DEM")) == [
        2,
        "stan-154b8eb4e831",
        "stan-q-92bd02ffbb81",
        "Fairbank, Maslin, Maullin, Metz & Associates",
        pd.Timestamp("1998-10-13"),
        pd.Timestamp("1998-10-13"),
        1418.0,
        None,
        None,
        "Democrat",
        "DEM",
        49.0,
        "NV",
        "1998-senate-NV-c3",
    ]
    special = a[(a["cycle"] == 2008) & (a["state"] == "MS") & (a["office"] == "senate")]
    assert special.groupby("race_id")["line_no"].nunique().to_dict() == {
        "2008-senate-MS-c1": 5,
        "2008-senate-MS-c2": 1,
    }
    assert _row(a, line_no=2179, party="DEM")[["pollster", "pct", "race_id"]].tolist() == [
        "Research 2000",
        46.0,
        "2008-senate-MS-c1",
    ]
    # one Mason-Dixon poll asked about both Wyoming races
    wy = a[(a["line_no"].isin([2154, 2155])) & (a["party"] == "DEM")]
    assert wy[["line_no", "poll_id", "race_id", "pct"]].values.tolist() == [
        [2154, "stan-01c587778965", "2008-senate-WY-c2", 20.0],
        [2155, "stan-01c587778965", "2008-senate-WY-c1", 22.0],
    ]
    ny = a[(a["cycle"] == 2010) & (a["state"] == "NY") & (a["office"] == "senate")]
    assert ny.groupby("race_id")["line_no"].nunique().to_dict() == {
        "2010-senate-NY-c1": 12,
        "2010-senate-NY-c3": 11,
    }
    assert a["population"].isna().all() and a["mode"].isna().all()
    assert set(a["office"]) == {"president", "senate", "governor"}
    assert set(a.loc[a["office"] == "governor", "cycle"]) >= {1999, 2001, 2013}


# ---------------------------------------------------------------- synthetic files

LEO_POLL_HEADER = (
    "cycle,id,states.abbrev,start_date,end_date,sample_size,pollsters.name,population,nationwide,"
    "tracking,partisan,date_added"
)
LEO_ANSWER_HEADER = "poll_id,politician_id,office,matchup,stage,party,nyt_name,pct,last"
STANFORD_HEADER = (
    "election\tstate\tyear\tpollName\tstartDate\tendDate\tnumberOfRespondents\tdemocratic\t"
    "republican\tsomeoneElse\tundecided\trefuseToAnswer\tpopulationType\tMode\telectionDate\t"
    "finalTwoPartyVSDemocratic\tfinalTwoPartyVSRepublican"
)


MS_2008 = senate_results_frame(
    (2008, "MS", 2, False, [("Thad Cochran", "REP", 766111), ("Erik R. Fleming", "DEM", 480915)]),
    (2008, "MS", 1, True, [("Roger F. Wicker", "REP", 683409), ("Ronnie Musgrove", "DEM", 560064)]),
    (2008, "AL", 2, False, [("Jeff Sessions", "REP", 1305383), ("Vivian Davis Figures", "DEM", 752391)]),
)


def _leo_files(tmp_path: Path, polls: list[str], answers: list[str], eol: str = "\r") -> Path:
    (tmp_path / "senate_polls.csv").write_text(eol.join([LEO_POLL_HEADER, *polls]) + eol, encoding="utf-8")
    (tmp_path / "senate_poll_answers.csv").write_text(
        eol.join([LEO_ANSWER_HEADER, *answers]) + eol, encoding="utf-8"
    )
    return tmp_path / "senate_polls.csv"


def test_leo_synthetic_pairing_classes_and_bad_values(tmp_path):
    polls = [
        "2008,1,MS,10/1/08,10/3/08,600,Test Poll,LV,0,,D,9/17/12",
        "2008,2,MS,10/5/08,10/3/08,600,Test Poll,lv,0,,,9/17/12",  # end before start
        "2008,3,AL,10/1/08,10/2/08,0,Other Poll,rv,0,,,9/17/12",  # n 0 = unknown
        "2008,4,MS,10/1/08,10/2/08,500,Third Poll,lv,0,,,9/17/12",  # no answers
    ]
    answers = [
        "1,1,ms-senate-class-i,10,general,,Roger F. Wicker,48,Wicker",
        "1,2,ms-senate-class-i,10,general,,Ronnie Musgrove,abc,Musgrove",  # bad pct
        "1,3,ms-senate-class-ii,11,general,,Thad Cochran,55,Cochran",
        "1,4,ms-senate-class-ii,11,general,,Erik R. Fleming,150,Fleming",  # pct out of range
        "2,1,ms-senate-class-i,12,general,,Roger F. Wicker,50,Wicker",
        "3,5,al-senate-class-ii,13,general,,Jeff Sessions,60,Sessions",
        "3,6,al-senate-class-ii,13,general,,undecided,10,undecided",
        "9,1,ms-senate-class-i,14,general,,Roger F. Wicker,50,Wicker",  # poll 9 is not in the poll table
    ]
    path = _leo_files(tmp_path, polls, answers)
    assert detect_layout(path) == "leo_polls" and answers_path(path).name == "senate_poll_answers.csv"
    result = load_file(path, tmp_path, results=MS_2008)
    assert isinstance(result.rows_read, int) and result.rows_read == 8
    assert result.source == "senate_polls.csv" and result.answers_source == "senate_poll_answers.csv"
    a = result.accepted
    assert a[["line_no", "candidate", "party", "pct", "race_id"]].values.tolist() == [
        [2, "Wicker", "REP", 48.0, "2008-senate-MS-c1"],
        [4, "Cochran", "REP", 55.0, "2008-senate-MS-c2"],
        [7, "Sessions", "REP", 60.0, "2008-senate-AL-c2"],
    ]
    assert a["source"].eq("senate_poll_answers.csv").all()
    assert a.loc[a["line_no"] == 2, "partisan"].item() == "DEM"
    assert a.loc[a["line_no"] == 2, "population"].item() == "lv"
    assert pd.isna(a.loc[a["line_no"] == 7, "sample_size"].item())
    rejected = result.rejected.set_index("line_no")
    assert rejected.loc[3, ["kind", "field", "reason"]].tolist() == [
        "invalid",
        "pct",
        "pct 'abc' is not a number",
    ]
    assert rejected.loc[5, ["field", "reason"]].tolist() == ["pct", "pct '150' is outside 0-100"]
    assert rejected.loc[6, "field"] == "end_date" and "(senate_polls.csv line 3)" in rejected.loc[6, "reason"]
    assert rejected.loc[8, "kind"] == "out_of_scope"
    assert rejected.loc[9, "reason"] == "poll_id '9' is not in senate_polls.csv"
    assert result.rows_read == a["line_no"].nunique() + result.rejected_lines
    assert result.poll_rejected[["line_no", "field"]].values.tolist() == [[3, "end_date"], [5, "id"]]


def test_leo_2010_layout_resolves_specials_by_name(tmp_path):
    (tmp_path / "senate_polls_2010.csv").write_text(
        "id,state,start_date,end_date,methodology,sample_size,pollster,population,national,"
        "generic_candidates,other_pct,undecided_pct,margin_of_error,undecided_and_other_pct,partisan_flag,"
        "tracking\n"
        "1,MS,10/1/2008,10/2/2008,IVR,500,Test,LV,0,0,,,,,R,\n"
        "2,MS,10/1/2008,10/2/2008,,500,Test,LV,0,0,,,,,,\n"
        "3,MS,10/1/2008,10/2/2008,,500,Test,LV,0,0,,,,,,\n",
        encoding="utf-8",
    )
    (tmp_path / "senate_2008_answers.csv").write_text(
        "poll_id,candidate_id,office,fte_matchup,stage,party,last_name,slug,pct\n"
        "1,1,senate,Musgrove v. Wicker,general,Dem,Musgrove,ronnie-musgrove,45\n"
        "1,2,senate,Musgrove v. Wicker,general,Rep,Wicker,roger-wicker,47\n"
        "2,3,senate,Fleming v. Cochran,general,D,Fleming,erik-fleming,35\n"
        "3,4,senate,Moore v. Smith,general,D,Moore,mike-moore,40\n",
        encoding="utf-8",
    )
    path = tmp_path / "senate_polls_2010.csv"
    with pytest.raises(FileNotFoundError, match=r"senate_polls_2010\.csv.*senate_2010_answers\.csv"):
        load_file(path, tmp_path, results=MS_2008)
    (tmp_path / "senate_2008_answers.csv").rename(tmp_path / "senate_2010_answers.csv")
    result = load_file(path, tmp_path, results=MS_2008)
    assert result.layout == "leo_polls_2010"
    a = result.accepted
    columns = ["poll_id", "question_id", "candidate", "party", "race_id", "mode", "partisan"]
    assert [_values(row, columns) for _, row in a.iterrows()] == [
        ["1", "1-musgrove-v-wicker", "Musgrove", "DEM", "2008-senate-MS-c1", "IVR", "REP"],
        ["1", "1-musgrove-v-wicker", "Wicker", "REP", "2008-senate-MS-c1", "IVR", "REP"],
        ["2", "2-fleming-v-cochran", "Fleming", "DEM", "2008-senate-MS-c2", None, None],
    ]
    assert a["cycle"].eq(2008).all()
    assert result.rejected[["line_no", "field", "reason"]].values.tolist() == [
        [
            5,
            "office",
            "MS has 2 Senate races in 2008 (classes [1, 2]) and the candidates ['Moore'] match none of them",
        ]
    ]


def test_leo_missing_column_and_answers_layout(tmp_path):
    path = _leo_files(
        tmp_path,
        ["2008,1,MS,10/1/08,10/3/08,600,Test Poll,lv,0,,,9/17/12"],
        ["1,1,ms-senate-class-i,10,general,,Roger F. Wicker,48,Wicker"],
    )
    text = path.read_text(encoding="utf-8").replace("pollsters.name", "pollster_name")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UnknownLayoutError, match="pollsters.name"):
        detect_layout(path)
    with pytest.raises(UnknownLayoutError, match="pollsters.name"):
        load_leo(path, tmp_path)
    path.write_text(text.replace("pollster_name", "pollsters.name"), encoding="utf-8")
    answers = tmp_path / "senate_poll_answers.csv"
    answers.write_text(answers.read_text(encoding="utf-8").replace(",pct,", ",share,"), encoding="utf-8")
    with pytest.raises(UnknownLayoutError, match=r"senate_polls\.csv.*answers table.*'pct'"):
        load_leo(path, tmp_path)
    answers.unlink()
    with pytest.raises(FileNotFoundError, match=r"senate_polls\.csv.*senate_poll_answers\.csv"):
        load_leo(path, tmp_path)
    with pytest.raises(FileNotFoundError, match="cannot tell which LEO answers file"):
        answers_path(tmp_path / "polls.csv")


def _stanford_row(**values) -> str:
    row = dict.fromkeys(STANFORD_HEADER.split("\t"), "NA")
    row.update(
        election="Sen",
        state="MS",
        year="2008",
        pollName="Test Poll ",
        endDate="2008-10-20",
        numberOfRespondents="600",
        democratic="44",
        republican="50",
        populationType="LV",
        electionDate="2008-11-04",
        finalTwoPartyVSDemocratic="45.04",
        finalTwoPartyVSRepublican="54.96",
    )
    row.update(values)
    return "\t".join(row.values())


# Sessions 1,305,383 v Figures 752,391 (MS_2008): the Democrat's two-party share 36.56
AL_RESULT = {"finalTwoPartyVSDemocratic": "36.56", "finalTwoPartyVSRepublican": "63.44"}


def test_stanford_rejects_a_race_whose_attached_result_contradicts_the_certified_one(tmp_path):
    """The file swaps the parties of some races (2006 New York governor): the attached result then
    mirrors the certified one, and every line of the race is rejected on that field."""
    swapped = {"finalTwoPartyVSDemocratic": "63.44", "finalTwoPartyVSRepublican": "36.56"}
    lines = [
        _stanford_row(state="AL", democratic="60", republican="35", **swapped),
        _stanford_row(state="AL", democratic="58", republican="37", endDate="2008-10-25", **swapped),
        _stanford_row(state="AL", endDate="2008-10-26", finalTwoPartyVSDemocratic="38.0"),  # 1.4 off: kept
        _stanford_row(election="Pres", state="AL", **swapped),  # no certified presidential result: kept
    ]
    path = tmp_path / "polls_auxiliary_dataset.tsv"
    path.write_text(STANFORD_HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    swapped_race = load_file(path, tmp_path, results=MS_2008)
    rejected = swapped_race.rejected.set_index("line_no")
    # the race's median attached value is 63.44 (two lines of three), so all three lines go
    assert sorted(rejected.index) == [2, 3, 4]
    assert rejected.loc[2, ["field", "reason"]].tolist() == [
        "finalTwoPartyVSDemocratic",
        "finalTwoPartyVSDemocratic '63.44' (its race's median 63.4) differs from the certified Democratic "
        "two-party share 36.6 of the race by more than 3.0 points (parties swapped, or a candidate of "
        "neither party in the top two)",
    ]
    assert swapped_race.accepted["line_no"].unique().tolist() == [5]

    path.write_text(STANFORD_HEADER + "\n" + "\n".join(lines[2:]) + "\n", encoding="utf-8")
    agreeing = load_file(path, tmp_path, results=MS_2008)
    assert agreeing.rejected.empty and agreeing.accepted["line_no"].unique().tolist() == [2, 3]


def test_stanford_synthetic(tmp_path):
    lines = [
        _stanford_row(),  # MS special by its result
        _stanford_row(finalTwoPartyVSDemocratic="38.56", finalTwoPartyVSRepublican="61.44"),  # MS regular
        _stanford_row(finalTwoPartyVSDemocratic="50", finalTwoPartyVSRepublican="50"),  # matches none
        _stanford_row(state="AL", democratic="4x", pollName="Bad (R)", **AL_RESULT),
        _stanford_row(state="AL", republican="101", **AL_RESULT),
        _stanford_row(
            state="AL",
            pollName="Rasmussen (R-NRSC)",
            startDate="10/18/08",
            populationType="Likely Voters",
            Mode="Automated Phone",
            **AL_RESULT,
        ),
        _stanford_row(
            state="AL",
            pollName="Rasmussen (R-NRSC) ",
            startDate="10/18/08",
            populationType="Likely Voters",
            Mode="Automated Phone",
            **AL_RESULT,
        ),  # a copy
        _stanford_row(election="Gov", state="ZZ"),
        _stanford_row(election="Pres", state="AL", populationType="AV", numberOfRespondents="NA"),
    ]
    path = tmp_path / "polls_auxiliary_dataset.tsv"
    path.write_text(STANFORD_HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert detect_layout(path) == "stanford_auxiliary"
    result = load_file(path, tmp_path, results=MS_2008)
    assert result.rows_read == 9
    a = result.accepted
    assert a.drop_duplicates("line_no")[["line_no", "race_id"]].values.tolist() == [
        [2, "2008-senate-MS-c1"],
        [3, "2008-senate-MS-c2"],
        [7, "2008-senate-AL-c2"],
        [10, "2008-president-AL"],
    ]
    assert a[a["line_no"] == 2][["candidate", "party", "pct"]].values.tolist() == [
        ["Democrat", "DEM", 44.0],
        ["Republican", "REP", 50.0],
    ]
    first = a.iloc[0]
    assert (first["pollster"], first["start_date"], first["population"]) == (
        "Test Poll",
        pd.Timestamp("2008-10-20"),
        "lv",
    )
    assert a[a["line_no"] == 2]["poll_id"].iloc[0] == a[a["line_no"] == 3]["poll_id"].iloc[0]
    nrsc = a[a["line_no"] == 7].iloc[0]
    assert _values(nrsc, ["partisan", "sponsor", "start_date", "population", "mode"]) == [
        "REP",
        "NRSC",
        pd.Timestamp("2008-10-18"),
        "lv",
        "Automated Phone",
    ]
    pres = a[a["line_no"] == 10].iloc[0]
    assert pd.isna(pres["population"]) and pd.isna(pres["sample_size"]) and pd.isna(pres["senate_class"])
    rejected = result.rejected.set_index("line_no")
    assert rejected.loc[4, "field"] == "state" and "matches none of them" in rejected.loc[4, "reason"]
    assert rejected.loc[5, ["kind", "field", "reason"]].tolist() == [
        "invalid",
        "democratic",
        "democratic '4x' is not a number",
    ]
    assert rejected.loc[6, ["field", "reason"]].tolist() == [
        "republican",
        "republican '101' is outside 0-100",
    ]
    assert rejected.loc[8, ["kind", "reason"]].tolist() == [
        "out_of_scope",
        "line repeats line 7 field for field",
    ]
    assert rejected.loc[9, "field"] == "state"
    assert result.rows_read == a["line_no"].nunique() + result.rejected_lines

    without = load_stanford(path, tmp_path)
    assert without.accepted.drop_duplicates("line_no")["line_no"].tolist() == [10]
    assert without.rejected.set_index("line_no").loc[2, "reason"].startswith("no certified Senate results")


def test_stanford_missing_column(tmp_path):
    header = STANFORD_HEADER.replace("\trepublican", "")
    row = _stanford_row().split("\t")
    del row[8]
    path = tmp_path / "polls_main_dataset.tsv"
    path.write_text(header + "\n" + "\t".join(row) + "\n", encoding="utf-8")
    with pytest.raises(UnknownLayoutError, match=r"polls_main_dataset\.tsv.*'republican'"):
        detect_layout(path)
    with pytest.raises(UnknownLayoutError, match="republican"):
        load_stanford(path, tmp_path)
