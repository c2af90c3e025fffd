"""Are two sets of runs the same? For a refactoring that must not change behaviour: run the same
settings and seeds before and after, then compare the two log dirs.

    python -m gandi.playground --settings 1 --steps 1000 --seed 0 --log-dir before
    python -m gandi.playground --settings 10 --steps 120 --seed 0 --log-dir before  (and 30, 40)
    ... the same into `after` on the changed code ...
    python benchmarks/same_results.py before after

Runs are paired by their setting id and seeds (the signature without its date). Every value of
the results pickles is compared bitwise (DataFrames, arrays, floats; figures by their pixels),
except keys whose words name a time, a path, a signature or library versions (listed as
skipped); every PNG of the run's plots folder is compared by its pixels (and said whether
byte-identical). Exit status 1 when any run differs or is missing on one side.
"""
import pickle, sys, io
from pathlib import Path
import numpy as np, pandas as pd
import matplotlib; matplotlib.use("Agg")
from PIL import Image

VARYING = {"elapsed", "seconds", "signature", "time", "times", "date", "path", "dir", "pid",
           "started", "finished", "versions", "wall", "cpu", "host", "s"}

def varying(key):
    # whole words of the key only ("generated" is not "rate")
    return bool(set(str(key).lower().split("_")) & VARYING)

def same(a, b, where, skipped, diffs):
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            diffs.append(f"{where}: keys {sorted(map(str, set(a) ^ set(b)))}")
        for k in set(a) & set(b):
            if varying(k):
                skipped.add(f"{where}.{k}"); continue
            same(a[k], b[k], f"{where}.{k}", skipped, diffs)
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            diffs.append(f"{where}: len {len(a)} vs {len(b)}"); return
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]", skipped, diffs)
    elif isinstance(a, pd.DataFrame):
        cols = [c for c in a.columns if not varying(c)]
        skipped.update(f"{where}.{c}" for c in a.columns if varying(c))
        if list(a.columns) != list(b.columns) or not a[cols].equals(b[cols]):
            diffs.append(f"{where}: DataFrame differs")
    elif isinstance(a, pd.Series):
        if not a.equals(b): diffs.append(f"{where}: Series differs")
    elif isinstance(a, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype or a.tobytes() != b.tobytes():
            diffs.append(f"{where}: array differs")
    elif isinstance(a, matplotlib.figure.Figure):
        pa, pb = (np.asarray(Image.open(io.BytesIO(_png(f)))) for f in (a, b))
        if pa.shape != pb.shape or (pa != pb).any(): diffs.append(f"{where}: figure pixels differ")
    elif isinstance(a, float) and isinstance(b, float):
        if not (a == b or (np.isnan(a) and np.isnan(b))): diffs.append(f"{where}: {a} vs {b}")
    else:
        try:
            eq = a == b
            eq = bool(np.all(eq))
        except Exception:
            eq = repr(a) == repr(b)
        if not eq: diffs.append(f"{where}: {a!r:.80} vs {b!r:.80}")

def _png(fig):
    buf = io.BytesIO(); fig.savefig(buf, format="png"); return buf.getvalue()

def runs(log_dir):
    out = {}
    for pkl in sorted(Path(log_dir, "results").glob("*/results.pkl")):
        name = pkl.parent.name
        key = name.split("_", 4)[-1] if False else name[name.index("_", 30):]  # drop GAN_<date>_<time>
        out[key] = pkl.parent
    return out

def main(a_dir, b_dir):
    a, b = runs(a_dir), runs(b_dir)
    print(f"{len(a)} runs vs {len(b)} runs")
    bad = 0
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            print("missing on one side:", key); bad += 1; continue
        ra = pickle.loads((a[key] / "results.pkl").read_bytes())
        rb = pickle.loads((b[key] / "results.pkl").read_bytes())
        skipped, diffs = set(), []
        same(ra, rb, "results", skipped, diffs)
        pa_dir = a[key].parent.parent / "plots" / a[key].name
        pb_dir = b[key].parent.parent / "plots" / b[key].name
        pngs_a = sorted(p.relative_to(pa_dir) for p in pa_dir.rglob("*.png"))
        pngs_b = sorted(p.relative_to(pb_dir) for p in pb_dir.rglob("*.png"))
        if pngs_a != pngs_b: diffs.append(f"PNG sets differ: {set(pngs_a) ^ set(pngs_b)}")
        n_same_bytes = 0
        for p in set(pngs_a) & set(pngs_b):
            x, y = (pa_dir / p).read_bytes(), (pb_dir / p).read_bytes()
            if x == y: n_same_bytes += 1; continue
            if (np.asarray(Image.open(io.BytesIO(x))) != np.asarray(Image.open(io.BytesIO(y)))).any():
                diffs.append(f"{p}: pixels differ")
        ss = ra.get("sweet_spot", {})
        print(f"{key}: {'IDENTICAL' if not diffs else 'DIFFERENT'}; {len(pngs_a)} PNGs "
              f"({n_same_bytes} byte-identical); sweet spot {ss.get('step')} test AUC {ss.get('test_auc')}"
              f"; skipped keys: {sorted(skipped)}")
        for d in diffs[:20]: print("   ", d)
        bad += bool(diffs)
    return 1 if bad else 0

if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
