"""Everything a run writes: its folders and signature, checkpoints, TensorBoard, results, plots."""
