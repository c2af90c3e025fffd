"""`gandi COMMAND ...` (or `python -m gandi COMMAND ...`): one entry point for the commands.

    gandi playground --settings 42      train (python -m gandi.playground)
    gandi score RUN DATA --out s.csv    score new data (python -m gandi.score)
    gandi sweep SPEC                    many runs (python -m gandi.sweep)
    gandi export RUN PATH               a run as a TensorFlow SavedModel (python -m gandi.export)
"""
from __future__ import annotations

import importlib
import sys

from gandi.settings.checks import did_you_mean

COMMANDS = {"playground": "gandi.playground", "score": "gandi.score.__main__",
            "sweep": "gandi.sweep.__main__", "export": "gandi.export"}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if not argv or argv[0] not in COMMANDS:
        got = f"unknown command {argv[0]!r}" if argv else "no command"
        near = did_you_mean(argv[0], COMMANDS) if argv else ""
        print(f"gandi: error: {got}; expected one of {', '.join(COMMANDS)}{near} (see gandi "
              "--help)", file=sys.stderr)
        return 2
    return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
