"""The checks a setting key's value must pass, and how a key is declared: shared by the settings
schema (gandi/settings.py) and the detectors, which declare the keys only they read."""
from __future__ import annotations

import numbers
from typing import Any, Callable, NamedTuple


class SettingKey(NamedTuple):
    """A setting key: its default, the check its value must pass, what is allowed (said in the
    one-line error when the check fails), what the key does, and which detectors and kinds of
    data read it (None: all; a detector's own keys are marked as its own when collected)."""
    default: Any
    check: Callable[[Any], bool]
    allowed: str
    doc: str
    detectors: tuple | None = None
    data: tuple | None = None


def is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def positive_int(v):
    return is_int(v) and v > 0


def positive_number(v):
    return is_number(v) and v > 0


def optional(check, allowed):
    return (lambda v: v is None or check(v)), f"None or {allowed}"


def one_of(choices):
    return (lambda v: isinstance(v, str) and v in choices), "one of " + ", ".join(sorted(choices))


def at_least_zero(v):
    return is_number(v) and v >= 0


def in_unit_interval(v):
    return is_number(v) and 0 <= v <= 1
