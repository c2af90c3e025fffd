"""Where networks live and steps run: the first GPU, falling back to the CPU (soft placement).

The same code runs on a CPU-only machine; nothing else in gandi names a device.
"""
import tensorflow as tf

DEVICE = "/gpu:0"


def compute_device():
    """A context manager placing ops on DEVICE, or on the CPU when there is no GPU."""
    tf.config.set_soft_device_placement(True)
    return tf.device(DEVICE)
