"""Score new data with a finished run's detector: `python -m gandi.score RUN DATA [--out FILE]
[--batch-size N] [--log-dir DIR] [--id-column COLUMN] [--ensemble]` (also `gandi-score`,
`gandi score`). With --ensemble, the run's checkpoint ensemble scores instead of the sweet spot.

RUN is a run signature under --log-dir or the path of one of its folders. DATA is a table file
(a run on a table) or an image folder, image list or image (a run on images); see
`gandi.score.sources`. The output CSV has one row per sample, in DATA's order: `id`, `score`
(higher = more anomalous), `is_anomaly` (1 when score > the threshold chosen in training: the
detector's `threshold_`, the run's validation-percentile threshold at the sweet spot), for a
table `imputed` and `unseen` (the row's values that scoring imputed and its categories unseen in
training: either can move a score a long way; the summary line counts them, --strict refuses
them) and, when DATA has labels, `label` (as DATA holds it; not used). DATA is read in batches of --batch-size,
so a file larger than memory streams; the CSV is written to a temporary file and renamed when
complete. Bad input gets one line and exit status 2, and no output file.

With --maps DIR (a run on images), a PNG per image too: the input, its anomaly map and the map
laid over it, side by side (`gandi.outputs.map_pictures`, on the run's colour scale), at DIR/<the
image's id>.png; written batch by batch into a folder beside DIR that is renamed to DIR when
every image is done (DIR must not exist).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from gandi.cli import (EXIT_BAD_INPUT, EXIT_INTERRUPTED, BadInput, Parser,  # noqa: E402
                       import_tensorflow_quietly)

DEFAULT_BATCH = 1024


def _parser():
    p = Parser(prog="python -m gandi.score",
                description="Score new data (a table, or images) with a finished run's detector "
                            "at its sweet spot: a CSV of id, score, is_anomaly (score > the "
                            "threshold chosen in training) and the data's label, if any.")
    p.add_argument("run", metavar="RUN", help="a run signature (under --log-dir) or the path of "
                   "one of its folders, e.g. log_dir/results/<signature>")
    p.add_argument("data", metavar="DATA", help="a .csv/.parquet/.pq/.npz table, or an image "
                   "folder, a .txt list of images, or one image")
    p.add_argument("--out", default="scores.csv", help="the CSV to write (default: scores.csv)")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH,
                   help=f"rows or images read and scored at once (default: {DEFAULT_BATCH})")
    p.add_argument("--log-dir", default="log_dir", help="where RUN's folders are (default: "
                   "log_dir)")
    p.add_argument("--ensemble", action="store_true",
                   help="score with the run's checkpoint ensemble (its best tracked steps, "
                        "averaged on their validation scales) instead of the sweet spot")
    p.add_argument("--id-column", help="tables: the column whose values are the ids (default: "
                   "the data row number, 1 for the first row)")
    p.add_argument("--strict", action="store_true",
                   help="tables: refuse (exit 2, no output) a row with a missing value or a "
                        "category unseen in training, instead of imputing / encoding it and "
                        "flagging it in the imputed and unseen columns")
    p.add_argument("--maps", metavar="DIR", help="images: also write a PNG per image (input | "
                   "anomaly map | overlay) into DIR, a new folder, at <id>.png")
    return p


def _batches(exported, data: Path, batch_size: int, id_column):
    """DATA's batches as the run's detector needs them; DataError when DATA does not fit."""
    from gandi.data.errors import DataError
    from gandi.score import sources
    kind = sources.kind_of(data)
    trained_on = "a table" if exported.is_table else "images"
    if (kind == "table") != exported.is_table:
        raise DataError(f"{data}: run {exported.run.signature} was trained on {trained_on}; "
                        f"it scores " + ("a .csv, .parquet, .pq or .npz table" if exported.is_table
                                         else "an image folder, a .txt list of images or an "
                                              "image"))
    if id_column is not None and not exported.is_table:
        raise BadInput("--id-column is for tables; an image's id is its path")
    if exported.is_table:
        if id_column in exported.transform.columns:  # an id is not a feature to the reader
            print(f"note: --id-column {id_column!r} is also a feature the run was trained on: "
                  f"it is scored as one (an id belongs in drop_columns at training)",
                  file=sys.stderr)
        return sources.table_rows(data, exported.transform, exported.setting, batch_size,
                                  id_column)
    s = exported.setting
    return sources.image_batches(data, s["image_size"], s["channels"], batch_size)


class Scored:
    """What write_scores counted: samples, flagged ones, and (tables) the rows whose values
    scoring imputed or whose categories it never saw, and how many values."""

    def __init__(self):
        self.n = self.flagged = 0
        self.imputed_rows = self.imputed_values = self.unseen_rows = self.unseen_values = 0

    def changed(self) -> str:
        """The summary line's part on what scoring made up ('' when nothing)."""
        parts = []
        if self.imputed_rows:
            parts.append(f"{self.imputed_rows} row(s) with missing values imputed "
                         f"({self.imputed_values} values)")
        if self.unseen_rows:
            parts.append(f"{self.unseen_rows} row(s) with categories unseen in training "
                         f"({self.unseen_values} values, encoded as all zeros)")
        return ("; " + " and ".join(parts) + ": see the imputed and unseen columns"
                if parts else "")


