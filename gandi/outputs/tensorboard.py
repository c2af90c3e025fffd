"""What a run shows in TensorBoard beyond its scalars and score histograms: the *Images*
(generated images and, for the autoencoder family, reconstructions of fixed validation normals)
and the *PR curves* of the test slice at each tracked step; the galleries of test images with
their anomaly maps at the chosen step (`gandi.outputs.galleries`); and the *HParams* dashboard (the
setting's keys as hyper-parameters, the run's outcome as metrics) so that the runs of a sweep or
a benchmark compare in one table.

Test labels draw the PR curves: reporting only, like the AUC curve."""
from __future__ import annotations

import json

import numpy as np
import tensorflow as tf

from gandi.outputs.map_pictures import unit_range

IMAGES = 16          # generated images per tracked step
RECONSTRUCTED = 8    # validation normals shown with their reconstructions
PR_THRESHOLDS = 101
# the metrics of the HParams dashboard, written as scalars when the run finishes
HPARAM_METRICS = {"hparams/sweet_spot_test_auc": "test AUC at the label-free sweet spot",
                  "hparams/criterion": "the label-free criterion at the sweet spot",
                  "hparams/label_free_cost": "oracle-best test AUC minus the sweet spot's "
                                             "(uses test labels: reporting)"}


def write_images(step: int, generated, detector, validation) -> None:
    """Generated images (a generator's samples) and, where the detector reconstructs, the first
    RECONSTRUCTED validation normals above their reconstructions (one image)."""
    if generated is not None and np.ndim(generated) == 4:
        tf.summary.image("images/generated", unit_range(generated[:IMAGES]), step=step,
                         max_outputs=IMAGES)
    if hasattr(detector, "reconstruct") and np.ndim(validation) == 4:
        inputs = validation[:RECONSTRUCTED]
        pairs = np.concatenate([np.concatenate(list(inputs), axis=1),
                                np.concatenate(list(detector.reconstruct(inputs)), axis=1)])
        tf.summary.image("images/reconstructions_of_validation_normals",
                         unit_range(pairs[None]), step=step)


def write_pr_curve(tag: str, step: int, labels, scores) -> None:
    """The precision-recall curve of `scores` (higher = anomaly) against `labels`, for the PR
    curves plugin. Its thresholds are evenly spaced over [0, 1]: the scores are mapped there by
    their min and max (monotone, so the curve is the scores' own)."""
    from tensorboard.plugins.pr_curve import summary as pr_summary
    from tensorboard.util import tensor_util
    scores = np.asarray(scores, np.float64)
    if not np.all(np.isfinite(scores)) or len(set(np.asarray(labels).tolist())) < 2:
        return
    span = scores.max() - scores.min()
    unit = (scores - scores.min()) / span if span > 0 else np.zeros_like(scores)
    value = pr_summary.pb(tag, np.asarray(labels).astype(bool), unit.astype(np.float32),
                          num_thresholds=PR_THRESHOLDS).value[0]
    tf.summary.write(tag, tensor_util.make_ndarray(value.tensor), step=step,
                     metadata=value.metadata.SerializeToString())


def write_galleries(writer, detector: str, step: int, pictures: dict, map_name) -> None:
    """A detector's galleries (`gandi.outputs.galleries`) as images at `step`, one tag each:
    galleries/<detector>/<gallery>; the description says what the picture shows."""
    from gandi.outputs.galleries import GALLERIES, SHOWN
    with writer.as_default(step=step):
        for gallery, (idx, canvas) in pictures.items():
            if canvas is None:
                continue
            what = GALLERIES[gallery].format(n=SHOWN).replace("\n", " ")
            shown = f"map laid over each image: {map_name}" if map_name else "no anomaly map"
            tf.summary.image(f"galleries/{detector.replace(' ', '_')}/{gallery}", canvas[None],
                             description=f"{detector}, {len(idx)} images: {what}. {shown}.")
    writer.flush()


def hparam_value(value):
    """A setting value as the HParams plugin takes it: bool, int, float or str (others as JSON)."""
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return json.dumps(value, sort_keys=True, default=str)


def write_hparams(writer, signature: str, setting: dict, step: int, metrics: dict) -> None:
    """The run in the HParams dashboard: every setting key that is not None, and `metrics`
    ({HPARAM_METRICS key: value}, finite ones) as scalars at `step`."""
    from tensorboard.plugins.hparams import api as hp
    hparams = {k: hparam_value(v) for k, v in sorted(setting.items()) if v is not None}
    with writer.as_default(step=step):
        hp.hparams(hparams, trial_id=signature)
        for tag, value in metrics.items():
            if value is not None and np.isfinite(value):
                tf.summary.scalar(tag, float(value), description=HPARAM_METRICS[tag])
    writer.flush()


def write_tracked_step(writer, step: int, row: dict, test_y, val_scores, test_scores,
                       gen_scores):
    """A tracked step in TensorBoard: the row's finite values as scalars, the score histograms
    (validation normals, test normals, test anomalies, generated samples)."""
    with writer.as_default(step=step):
        for key, value in row.items():
            if key != "step" and np.isfinite(value):
                tf.summary.scalar(key, value)
        for name, scores in (("scores/validation_normal", val_scores),
                             ("scores/test_normal", test_scores[test_y == 0]),
                             ("scores/test_anomaly", test_scores[test_y == 1]),
                             ("scores/generated", gen_scores)):
            if scores is not None and np.all(np.isfinite(scores)):
                tf.summary.histogram(name, scores)
    writer.flush()


class RunBoard:
    """A run's TensorBoard event files (log_dir/tensorboard/<signature>/), one writer for the
    run's life: each tracked step, the galleries at the end, the HParams row, then closed."""

    def __init__(self, folder):
        self.writer = tf.summary.create_file_writer(str(folder))

    def tracked_step(self, step: int, row: dict, test_y, val_scores, test_scores, gen_scores,
                     generated, detector, validation) -> None:
        """The row and score histograms, the test slice's PR curve, the generated images and
        reconstructions of `validation` normals."""
        write_tracked_step(self.writer, step, row, test_y, val_scores, test_scores, gen_scores)
        with self.writer.as_default(step=step):
            write_pr_curve("pr_curve/test", step, test_y, test_scores)
            write_images(step, generated, detector, validation)
        self.writer.flush()

    def galleries(self, detector: str, step: int, pictures: dict, map_name) -> None:
        write_galleries(self.writer, detector, step, pictures, map_name)

    def hparams(self, signature: str, setting: dict, step: int, metrics: dict) -> None:
        write_hparams(self.writer, signature, setting, step, metrics)

    def close(self) -> None:
        self.writer.close()
