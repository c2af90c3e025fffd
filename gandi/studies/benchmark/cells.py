"""What both benchmarks (images.py, tables.py) share: a benchmark's CSV of finished cells, read
and grown one item at a time so that an interrupted benchmark resumes, and its one-line error."""
from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from gandi.outputs.run_rows import COLUMNS


class BenchmarkError(ValueError):
    """Bad arguments; the message is the one line the user sees."""


def read_cells(path: Path, columns=COLUMNS) -> pd.DataFrame:
    """The finished cells of a benchmark's CSV (none when there is no CSV yet); `path` may also
    be the CSV's text as a file object."""
    if isinstance(path, Path) and not path.is_file():
        return pd.DataFrame(columns=columns)
    cells = pd.read_csv(path, dtype={"setting_hash": str})  # hex digits, never a number
    if "family" in columns and "family" not in cells:  # a CSV from before classical rows
        cells.insert(1, "family", "gandi")
    if "auprc" in columns and "auprc" not in cells:  # a CSV from before AUPRC was kept
        cells.insert(list(cells).index("auc") + 1, "auprc", np.nan)
    if "cpu_seconds" in columns and "cpu_seconds" not in cells:  # from before CPU time was kept
        cells.insert(list(cells).index("seconds") + 1, "cpu_seconds", np.nan)
    if "tracking_cpu_seconds" in columns and "tracking_cpu_seconds" not in cells:  # idem
        cells.insert(list(cells).index("cpu_seconds") + 1, "tracking_cpu_seconds", np.nan)
    if "setting_hash" in columns and "setting_hash" not in cells:  # from before hashes
        cells["setting_hash"] = np.nan
    return cells


# the first line of a --quick benchmark's report: its rows are a smoke run's, not measurements
QUICK_NOTE = ("**A --quick smoke run** (small slices, few steps): these numbers check that the "
              "benchmark runs; they measure no detector.\n\n")


def write_atomic(path: Path, text: str):
    from gandi.outputs.run_folder import atomic_write_bytes
    atomic_write_bytes(path, text.encode())


def run_items(todo: list, run_item: Callable, cells: pd.DataFrame, csv_path: Path, columns,
              shown: Callable, ran=None) -> pd.DataFrame | None:
    """Runs every item of `todo` (`run_item(item)` -> its rows: a gandi run's, or the classical
    detectors' of one split), appending the rows to `cells` and writing the CSV after every item
    (an interrupted benchmark resumes after the last one written); a line per row, `shown(item,
    row)` naming it. `ran`: the (item, rows) pairs of items run elsewhere (an executor's
    processes or cluster), in the order they end; by default each item runs here, in turn. The
    cells, or None after a bad setting or missing data (its one line printed: exit status 2)."""
    from gandi.data.errors import DataError
    from gandi.settings.validation import SettingError
    ran = ((item, run_item(item)) for item in todo) if ran is None else ran
    known = set(_row_keys(read_cells(csv_path, columns), columns))
    try:  # missing data shows when the first cell loads it
        for i, (item, rows) in enumerate(ran, 1):
            # rows another benchmark wrote to the same file meanwhile (e.g. other detectors'
            # cells run beside this one) are kept: writing this process's rows alone lost them
            on_disk = read_cells(csv_path, columns)
            others = on_disk[~_row_keys(on_disk, columns).isin(known)]
            cells = pd.concat([cells, others, pd.DataFrame(rows)], ignore_index=True)
            text = cells[columns].to_csv(index=False)
            write_atomic(csv_path, text)  # resumable
            known = set(_row_keys(read_cells(io.StringIO(text), columns), columns))
            for row in rows:
                print(f"[{i}/{len(todo)}] {shown(item, row)}: AUC {row['auc']:.3f} "
                      f"({row['seconds']} s, {row['cpu_seconds']} s CPU{_tracking(row)})",
                      flush=True)
    except (SettingError, DataError) as err:
        print(f"gandi.benchmark: error: {err}", file=sys.stderr)
        return None
    return cells


def _tracking(row: dict) -> str:
    """', N% tracking': the share of a gandi run's CPU time its tracked steps took."""
    tracking, cpu = row.get("tracking_cpu_seconds", np.nan), row.get("cpu_seconds", np.nan)
    if not (np.isfinite(tracking) and np.isfinite(cpu) and cpu > 0):
        return ""
    return f", {100 * tracking / cpu:.0f}% of it tracking"


def _row_keys(cells: pd.DataFrame, columns) -> pd.Series:
    """Each row as the CSV line it makes: which rows of the file this process has seen (its
    own, or those it read), so that the others are someone else's."""
    lines = cells[list(columns)].to_csv(index=False, header=False).splitlines()
    return pd.Series(lines, index=cells.index, dtype=object)


# ----- rows made by another setting (gandi.settings.fingerprint) ------------------------------
# A cell is (detector, place, seed); its place is a class of an image benchmark and a table of
# the tabular one.
PLACE_WORDS = {"class": "class", "dataset": "on"}


def cell_keys(cells: pd.DataFrame, place: str = "class") -> pd.Series:
    """(detector, place, seed) of each row: the cell it fills."""
    where = cells[place].astype(int) if place == "class" else cells[place]
    return pd.Series(list(zip(cells["detector"], where, cells["seed"].astype(int))),
                     index=cells.index, dtype=object)