def strict_refusal(changes, ids, what: str) -> str | None:
    """The one line --strict refuses a batch with, or None when scoring changes nothing."""
    for column, said in (("imputed", "missing value(s) that scoring would impute"),
                         ("unseen", "category(ies) unseen in training")):
        counts = changes[column].to_numpy()
        if counts.any():
            first = int(counts.nonzero()[0][0])
            return (f"{what} {ids[first]!r} has {int(counts[first])} {said} ({int(counts.sum())} "
                    f"in this batch); --strict refuses rows that scoring would change (without "
                    f"it, such rows are scored and flagged in the imputed/unseen columns)")
    return None


def write_scores(out: Path, batches, exported, on_batch=None, strict: bool = False) -> Scored:
    """Score every batch into `out` (atomically); return what was counted (Scored).
    `on_batch(ids, x)`, if given, is called with each batch as it is scored. Tables: the CSV
    says per row how many values scoring imputed and how many categories it never saw
    (`imputed`, `unseen`); with `strict` such a row is an error (DataError) instead."""
    import numpy as np
    import pandas as pd
    from gandi.data.errors import DataError
    from gandi.outputs.run_folder import atomic_save
    scored = Scored()

    def write(tmp):
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            for ids, x, labels, changes in batches:
                if strict and changes is not None:
                    refusal = strict_refusal(changes, ids, "row")
                    if refusal:
                        raise DataError(refusal)
                if on_batch is not None:
                    on_batch(ids, x)
                scores = exported.score(x)
                flagged = exported.detector.is_anomaly(scores)
                rows = pd.DataFrame({"id": ids, "score": scores.astype(np.float64),
                                     "is_anomaly": flagged})
                if changes is not None:
                    rows["imputed"] = changes["imputed"].to_numpy()
                    rows["unseen"] = changes["unseen"].to_numpy()
                    scored.imputed_rows += int((rows["imputed"] > 0).sum())
                    scored.imputed_values += int(rows["imputed"].sum())
                    scored.unseen_rows += int((rows["unseen"] > 0).sum())
                    scored.unseen_values += int(rows["unseen"].sum())
                if labels is not None:
                    rows["label"] = labels
                rows.to_csv(f, header=scored.n == 0, index=False)  # float64: exact float32
                scored.n += len(rows)
                scored.flagged += int(flagged.sum())
    atomic_save(out, write)
    return scored


def map_file(folder: Path, image_id: str) -> Path:
    """Where the map picture of image `image_id` goes: its id's path under `folder`, suffix
    .png; '..' and a leading '/' are kept inside the folder."""
    parts = [("up" if part == ".." else part) for part in Path(image_id).parts
             if part not in ("", ".") and part != Path(image_id).anchor]
    return folder.joinpath(*parts).with_suffix(".png") if parts else folder / "image.png"


