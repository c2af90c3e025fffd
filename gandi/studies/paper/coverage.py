"""Which detectors of an unfinished grid the paper compares, and what it says of the others:
a detector's mean over classes counts only when it has every class; one with fewer seeds in
some classes than the grid's finished cells is compared on the seeds it has, and said to be."""
from __future__ import annotations

import pandas as pd


def compared(cells: pd.DataFrame, means: pd.Series, classes) -> tuple[pd.Series, str]:
    """(the means of the detectors with every class, the lines saying who is left out or short
    of seeds)."""
    covered = cells.groupby("detector")["class"].nunique()
    complete = means[covered.reindex(means.index) == len(classes)]
    partial = sorted(set(means.index) - set(complete.index))
    said = (f"- **Unfinished**: {', '.join(partial)} lack some classes and are left out of the "
            "comparisons below.\n" if partial else "")
    return complete, said + fewer_seeds_line(cells, complete.index)


def fewer_seeds_line(cells: pd.DataFrame, detectors) -> str:
    """Which of `detectors` (those with every class) have fewer seeds than the grid's finished
    cells in some classes: their means below are over the seeds they have, beside others' full
    count (an unfinished grid), and the reader should know it."""
    seeds = cells.groupby(["detector", "class"])["seed"].nunique()
    short = seeds[seeds < seeds.max()].groupby("detector").size()
    short = short[short.index.isin(list(detectors))]
    if short.empty:
        return ""
    return (f"- **Fewer seeds than the grid's {seeds.max()}** in some classes: "
            + ", ".join(f"{d} ({n} of {cells['class'].nunique()} classes)"
                        for d, n in short.items())
            + "; their means below are over the seeds they have.\n")
