"""Where each known data file comes from, and the bytes we expect, so ``data fetch`` can rebuild the raw
data directory from the upstream repositories and prove it got the same files.

``sha256``/``size`` are those of the project's copy. Three snoutcounter files differ from upstream on
purpose: their 2024-cycle rows are the project's held-out evaluation set and were removed
(``drop_cycles``). ``fetch`` removes the same lines from the download, keeping every other line's bytes,
before it checks the hash, so the held-out rows never reach the data directory. (That the filtered
download hashes to the copy's sha256 could not be checked offline; a mismatch is reported by name.)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ManifestEntry:
    path: str  # relative to the data directory
    repo: str  # GitHub owner/name
    commit: str  # upstream commit the bytes come from
    upstream_path: str  # path inside the repo
    sha256: str  # of the project's copy
    size: int  # bytes of the project's copy
    drop_cycles: tuple[int, ...] = ()  # data lines whose ``cycle`` is one of these are removed


_538_RESULTS = ("fivethirtyeight/election-results", "d7a7cff101da28f4ff77114450a964874800ca54")
_SNOUT = ("Hackquantumcpp/snoutcounter-backend", "8e2df6e6283f9bc5e48cc0ca2b70cab8f4493967")
_ECON = ("TheEconomist/us-potus-model", "b89e602ec03e81c797c66cf2743af6fdae4aa526")
_LEO = ("TheUpshot/leo-senate-model", "9e5847c2fe1016a6e39dcc29f42732c0a25fd544")
_LEO_POLLS = "model/data/polls/historic-polls"
_NCNW = ("gabrieljohndusing/NCNW-Project-Datasets", "8b63f3f1b5b344ba3bc8e00534c2de9bbd120fa1")
_STANFORD = ("stanford-policylab/polling-errors", "02475af7ebe7951c2b94fd0714cf4e2cc15893b1")
_538_DATA = ("fivethirtyeight/data", "fcf572c4fba05a42f1f34f415bd5e6dc389efd68")

FILES: list[ManifestEntry] = [
    ManifestEntry(
        "fivethirtyeight-election-results/election_results_presidential.csv",
        *_538_RESULTS,
        "election_results_presidential.csv",
        "d4fed2115322ad70626e672bdf6072043174687c6cdda425fe4198027935a72a",
        1690712,
    ),
    ManifestEntry(
        "fivethirtyeight-election-results/election_results_senate.csv",
        *_538_RESULTS,
        "election_results_senate.csv",
        "26a7d8cf3baaa1caf5706b9e23586b449fcc78b11bd1f03c72d02ea3f3faac05",
        777487,
    ),
    ManifestEntry(
        "fivethirtyeight-election-results/election_results_gubernatorial.csv",
        *_538_RESULTS,
        "election_results_gubernatorial.csv",
        "22ff0589b8ccc4c1c6f6f8c20ea5099d20fa044c696db9392823d59ead1364dc",
        476854,
    ),
    ManifestEntry(
        "simonw-fivethirtyeight-polls/president_polls.csv",
        "simonw/fivethirtyeight-polls",
        "b4d7b52c6901b85c39882e7f33cfd632f6b03387",
        "president_polls.csv",
        "88db81d32bebe1da7d36cd98664c38ca83a953a1f03671f871b05d7d86cd2a0a",
        4147466,
    ),
    ManifestEntry(
        "alexfifer-data-mining/president_polls_2020.csv",
        "alexfifer/Data-Mining",
        "0313c78788b9ee0d7ca986ebc72bd54c5b70ed2e",
        "raw_data/president_polls_2020.csv",
        "0bf61b1d7c2300345fb1a29276047a4ea5a46f8b09c87e6e2f2a524d8001e481",
        1240123,
    ),
    ManifestEntry(
        "fostercole-election-prediction/senate_polls_historical.csv",
        "fostercole/election_prediction",
        "bb164347b091ae223a4fd753096f295e456aea6f",
        "data/senate_polls_historical.csv",
        "b7f3f509e05f99edc8c3fa4fdaa2c0cddf9d401bdc793a8b12107c3b46b26fc1",
        2560408,
    ),
    ManifestEntry(
        "snoutcounter-backend/governor_polls_historical.csv",
        *_SNOUT,
        "data/fte/governor_polls_historical.csv",
        "42b3463f40b51d6f6e5b836e9da36e76c7fab2d36052bbe118d192eb2ec68fff",
        2616509,
        drop_cycles=(2024,),
    ),
    ManifestEntry(
        "snoutcounter-backend/house_polls_historical.csv",
        *_SNOUT,
        "data/fte/house_polls_historical.csv",
        "fac844d450b4d6a33a335fed070fbd5411df00e5e9109b1304f626481335137a",
        1513031,
        drop_cycles=(2024,),
    ),
    ManifestEntry(
        "snoutcounter-backend/generic_ballot_polls_historical.csv",
        *_SNOUT,
        "data/fte/generic_ballot_polls_historical.csv",
        "ab7bddbdcc8418f9733fbd8ae290ecb41060f03880f7d5c7c25aeaa28b87aebc",
        1412057,
        drop_cycles=(2024,),
    ),
    ManifestEntry(
        "economist-us-potus-model/all_polls_2008.csv",
        *_ECON,
        "data/all_polls_2008.csv",
        "0189477f0a2a651d506c1f5937ba1fb88d9c00155e683bddae103185f87b8a2e",
        106058,
    ),
    ManifestEntry(
        "economist-us-potus-model/all_polls_2012.csv",
        *_ECON,
        "data/all_polls_2012.csv",
        "395f239d2acf628de06dec027c823d9aaa022ba03eaa3eb3250f03cb64737fb4",
        89138,
    ),
    ManifestEntry(
        "economist-us-potus-model/all_polls.csv",
        *_ECON,
        "data/all_polls.csv",
        "c2ea8b117677279724cadac9e22ecaef773fd6597bb28e30844e1fd2e5b64f0d",
        1222643,
    ),
    # LEO poll tables, each followed by the answers table it is loaded with (registry.COMPANION_FILES).
    ManifestEntry(
        "upshot-leo-senate-model/senate_polls.csv",
        *_LEO,
        f"{_LEO_POLLS}/senate_polls.csv",
        "bb5b5d0b70b0d4f8e158872f7e4adab48f0df617eccd5477a7b097e994d5750c",
        326022,
    ),
    ManifestEntry(
        "upshot-leo-senate-model/senate_poll_answers.csv",
        *_LEO,
        f"{_LEO_POLLS}/senate_poll_answers.csv",
        "ac9296de9808830f87c68dda93cee20c259bfef7d279369f3a23e4ccaf94035b",
        714657,
    ),
    ManifestEntry(
        "upshot-leo-senate-model/senate_polls_2010.csv",
        *_LEO,
        f"{_LEO_POLLS}/senate_polls_2010.csv",
        "8d65fb9edbe5a04dfa3fdbe1fa198932de395b1e35e707d018283082cb561ebd",
        124562,
    ),
    ManifestEntry(
        "upshot-leo-senate-model/senate_2010_answers.csv",
        *_LEO,
        f"{_LEO_POLLS}/senate_2010_answers.csv",
        "263dbf94c676a344bba450dcfb1301f8c584502ff143c1c2bd7bcf5b5d0af20b",
        268591,
    ),
    ManifestEntry(
        "stanford-polling-errors/polls_auxiliary_dataset.tsv",
        *_STANFORD,
        "data/polls_auxiliary_dataset.tsv",
        "cdfa307ed7252ba66abb112cf9647e121b031f9bf89a61ae2e253ce462b2ea5a",
        1204069,
    ),
    ManifestEntry(
        "stanford-polling-errors/polls_main_dataset.tsv",
        *_STANFORD,
        "data/polls_main_dataset.tsv",
        "af947b341783b409565b44539d1c2b2b9bd84538c05d2db3dee9f06e541b908d",
        452661,
    ),
    ManifestEntry(
        "fivethirtyeight-data/pollster-ratings/2023/raw-polls.csv",
        *_538_DATA,
        "pollster-ratings/2023/raw-polls.csv",
        "f637423f4b17ad7f4506c5fc3884056e6b32fcbc97e67291c4b078cd6a2d5283",
        2672085,
    ),
    # The model's pre-cycle history: fundamentals, past results, regions, ACS race/ethnicity shares.
    ManifestEntry(
        "economist-us-potus-model/abramowitz_data.csv",
        *_ECON,
        "data/abramowitz_data.csv",
        "1a915dc09a5fc9ffdac9c540b7173eedf019faecf2d2b4556faff1d7c07ce8c9",
        2917,
    ),
    ManifestEntry(
        "economist-us-potus-model/ANES_swing_voters.csv",
        *_ECON,
        "data/ANES_swing_voters.csv",
        "c3881476d99cff051433e83dd0b0a4d94d975249f86f4c4fbf661adf2692d7a3",
        451,
    ),
    ManifestEntry(
        "economist-us-potus-model/potus_results_76_16.csv",
        *_ECON,
        "data/potus_results_76_16.csv",
        "bfbde406ea66b2aa6b0490b711cce0bd9e2e4f7d31d01018736fc376ae4e03e9",
        41661,
    ),
    ManifestEntry(
        "economist-us-potus-model/state_region_crosswalk.csv",
        *_ECON,
        "data/state_region_crosswalk.csv",
        "1c7878031f3ff632922583d28c9962d6c6929486c8f42b600c440c015a177d38",
        2734,
    ),
    ManifestEntry(
        "ncnw-acs1-state/2008/acs-acs1-2008-GROUP_B03002_DATA.csv",
        *_NCNW,
        "data-sets/census/bystate/acs-acs1/data/2008/acs-acs1-2008-GROUP_B03002_DATA.csv",
        "50fcc221e58afb7ca7f779241463c834bde3ced15ab2fbda637d1fe0acb6b9fd",
        24773,
    ),
    ManifestEntry(
        "ncnw-acs1-state/2012/acs-acs1-2012-GROUP_B03002_DATA.csv",
        *_NCNW,
        "data-sets/census/bystate/acs-acs1/data/2012/acs-acs1-2012-GROUP_B03002_DATA.csv",
        "f6adf293c37686210d411ffebc9367a2ad0131f794573f50dc90c4c0835112cd",
        25681,
    ),
    ManifestEntry(
        "ncnw-acs1-state/2016/acs-acs1-2016-GROUP_B03002_DATA.csv",
        *_NCNW,
        "data-sets/census/bystate/acs-acs1/data/2016/acs-acs1-2016-GROUP_B03002_DATA.csv",
        "aca4a0d686ebc5c6f2918189884260e8451388a39ebb7f5033d5bbd1cc631fe0",
        30616,
    ),
    ManifestEntry(
        "ncnw-acs1-state/2018/acs-acs1-2018-GROUP_B03002_DATA.csv",
        *_NCNW,
        "data-sets/census/bystate/acs-acs1/data/2018/acs-acs1-2018-GROUP_B03002_DATA.csv",
        "f5a0e3fea80dc645a6c02ad6469d08919261b5b46f615958ca7e14e1ba76ed34",
        25828,
    ),
]

BY_PATH: dict[str, ManifestEntry] = {entry.path: entry for entry in FILES}

# Read by the model's prior (``history``), not by a loader.
HISTORY_FILES = tuple(
    e.path
    for e in FILES
    if e.path.startswith(("ncnw-acs1-state/",))
    or e.path.endswith(
        (
            "abramowitz_data.csv",
            "ANES_swing_voters.csv",
            "potus_results_76_16.csv",
            "state_region_crosswalk.csv",
        )
    )
)
