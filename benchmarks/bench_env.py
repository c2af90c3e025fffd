"""Shared start of the benchmark scripts: the checkout on sys.path, the shared data folder as
GANDI_DATA_DIR when the user set none, and TensorFlow imported with its start-up chatter held
back (as the playground does). Import it before gandi."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if "GANDI_DATA_DIR" not in os.environ and (ROOT.parent / "shared" / "data").is_dir():
    os.environ["GANDI_DATA_DIR"] = str(ROOT.parent / "shared" / "data")

from gandi.cli import import_tensorflow_quietly  # noqa: E402  (sets TF_CPP_MIN_LOG_LEVEL)

import_tensorflow_quietly()


def run_missing_cells(csv: Path, columns: list, todo, run_cell, markdown=None, describe=str):
    """The resumable loop of the benchmark scripts: for each cell of `todo` (a dict of its key
    columns, in order) without a row in `csv` yet, `run_cell(**key)` gives the rest of its row;
    the table (and `markdown(cells)` beside it, when given) is rewritten atomically after every
    cell, so a killed script loses at most the cell it was running. The file is read again
    before each cell and before each write: two scripts writing one file (two studies of one
    key) keep each other's rows and skip the cells the other finished; a cell both ran keeps
    its first row. Returns all the rows."""
    import pandas as pd
    from gandi.studies.benchmark.cells import write_atomic

    def rows():
        return pd.read_csv(csv) if csv.is_file() else pd.DataFrame(columns=columns)

    csv.parent.mkdir(parents=True, exist_ok=True)
    cells = rows()
    for key in todo:
        cells = rows()
        if has_row(cells, key):
            continue
        row = {**key, **run_cell(**key)}
        cells = pd.concat([rows(), pd.DataFrame([row])], ignore_index=True)[columns]
        cells = cells[~cells[list(key)].astype(str).duplicated()]
        write_atomic(csv, cells.to_csv(index=False))
        if markdown is not None:
            write_atomic(csv.with_suffix(".md"), markdown(cells))
        print(describe(row), flush=True)
    return cells


def has_row(cells, key: dict) -> bool:
    """Whether `cells` holds the cell `key`: its values equal (1000 and the 1000.0 a CSV reads
    back alike), a None matching the NaN a CSV reads it back as (a study's base value `null`:
    without it every resume ran those cells again and kept their first rows)."""
    import pandas as pd
    match = pd.Series(True, index=cells.index)
    for column, value in key.items():
        match &= cells[column].isna() if value is None else cells[column] == value
    return bool(match.any())


def run_missing_table_cells(csv: Path, columns: list, key: str, names: list, args, run_cell,
                            markdown, describe):
    """`run_missing_cells` over the ODDS tables: a cell per seed (args.seeds), name (of column
    `key`: a detector or variant) and table (args.sets); `run_cell(table_path, name, seed,
    args.log_dir)` gives the rest of its row."""
    from gandi.studies.benchmark.table_cells import tables_dir
    folder = tables_dir(None)
    todo = ({"dataset": table, key: name, "seed": seed} for seed in range(args.seeds)
            for name in names for table in args.sets)
    return run_missing_cells(
        csv, columns, todo,
        lambda dataset, seed, **named: run_cell(folder / f"{dataset}.npz", named[key], seed,
                                                args.log_dir),
        markdown, describe)