def stale_rows(cells: pd.DataFrame, current: dict, place: str = "class") -> pd.Series:
    """Rows not made by the setting their cell would run with now (`current`: cell -> hash, for
    gandi's cells): rows of another hash, and rows without one (made before hashes were kept:
    their setting is unknown, so they are not shown as the current one's). Cells not in
    `current` (classical rows, rows combining several runs) are not judged here."""
    now = cell_keys(cells, place).map(lambda key: current.get(key))
    made = cells["setting_hash"]
    return now.notna() & (made.isna() | (made != now))


def without_replaced(cells: pd.DataFrame, current: dict, place: str = "class") -> pd.DataFrame:
    """`cells` without the stale rows of cells that have a row of the current setting now."""
    stale = stale_rows(cells, current, place)
    keys = cell_keys(cells, place)
    fresh = set(keys[~stale])
    return cells[~(stale & keys.map(lambda key: key in fresh))]


def stale_lines(stale: pd.DataFrame, shown: pd.DataFrame, place: str = "class",
                combined: tuple = ()) -> str:
    """What a report says of the rows it leaves out (made by another setting, or before setting
    hashes were kept) and of the rows it shows without knowing their setting (gandi rows of a
    detector that has no current setting to compare with). Rows whose detector starts with a
    name in `combined` are made from other rows (ensembles of runs): they have no setting of
    their own, and the caller has judged them by their runs'."""
    out = ""
    word = PLACE_WORDS[place]
    joint = (stale["detector"].str.startswith(tuple(combined)) if combined
             else pd.Series(False, index=stale.index))
    hashless = stale["setting_hash"].isna() & ~joint
    for rows, why in ((stale[~hashless & ~joint], "made by another setting than their "
                                                  "detector's current one"),
                      (stale[hashless], "made before setting hashes were kept (their setting "
                                        "is unknown)"),
                      (stale[joint], "combining runs left out")):
        if len(rows):
            cells = ", ".join(f"{d} {word} {c} seed {s}"
                              for d, c, s in sorted(set(cell_keys(rows, place))))
            out += (f"\nLeft out: {len(rows)} row(s) {why} ({cells}); the next benchmark run "
                    f"runs them again.\n")
    unknown = shown[(shown["family"] == "gandi") & shown["setting_hash"].isna()]
    if combined:
        unknown = unknown[~unknown["detector"].str.startswith(tuple(combined))]
    if len(unknown):
        out += (f"\n{len(unknown)} gandi row(s) have no setting hash and no current setting to "
                f"compare with: shown, but not known to be of any shipped setting.\n")
    return out


def todo_cost(todo: list, cells: pd.DataFrame, stale: pd.Series | None = None) -> str:
    """What the items still to run will cost, by what this benchmark's rows recorded: each
    detector's mean CPU seconds per cell (its wall seconds where CPU time was not kept) over its
    rows of the current setting; a detector with `stale` rows only (another setting made them:
    e.g. more epochs since) is costed by those and the line says how many items that is; an item
    is a list of detectors (a run, or a place's classical detectors). '' when nothing is to
    run."""
    if not todo:
        return ""
    if len(cells):
        spent = cells["cpu_seconds"].fillna(cells["seconds"])
        current = ~stale if stale is not None else pd.Series(True, index=cells.index)
        by_current = spent[current].groupby(cells["detector"][current]).mean().dropna()
        by_any = spent.groupby(cells["detector"]).mean().dropna()
    else:
        by_current = by_any = pd.Series(dtype=float)
    older = set(by_any.index) - set(by_current.index)
    per_cell = pd.concat([by_current, by_any[sorted(older)]])
    known = [item[0] for item in todo if all(d in per_cell.index for d in item[0])]
    unknown = len(todo) - len(known)
    by_older = sum(any(d in older for d in detectors) for detectors in known)
    text = (f"about {sum(per_cell[d] for ds in known for d in ds) / 3600:.1f} CPU hours for "
            f"{len(known)} of them by the cost this benchmark recorded for their detectors"
            if known else "")
    if by_older:
        text += (f" ({by_older} of them by rows of an earlier setting of their detector: its "
                 f"cost may have changed since)")
    if unknown:
        text += ("; " if text else "") + f"{unknown} without a recorded cost"
    return text


def announce(items: list, cells: pd.DataFrame, finished: int, csv_path: Path, place: str,
             dry_run: bool, stale: pd.Series | None = None) -> None:
    """The benchmark's first line: how many items are left (`items`: (detectors, where) each: a
    gandi run, or a place's classical detectors), their cost as recorded, how many cells are
    finished; with `dry_run`, each item on a line of its own."""
    cost = todo_cost([(detectors,) for detectors, _ in items], cells, stale)
    print(f"{len(items)} item(s) to run (a gandi run, or a {place}'s classical detectors)"
          + (f" ({cost})" if cost else "")
          + f", {finished} cell(s) already finished in {csv_path}", flush=True)
    if dry_run:
        for detectors, where in items:
            print(f"  {' '.join(detectors)} {where}")