class MapWriter:
    """Writes each scored batch's map pictures into a staging folder; `scale` is the run's
    colour scale (a run from before it was saved: the first batch's, chosen the same way)."""

    def __init__(self, exported, staging: Path, source: Path):
        self.exported, self.staging, self.scale = exported, staging, exported.map_scale
        self.source = source if source.is_dir() else source.parent  # the ids' folder
        self.written, self.paths = 0, set()

    def __call__(self, ids, x):
        from gandi.outputs.map_pictures import map_scale, png_bytes, strips
        maps = self.exported.detector.anomaly_map(x)
        if self.scale is None:
            self.scale = map_scale(maps)
        pictures = strips(x, maps, self.scale)
        zoom = max(1, -(-128 // x.shape[1]))  # at least 128 pixels tall
        for image_id, picture in zip(ids, pictures):
            path = map_file(self.staging, image_id)
            # x.jpg beside x.png would share x.png: the image that is not x.png keeps its
            # suffix (x.jpg.png), and so does the second of two others (x.bmp, x.jpg)
            if path in self.paths or (Path(image_id).suffix.lower() != ".png" and (
                    self.source / image_id).with_suffix(".png").is_file()):
                path = map_file(self.staging, f"{image_id}.png")
            self.paths.add(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png_bytes(picture, zoom))
            self.written += 1


def _check_maps(maps: Path, ensemble: bool, data: Path) -> None:
    """What --maps can be told before the run is loaded."""
    if data.is_dir() and maps.resolve().is_relative_to(data.resolve()):
        # the map pictures are PNG files: the next scoring of the folder would score them
        raise BadInput(f"--maps {maps} is inside the folder being scored ({data}): the next "
                       f"gandi score of it would score the maps as images; name a folder "
                       f"outside it")
    if ensemble:
        raise BadInput("--maps with --ensemble: the maps are the sweet spot's detector's; "
                       "score without --ensemble")
    if maps.exists():
        raise BadInput(f"--maps {maps} exists; name a new folder (nothing was written)")
    if not maps.parent.is_dir():
        raise BadInput(f"--maps {maps}: folder {maps.parent} does not exist")


def _check_out(out: Path, data: Path) -> None:
    if not out.parent.is_dir():
        raise BadInput(f"--out {out}: folder {out.parent} does not exist")
    if out.exists() and out.resolve() == data.resolve():
        raise BadInput(f"--out {out} is DATA itself; choose another file")
    if out.is_dir():
        raise BadInput(f"--out {out} is a folder; name a CSV file")


def main(argv=None) -> int:
    from_here = "gandi.score: error: "
    try:
        args = _parser().parse_args(argv)
        if args.batch_size < 1:
            raise BadInput(f"--batch-size {args.batch_size}: expected an integer > 0")
        out, data = Path(args.out), Path(args.data)
        _check_out(out, data)
        if args.maps is not None:
            _check_maps(Path(args.maps), args.ensemble, data)
        import_tensorflow_quietly()
        from gandi.data.errors import DataError
        from gandi.score.exported import RunError, load_exported
        try:
            exported = load_exported(args.run, args.log_dir, args.ensemble)
            batches = _batches(exported, data, args.batch_size, args.id_column)
            if args.maps is None:
                scored = write_scores(out, batches, exported, strict=args.strict)
            else:
                from gandi.export import staged
                maps = Path(args.maps)
                if exported.is_table:
                    raise BadInput(f"--maps {maps}: anomaly maps are for runs on images; run "
                                   f"{exported.run.signature} was trained on a table")
                with staged(maps, "folder") as staging:
                    (staging / "maps").mkdir()
                    writer = MapWriter(exported, staging / "maps", Path(data))
                    scored = write_scores(out, batches, exported, writer)
                    (staging / "maps").rename(maps)
        except (RunError, DataError) as err:
            raise BadInput(str(err)) from None
        except OSError as err:  # a full disk, no permission: the error names the file
            raise BadInput(" ".join(str(err).split())) from None
    except BadInput as err:
        print(from_here + str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("gandi.score: interrupted; no output written", file=sys.stderr)
        return EXIT_INTERRUPTED
    what = "rows" if exported.is_table else "images"
    chosen = ("checkpoint ensemble of steps " + ", ".join(
        str(step) for step in exported.detector.steps) if args.ensemble
              else f"sweet spot at step {exported.step}")
    print(f"scored {scored.n} {what} of {data} with the {exported.name} of run "
          f"{exported.run.signature} ({chosen}); {scored.flagged} above the "
          f"threshold {exported.detector.threshold_:.6g}{scored.changed()}; wrote {out}"
          + (f" and {writer.written} anomaly maps to {args.maps}" if args.maps else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
