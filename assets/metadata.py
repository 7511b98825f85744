"""Metadata helpers: images shown inline in the Dagster UI."""

import base64

import dagster as dg


def png_md(png: bytes, alt: str) -> dg.MetadataValue:
    """A PNG embedded in Markdown metadata as a data URI (the UI renders it in the materialization)."""
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})")
