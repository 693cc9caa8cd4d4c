"""Reading sparkcnn run folders (what jobs/train.sh writes, docs/distributed.md) for the notebooks.

SPARKCNN_RUN names the run folder, or several separated by ':' (default runs/lenet5). A relative
path is looked up from the working directory, then from the repository root, since Jupyter runs a
notebook in its own folder (notebooks/).
"""
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_RUN = "runs/lenet5"
ROOT = Path(__file__).resolve().parent.parent


def run_folders():
    """The run folders named by SPARKCNN_RUN, each checked to hold a run."""
    names = [n for n in os.environ.get("SPARKCNN_RUN", DEFAULT_RUN).split(os.pathsep) if n.strip()]
    folders = []
    for name in names:
        path = Path(name).expanduser()
        candidates = [path] if path.is_absolute() else [Path.cwd() / path, ROOT / path]
        found = next((c for c in candidates if (c / "metrics.jsonl").is_file()), None)
        if found is None:
            raise FileNotFoundError(
                f"run folder {name} not found or holds no metrics.jsonl (looked in "
                + ", ".join(str(c) for c in candidates)
                + "): train one with jobs/train.sh, or set SPARKCNN_RUN to a run folder")
        folders.append(found.resolve())
    return folders


def label(run):
    """A short name for a run in legends and tables: its folder name."""
    return Path(run).name


def metrics(run):
    """metrics.jsonl as a DataFrame, one row per epoch (val_confusion kept as lists)."""
    with open(Path(run) / "metrics.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return pd.DataFrame(rows)


def read_json(run, name):
    """A JSON file of the run folder, or None when the run has none (e.g. evaluation.json without validation data)."""
    path = Path(run) / name
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_npy(run, name):
    """A .npy array of the run folder, or None when the run has none."""
    path = Path(run) / name
    return np.load(path) if path.is_file() else None
