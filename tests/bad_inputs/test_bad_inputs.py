"""The bad-input corpus: every malformed file gets a named error or quarantined lines, good lines in the
same file still load, no line is lost, and no command shows a traceback."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from forecast_pipeline.loaders import base
from forecast_pipeline.loaders.base import BadInputError
from forecast_pipeline.loaders.registry import load_file
from tests.bad_inputs import make_corpus
from tests.bad_inputs.cases import CASES, HUGE_LINES, Case

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
README = HERE / "README.md"


def test_corpus_is_complete_and_current():
    on_disk = {p.name for p in CORPUS.iterdir()}
    assert on_disk == {c.file for c in CASES}
    assert len(on_disk) >= 25
    for name, data in make_corpus.files().items():  # the committed files are what the generator makes
        assert (CORPUS / name).read_bytes() == data, name


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_bad_input(case: Case):
    path = CORPUS / case.file
    if case.error:
        with pytest.raises(BadInputError) as info:
            load_file(path, CORPUS)
        assert type(info.value).__name__ == case.error
        assert isinstance(info.value, getattr(base, case.error))
        assert case.message in str(info.value) and case.file in str(info.value)
        return
    result = load_file(path, CORPUS)
    kept = set(result.accepted["line_no"])
    rejected = result.rejected.set_index("line_no")
    assert result.rows_read == case.read
    assert len(kept) == case.kept
    assert set(rejected.index) == set(case.quarantined)
    assert result.rows_read == len(kept) + len(rejected)  # nothing lost
    assert not kept & set(rejected.index)
    for line, fragment in case.quarantined.items():
        assert fragment in rejected.loc[line, "reason"], (line, rejected.loc[line, "reason"])
        assert rejected.loc[line, "kind"] == "invalid" and rejected.loc[line, "raw"]
    if case.kept and result.layout.startswith("fte_2018"):
        # the good lines of the file are the two good polls, with their values intact
        good = result.accepted.set_index("line_no")
        assert good.loc[2, ["state", "candidate", "party", "pct"]].tolist() == ["PA", "Biden", "DEM", 50.0]
        assert good.loc[5, ["state", "candidate", "party", "pct"]].tolist() == ["OH", "Trump", "REP", 51.0]


def test_huge_file_of_one_repeated_row(tmp_path):
    text = make_corpus.csv_text(make_corpus.good()[:1])
    header, line = text.splitlines()
    path = tmp_path / "huge_repeated_row.csv"
    path.write_text(header + "\n" + (line + "\n") * HUGE_LINES, encoding="utf-8")
    t0 = time.perf_counter()
    result = load_file(path, tmp_path)
    seconds = time.perf_counter() - t0
    assert result.rows_read == HUGE_LINES
    assert result.accepted["line_no"].tolist() == [2]
    assert len(result.rejected) == HUGE_LINES - 1
    assert result.rejected["reason"].str.contains("already has an answer for 'Biden' on line 2").all()
    assert seconds < 60, seconds


# ---------------------------------------------------------------- through the database and the CLI


def _copy_corpus(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(CORPUS, data)
    return data


def test_corpus_through_ingest_reconciles(fresh_engine, tmp_path):
    from forecast_pipeline.ingest import load_files

    data = _copy_corpus(tmp_path)
    reports = {r.source: r for r in load_files(fresh_engine, data, [c.file for c in CASES])}
    with fresh_engine.connect() as conn:
        runs = {
            r.source: r
            for r in conn.execute(
                sa.text(
                    "SELECT source, status, rows_read, rows_loaded, rows_rejected, error FROM ops.load_runs"
                )
            ).all()
        }
        rejected = dict(
            conn.execute(
                sa.text(
                    "SELECT r.source, count(*) FROM ops.rejected_rows j JOIN ops.load_runs r USING (load_id) "
                    "GROUP BY r.source"
                )
            ).all()
        )
        raw = dict(
            conn.execute(
                sa.text(
                    "SELECT source, count(DISTINCT line_no) FROM raw.poll_answers GROUP BY source "
                    "UNION ALL SELECT source, count(DISTINCT line_no) FROM raw.results GROUP BY source"
                )
            ).all()
        )
        polls = conn.execute(sa.text("SELECT count(*) FROM core.polls")).scalar_one()
    for case in CASES:
        run, report = runs[case.file], reports[case.file]
        if case.error:
            assert (run.status, report.status) == ("failed", "failed")
            assert case.message in run.error and case.message in report.error
            assert case.file not in raw
            continue
        assert run.status == "loaded"
        assert (run.rows_read, run.rows_loaded, run.rows_rejected) == (
            case.read,
            case.kept,
            len(case.quarantined),
        )
        assert raw.get(case.file, 0) == case.kept
        assert rejected.get(case.file, 0) == len(case.quarantined)
    assert polls > 0  # the good polls reached core


def test_cli_names_each_error_and_shows_no_traceback(fresh_engine, tmp_path, monkeypatch):
    from forecast_pipeline.cli import main

    data = _copy_corpus(tmp_path)
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    args = ["data", "load", "--source", str(data)]
    for case in CASES:
        args += ["--file", case.file]
    result = CliRunner().invoke(main, args)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 1, output
    assert "Traceback" not in output
    for case in CASES:
        if case.error:
            assert case.message in output, case.file
    assert f"{len(CASES)} file(s)" in output and "could not be read" in output


# ---------------------------------------------------------------- the table in README.md


def render_table() -> str:
    lines = [
        "| # | file | bad input | what the user sees | data lines | kept | quarantined | refused with the file | lost |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, c in enumerate(CASES, 1):
        if c.error:
            seen = f"`{c.error}`: …{c.message}…"
            kept, quarantined, refused = "0", "0", str(c.read)
        else:
            seen = (
                "; ".join(f"line {line}: {frag}" for line, frag in c.quarantined.items()) or "loads normally"
            )
            kept, quarantined, refused = str(c.kept), str(len(c.quarantined)), "0"
        lines.append(
            f"| {i} | `{c.file}` | {c.what} | {seen.replace('|', '/')} | {c.read} | {kept} | "
            f"{quarantined} | {refused} | 0 |"
        )
    lines.append(
        f"| {len(CASES) + 1} | generated in the test | a huge file: one row repeated {HUGE_LINES:,} times | "
        "lines 3 on: poll '10' question '1' already has an answer for 'Biden' on line 2 | "
        f"{HUGE_LINES:,} | 1 | {HUGE_LINES - 1:,} | 0 | 0 |"
    )
    return "\n".join(lines) + "\n"


_START, _END = "<!-- table: start -->\n", "<!-- table: end -->\n"


def test_readme_table_is_current():
    text = README.read_text(encoding="utf-8")
    table = render_table()
    if os.environ.get("UPDATE_BAD_INPUT_README"):
        head, rest = text.split(_START)
        _, tail = rest.split(_END)
        README.write_text(head + _START + table + _END + tail, encoding="utf-8")
        text = README.read_text(encoding="utf-8")
    assert _START + table + _END in text, "run UPDATE_BAD_INPUT_README=1 pytest tests/bad_inputs"
