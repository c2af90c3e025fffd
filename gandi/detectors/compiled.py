"""How a detector's methods are compiled: one tf.function per detector, traced once for it."""
from __future__ import annotations

import tensorflow as tf


def per_detector_function(fn, **options):
    """`tf.function(fn, **options)` for one detector's method: traced once per detector.

    TensorFlow counts a function's traces across every object it is made for and warns of
    retracing at 5 traces among its ~10 latest calls. A process that fits or loads several
    detectors (a notebook comparing runs, an ensemble over a grid's runs) traces each one's
    functions once by design, and where a detector called one only once or twice the warning
    fired with nothing to act on (six runs loaded and scored once each; six fits tracked at
    their ends). TensorFlow marks its own functions of that kind, a loaded SavedModel's, not to
    warn; so does this (a private attribute: should a TensorFlow release rename it, the warning
    comes back and tests/test_fit_defaults.py fails)."""
    function = tf.function(fn, **options)
    function._omit_frequent_tracing_warning = True
    return function
