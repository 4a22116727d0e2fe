"""Reading tables from files for the CLI and ``tune()``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import AssistantError


def read_table(path: str | Path) -> Any:
    """Read a CSV or Parquet file into a pandas DataFrame, with a clear error otherwise."""
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise AssistantError(f"no such data file: {file}")
    suffix = file.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            return pd.read_parquet(file)
        except ImportError as exc:  # pandas reads Parquet with pyarrow, an extra of ours
            raise AssistantError(
                f"reading {file.name} needs pyarrow: pip install 'automl-assistant[parquet]'"
            ) from exc
    if suffix in (".csv", ".txt", ".tsv"):
        return pd.read_csv(file, sep="\t" if suffix == ".tsv" else ",")
    raise AssistantError(f"cannot read {file.name}: expected a .csv, .tsv or .parquet file")
