"""Schema checks for benchmarks/published.csv (published results gandi is compared with)."""
import csv
import math
from collections import defaultdict
from pathlib import Path

import pytest

CSV_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "published.csv"
HEADER = ["paper", "method", "dataset", "protocol", "class", "metric", "value", "std",
          "approximate", "source", "note"]
DATASETS = {"mnist", "fashion_mnist", "cifar10"}
PROTOCOLS = {"normal_class", "anomaly_class"}
METRICS = {"auc", "auprc", "f1"}
BOOLS = {"true", "false"}


def _read():
    with CSV_PATH.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, r)) | {"_n": len(r), "_line": i}
                for i, r in enumerate(reader, start=2)]
    return header, rows


@pytest.fixture(scope="module")
def table():
    assert CSV_PATH.is_file(), f"missing {CSV_PATH}"
    return _read()


def _fraction(text):
    x = float(text)
    return math.isfinite(x) and 0.0 <= x <= 1.0


def test_header(table):
    header, _ = table
    assert header == HEADER


def test_not_empty(table):
    _, rows = table
    assert rows, "published.csv has no data rows"


def test_row_types_and_ranges(table):
    _, rows = table
    problems = []
    for r in rows:
        where = f"line {r['_line']}"
        if r["_n"] != len(HEADER):
            problems.append(f"{where}: {r['_n']} fields, expected {len(HEADER)}")
            continue
        for col in ("paper", "method", "source"):
            if not r[col].strip():
                problems.append(f"{where}: empty {col}")
        if r["dataset"] not in DATASETS:
            problems.append(f"{where}: dataset {r['dataset']!r}")
        if r["protocol"] not in PROTOCOLS:
            problems.append(f"{where}: protocol {r['protocol']!r}")
        if r["metric"] not in METRICS:
            problems.append(f"{where}: metric {r['metric']!r}")
        if r["class"] not in {str(i) for i in range(10)}:
            problems.append(f"{where}: class {r['class']!r} is not an integer 0-9")
        try:
            if not _fraction(r["value"]):
                problems.append(f"{where}: value {r['value']} outside [0, 1]")
        except ValueError:
            problems.append(f"{where}: value {r['value']!r} is not a number")
        if r["std"] != "":
            try:
                if not _fraction(r["std"]):
                    problems.append(f"{where}: std {r['std']} outside [0, 1]")
            except ValueError:
                problems.append(f"{where}: std {r['std']!r} is not a number")
        if r["approximate"] not in BOOLS:
            problems.append(f"{where}: approximate {r['approximate']!r} is not true/false")
    assert not problems, "\n".join(problems)


def test_no_duplicate_keys(table):
    _, rows = table
    seen = {}
    dupes = []
    for r in rows:
        key = (r["paper"], r["method"], r["dataset"], r["protocol"], r["class"], r["metric"])
        if key in seen:
            dupes.append(f"{key}: lines {seen[key]} and {r['_line']}")
        seen.setdefault(key, r["_line"])
    assert not dupes, "\n".join(dupes)


def test_full_tables_have_all_classes(table):
    """A (paper, method, dataset, protocol, metric) group must cover classes 0-9
    unless one of its rows says "partial" in the note."""
    _, rows = table
    groups = defaultdict(list)
    for r in rows:
        groups[(r["paper"], r["method"], r["dataset"], r["protocol"], r["metric"])].append(r)
    incomplete = []
    for key, members in groups.items():
        if any("partial" in m["note"].lower() for m in members):
            continue
        classes = {m["class"] for m in members}
        missing = sorted({str(i) for i in range(10)} - classes, key=int)
        if missing:
            incomplete.append(f"{key}: missing classes {missing}")
    assert not incomplete, "\n".join(incomplete)
