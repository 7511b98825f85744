"""Which loader reads which file: dispatch on the header, never on the file name.

``KNOWN_FILES`` are the data-dir-relative paths ``data load`` reads by default. Results come first
because the 538 subset poll file needs them to give its answers parties, and the LEO, Stanford and raw-polls
files need the Senate results to give their answers a Senate class.

``COMPANION_FILES`` are read together with a known file rather than on their own: a LEO poll table's
answers table (``leo.answers_path``). They are in the data manifest so that ``data fetch`` brings them,
but they are not registry entries and have no layout of their own.

Headers are read as CSV, or as TSV when the first line has a tab and no comma (the Stanford files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from forecast_pipeline.loaders import economist, fte, leo, raw_polls, stanford
from forecast_pipeline.loaders import results as certified_results
from forecast_pipeline.loaders.base import EmptyFileError, LoadResult
from forecast_pipeline.loaders.common import match_layout, open_text, read_header
from forecast_pipeline.loaders.stanford import read_tsv_header

RESULT_FILES = [
    "fivethirtyeight-election-results/election_results_presidential.csv",
    "fivethirtyeight-election-results/election_results_senate.csv",
    "fivethirtyeight-election-results/election_results_gubernatorial.csv",
]
POLL_FILES = [
    "simonw-fivethirtyeight-polls/president_polls.csv",
    "alexfifer-data-mining/president_polls_2020.csv",
    "fostercole-election-prediction/senate_polls_historical.csv",
    "snoutcounter-backend/governor_polls_historical.csv",
    "snoutcounter-backend/house_polls_historical.csv",
    "snoutcounter-backend/generic_ballot_polls_historical.csv",
    "economist-us-potus-model/all_polls_2008.csv",
    "economist-us-potus-model/all_polls_2012.csv",
    "economist-us-potus-model/all_polls.csv",
    "upshot-leo-senate-model/senate_polls.csv",
    "upshot-leo-senate-model/senate_polls_2010.csv",
    "stanford-polling-errors/polls_auxiliary_dataset.tsv",
    "stanford-polling-errors/polls_main_dataset.tsv",
    "fivethirtyeight-data/pollster-ratings/2023/raw-polls.csv",
]
KNOWN_FILES = RESULT_FILES + POLL_FILES
COMPANION_FILES = [
    "upshot-leo-senate-model/senate_poll_answers.csv",
    "upshot-leo-senate-model/senate_2010_answers.csv",
]

# Most specific first: results, then the 538 poll layouts, then the Economist's, LEO's, Stanford's and
# 538's pollster-ratings file (raw-polls).
LAYOUTS: dict[str, frozenset[str]] = {
    **certified_results.LAYOUTS,
    **fte.LAYOUTS,
    **economist.LAYOUTS,
    **leo.LAYOUTS,
    **stanford.LAYOUTS,
    **raw_polls.LAYOUTS,
}

Loader = Callable[[Path, Path, "pd.DataFrame | None"], LoadResult]
_LOADERS: dict[str, Loader] = {
    **dict.fromkeys(certified_results.LAYOUTS, lambda p, d, r: certified_results.load_results(p, d)),
    **dict.fromkeys(fte.LAYOUTS, fte.load_fte),
    **dict.fromkeys(economist.LAYOUTS, lambda p, d, r: economist.load_economist(p, d)),
    **dict.fromkeys(leo.LAYOUTS, leo.load_leo),
    **dict.fromkeys(stanford.LAYOUTS, stanford.load_stanford),
    **dict.fromkeys(raw_polls.LAYOUTS, raw_polls.load_raw_polls),
}


def _header(path: Path) -> list[str]:
    with open_text(path) as fh:
        first = fh.readline()
    return read_tsv_header(path) if "\t" in first and "," not in first else read_header(path)


def detect_layout(path: Path | str) -> str:
    """The layout name of a file, from its header; UnknownLayoutError when none fits."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    header = _header(path)
    if not header or header == [""]:
        raise EmptyFileError(f"{path}: the file is empty (no header line)")
    return match_layout(path, header, LAYOUTS)


def load_file(path: Path | str, data_dir: Path | str, results: pd.DataFrame | None = None) -> LoadResult:
    """Load any known file. ``results`` (RESULT_COLUMNS, e.g. the presidential results' ``accepted``)
    gives parties to poll files that lack them, and Senate classes to the LEO and Stanford files.

    The loader's rows then pass the quality rules (``forecast_pipeline.quality``): lines that break one
    are quarantined with a reason. A file that cannot be read at all raises BadInputError."""
    from forecast_pipeline.quality import quarantine

    path = Path(path)
    return quarantine(_LOADERS[detect_layout(path)](path, Path(data_dir), results))


def load_known(data_dir: Path | str, files: Iterable[str] | None = None) -> dict[str, LoadResult]:
    """Load KNOWN_FILES (or ``files``) from ``data_dir``, results first; keyed by relative path."""
    data_dir = Path(data_dir)
    wanted = list(KNOWN_FILES if files is None else files)
    ordered = [f for f in RESULT_FILES if f in wanted] + [f for f in wanted if f not in RESULT_FILES]
    loaded: dict[str, LoadResult] = {}
    certified: pd.DataFrame | None = None
    for rel in ordered:
        result = load_file(data_dir / rel, data_dir, results=certified)
        if result.layout in certified_results.LAYOUTS:
            certified = result.accepted if certified is None else pd.concat([certified, result.accepted])
        loaded[rel] = result
    return {rel: loaded[rel] for rel in wanted}
