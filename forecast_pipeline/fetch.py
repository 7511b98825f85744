"""Download the known data files from their pinned upstream commits and verify them (``data fetch``).

Each file is fetched from ``base_url`` (a template with ``{repo}``, ``{commit}``, ``{path}``, or a plain
prefix such as a ``file://`` mirror laid out as ``{prefix}/{repo}/{commit}/{path}``), filtered of held-out
cycles where the manifest says so, checked against the manifest's sha256, and written atomically: a
temporary file in the destination directory renamed over the target, so an interrupted fetch never leaves
a half-written file that looks present.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

from forecast_pipeline.data_manifest import FILES, ManifestEntry

DEFAULT_BASE_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


class FetchError(RuntimeError):
    """A download failed or did not match the manifest."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_url(entry: ManifestEntry, base_url: str = DEFAULT_BASE_URL) -> str:
    if "{" in base_url:
        return base_url.format(repo=entry.repo, commit=entry.commit, path=entry.upstream_path)
    return f"{base_url.rstrip('/')}/{entry.repo}/{entry.commit}/{entry.upstream_path}"


def drop_cycles(data: bytes, cycles: Iterable[int], column: str = "cycle") -> bytes:
    """The CSV without the records whose ``column`` is one of ``cycles``; kept records keep their bytes
    (quoting, line endings, quoted newlines)."""
    wanted = {str(c) for c in cycles}
    text = data.decode("utf-8")
    consumed: list[str] = []

    def lines():
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines())
    header = next(reader, None)
    if header is None:
        return data
    header = [h.lstrip("\ufeff") for h in header]
    if column not in header:
        raise FetchError(f"cannot drop cycles {sorted(wanted)}: no {column!r} column in the header")
    at = header.index(column)
    kept = ["".join(consumed)]
    consumed.clear()
    for record in reader:
        raw = "".join(consumed)
        consumed.clear()
        if not (len(record) > at and record[at].strip() in wanted):
            kept.append(raw)
    return "".join(kept).encode("utf-8")


def fetch(
    data_dir: Path | str,
    files: Iterable[str] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    manifest: Iterable[ManifestEntry] | None = None,
    log: Callable[[str], None] = print,
    timeout: float = 120.0,
) -> list[Path]:
    """Make ``data_dir`` hold every manifest file (or just ``files``, relative paths) with the right hash.

    Files already present with the right sha256 are skipped; a present file with another hash is
    replaced. Returns the paths of the files now in place."""
    data_dir = Path(data_dir)
    entries = list(FILES if manifest is None else manifest)
    if files is not None:
        by_path = {e.path: e for e in entries}
        unknown = sorted(set(files) - set(by_path))
        if unknown:
            raise FetchError(f"not in the data manifest: {unknown}; known files: {sorted(by_path)}")
        entries = [by_path[f] for f in files]
    done: list[Path] = []
    for i, entry in enumerate(entries, 1):
        dest = data_dir / entry.path
        tag = f"[{i}/{len(entries)}] {entry.path}"
        if dest.is_file():
            actual = sha256_file(dest)
            if actual == entry.sha256:
                log(f"{tag}: present, sha256 ok")
                done.append(dest)
                continue
            log(f"{tag}: present but sha256 {actual} != {entry.sha256}; fetching again")
        url = source_url(entry, base_url)
        log(f"{tag}: downloading {url}")
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                data = response.read()
        except OSError as exc:
            raise FetchError(f"{entry.path}: download from {url} failed: {exc}") from exc
        if entry.drop_cycles:
            data = drop_cycles(data, entry.drop_cycles)
        actual = hashlib.sha256(data).hexdigest()
        if actual != entry.sha256:
            raise FetchError(
                f"{entry.path}: sha256 mismatch: expected {entry.sha256}, got {actual} "
                f"({len(data)} bytes from {url})"
            )
        _write_atomic(dest, data)
        log(f"{tag}: ok ({len(data):,} bytes)")
        done.append(dest)
    return done


def _write_atomic(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
