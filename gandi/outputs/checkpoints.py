"""TF checkpoints of a detector's networks, optimisers and noise generator, and the step."""
from __future__ import annotations

import tensorflow as tf


class Checkpoints:
    def __init__(self, directory, objects: dict, max_to_keep: int):
        self.step = tf.Variable(0, dtype=tf.int64, name="step")
        self.checkpoint = tf.train.Checkpoint(step=self.step, **objects)
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(directory),
                                                  max_to_keep=max_to_keep)

    def save(self, step: int) -> str:
        self.step.assign(step)
        return self.manager.save(checkpoint_number=step)

    def latest_step(self) -> int | None:
        latest = self.manager.latest_checkpoint
        return None if latest is None else int(latest.rsplit("-", 1)[1])

    def kept_steps(self) -> set[int]:
        """The steps of the checkpoints the manager keeps (max_to_keep of them)."""
        return {int(path.rsplit("-", 1)[1]) for path in self.manager.checkpoints}

    def restore_latest(self) -> int | None:
        """Restore the newest checkpoint; return its step, or None when there is none."""
        latest = self.manager.latest_checkpoint
        if latest is None:
            return None
        self.checkpoint.restore(latest).assert_existing_objects_matched()
        return int(self.step.numpy())
