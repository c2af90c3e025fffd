"""The real driver, `python -m gandi.playground`, in a process of its own, with one fault injected
right after a chosen training step has been tracked (and checkpointed, if it is a checkpoint step):

    python tests/faulty_playground.py kill N  -- <playground arguments>   SIGKILL: a power cut
    python tests/faulty_playground.py sigint N -- <playground arguments>  Ctrl-C
    python tests/faulty_playground.py nan N   -- <playground arguments>   a NaN weight: divergence

A fault at a step rather than at a time (a test that waits for a log line, then signals) keeps
what the run wrote at the fault exact on any machine, however slow or loaded.
"""
import os
import signal
import sys

import numpy as np

from gandi.cli import import_tensorflow_quietly
from gandi.playground import main

# gandi.tracking.tracker imports TensorFlow: first hold back its start-up lines as the driver
# itself does (`python -m gandi.playground` imports it so before any run), or they reach this
# process's stderr in front of gandi's own lines, on CPUs where TensorFlow prints them (oneDNN on
# AVX-512)
import_tensorflow_quietly()
from gandi.tracking.tracker import Tracker  # noqa: E402


def _poison(tracker):
    kernel = tracker.detector.networks["discriminator"].trainable_variables[0]
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))


FAULTS = {"kill": lambda tracker: os.kill(os.getpid(), signal.SIGKILL),
          "sigint": lambda tracker: os.kill(os.getpid(), signal.SIGINT),
          "nan": _poison}


def inject(fault: str, at_step: int):
    on_step = Tracker.on_step

    def on_step_then_fault(self, step, losses):
        row = on_step(self, step, losses)
        if step == at_step:
            FAULTS[fault](self)
        return row
    Tracker.on_step = on_step_then_fault


if __name__ == "__main__":
    fault, at_step, separator, *playground_args = sys.argv[1:]
    assert fault in FAULTS and separator == "--", sys.argv
    inject(fault, int(at_step))
    sys.exit(main(playground_args))
