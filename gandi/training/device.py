"""Where networks live and steps run: the first GPU, falling back to the CPU (soft placement).

The same code runs on a CPU-only machine; nothing else in gandi names a device.
"""
import tensorflow as tf

DEVICE = "/gpu:0"


def compute_device():
    """A context manager placing ops on DEVICE, or on the CPU when there is no GPU."""
    tf.config.set_soft_device_placement(True)
    # Grappler's remapper fails on the gradient of Conv2D + BiasAdd + LeakyReLU in TF 2.21
    # ("remapper failed: ... LeakyReluGrad") and prints an error line into every run; without
    # it the DCGAN trains at the same speed (measured: 1592 vs 1507 images/s on 2 CPU cores).
    tf.config.optimizer.set_experimental_options({"remapping": False})
    return tf.device(DEVICE)
