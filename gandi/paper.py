"""`python -m gandi.paper`: kept as a command path; the paper's generator is gandi/studies/paper/."""
from gandi.studies.paper.write import main

if __name__ == "__main__":
    raise SystemExit(main())
