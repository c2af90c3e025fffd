"""The end of a run, in order: the last checkpoint, the sweet spot's networks, the final results
(a new value: `final_results`), the files that need them (thresholds, checkpoint ensemble), the
figures and galleries, the results pickle, the HParams row. Data flow one way: from the Tracker's
state to the final results to the writers; nothing is written back into the detector or the state.
"""
from __future__ import annotations

import numpy as np

from gandi.outputs import plots
from gandi.outputs.exports import export_checkpoint_ensemble, export_sweet_spot
from gandi.outputs.galleries import run_galleries
from gandi.outputs.reconstruction_plots import reconstruction_figures
from gandi.outputs.results import write_results
from gandi.training.loop import Diverged
from gandi.tracking.final_results import FinalResults, final_results


def finish(tracker, step: int, status: str, error: str | None = None,
           progress: bool = False) -> dict:
    """Save the last checkpoint, the sweet-spot model, the plots and the results pickle; return
    the results dict. A diverged or failed run keeps its last good checkpoint: its networks are
    not saved. Costly scorers run only for a run that finished: after Ctrl-C the user wants out."""
    detector, data, run, state = tracker.detector, tracker.data, tracker.run, tracker.state
    if status in ("finished", "interrupted") and step > 0:
        try:
            tracker.save(step)
        except Diverged as err:
            status, error = "diverged", str(err)
    if state.sweet_weights is not None:
        export_sweet_spot(run, detector.networks, state.sweet_weights)
    final = final_results(state, detector, data, tracker.percentile, step,
                          table=status in ("finished", "interrupted", "diverged"),
                          costly=status == "finished", progress=progress, log=tracker.log)
    if final.skipped is not None:
        tracker.log.warning("final metrics skipped: %s", final.skipped)
    else:
        _export_with_thresholds(run, detector, state, final)
    figures = plots.run_figures(state.measurements, final.sweet_spot, state.snapshots, data,
                                detector.loss_names, detector.tracked_name, final.table,
                                final.scores)
    if final.sweet_scores is not None:
        figures.update(reconstruction_figures(detector, data, final.sweet_scores["test"]))
    try:  # closed whatever happens: pyplot keeps every open figure for the process's life
        gallery_figures, galleries = run_galleries(final.table, final.scores, final.maps,
                                                   data.test_x, data.test_y, tracker.board)
        figures.update(gallery_figures)
        for name, fig in figures.items():
            plots.save_png(fig, run.plots / f"{name}.png")
        results = tracker.results(status, step, error, final, figures, galleries)
        write_results(run.results_file, results)
    finally:
        plots.close(figures)
    tracker.board.hparams(run.signature, tracker.setting, step, _outcome(tracker, final))
    tracker.board.close()
    return results


def _export_with_thresholds(run, detector, state, final: FinalResults) -> None:
    """The thresholds chosen for the exported sweet-spot networks (with their anomaly maps'
    colour scale), and the checkpoint ensemble's networks and combination."""
    if final.threshold is not None:
        tracked = final.maps.get(detector.tracked_name)
        run.write_thresholds(final.sweet_spot["step"], final.threshold, final.mc_threshold,
                             tracked[2] if tracked else None)
    if final.ensemble is not None:
        export_checkpoint_ensemble(run, detector.networks, final.ensemble,
                                   state.ensemble_weights)


def _outcome(tracker, final: FinalResults) -> dict:
    """The run's metrics in TensorBoard's HParams dashboard: the sweet spot's test AUC and
    criterion, and what choosing without labels cost against the oracle (uses test labels)."""
    sweet = final.sweet_spot or {}
    best = tracker.state.best_test_auc(len(tracker.references.curve))
    at_sweet = [r.get("d_auc", np.nan) for r in tracker.state.rows
                if r["step"] == sweet.get("step")]
    cost = (best["test_auc"] - at_sweet[0]) if best and at_sweet else None
    return {"hparams/sweet_spot_test_auc": sweet.get("test_auc"),
            "hparams/criterion": sweet.get("criterion_value"),
            "hparams/label_free_cost": cost}
