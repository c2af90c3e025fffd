"""`python -m gandi.benchmark`: kept as a command path; the benchmark is gandi/studies/benchmark/."""
from gandi.studies.benchmark.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main())
