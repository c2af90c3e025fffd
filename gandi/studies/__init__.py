"""Measurements about gandi, never part of a run: the benchmarks (benchmark/), speed, efficiency,
the sweet-spot criteria replayed (criterion_study.py), anomaly-map quality
(map_quality.py) and the paper (paper/). Nothing outside gandi/studies/ imports it
(tests/test_layout.py)."""
