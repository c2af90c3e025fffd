"""The step loop: seeds, batches, train steps, Ctrl-C, divergence (loop.py); where it runs (device.py)."""
