"""The step loop: seeds, batches, train steps, Ctrl-C, divergence (loop.py); where it runs
(device.py), on what machine (machine.py), whether its step is XLA-compiled there
(compiled_step.py) and whether its networks compute in bfloat16 (precision.py)."""
