"""What every command shares: the quiet TensorFlow import, the one-line argument parser, the exit
codes and the one-line bad-input error, and class ranges as commands take them ("0-9", "1,3").

Importing it sets TF_CPP_MIN_LOG_LEVEL (unless set): TensorFlow's start-up chatter stays out of
every command's output. It imports no TensorFlow itself.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

from gandi.settings.checks import did_you_mean

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_DIVERGED = 3


def import_tensorflow_quietly():
    """TensorFlow's C++ start-up lines (oneDNN, CPU features) ignore TF_CPP_MIN_LOG_LEVEL; hold
    them back so that users see gandi's own messages. They are shown if the import fails."""
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
            import keras  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class BadInput(Exception):
    """One line for the user; exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (raised as BadInput), and a misspelt flag or choice
    gets "did you mean" the nearest ones (argparse names only what it did not recognise)."""

    def error(self, message):  # one line, not argparse's usage block
        raise BadInput(f"{message} (see --help)")

    def parse_args(self, args=None, namespace=None):  # argparse's, with the nearest flags
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            flag = next((a.split("=", 1)[0] for a in extras if a.startswith("-")), None)
            self.error("unrecognized arguments: " + " ".join(extras)
                       + did_you_mean(flag, self._option_string_actions))
        return parsed

    def _check_value(self, action, value):  # where argparse refuses a value not in `choices`
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as err:
            raise argparse.ArgumentError(
                action, err.message + did_you_mean(value, action.choices)) from None


class ExitingParser(Parser):
    """For a command whose main does not catch BadInput: the same one line, as `name: error:
    ...` on stderr, and exit status 2 (argparse's own exit, without its usage block)."""

    def __init__(self, *args, name: str, **kwargs):
        self.name = name
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.name}: error: {message} (see --help)\n")


def parse_classes(text: str, what: str = "--classes") -> list[int]:
    """'0-9', '1,3,5' or '2' -> class numbers (the benchmark's --classes, a sweep spec's class
    ranges); BadInput with one line otherwise."""
    try:
        if "-" not in text:
            return [int(v) for v in text.split(",")]
        low, high = (int(v) for v in text.split("-", 1))
    except ValueError:
        raise BadInput(f"{what} {text!r}: expected e.g. 0-9 or 1,3,5") from None
    if high < low:
        raise BadInput(f"{what} {text!r}: the range a-b needs a <= b")
    return list(range(low, high + 1))
