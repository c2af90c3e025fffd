"""`python -m gandi.studies.paper` (also `python -m gandi.paper`): regenerate paper/README.md."""
import sys

from gandi.studies.paper.write import main

if __name__ == "__main__":
    sys.exit(main())
