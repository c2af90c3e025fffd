"""The step loop: seeds, batches, train steps, Ctrl-C, divergence (loop.py); where it runs
(device.py), on what machine (machine.py), and whether its step is XLA-compiled there
(compiled_step.py)."""
