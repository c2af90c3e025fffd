"""The checks a setting key's value must pass, and how a key is declared: shared by the settings
schema (gandi/settings.py) and the detectors, which declare the keys only they read. Also
`did_you_mean`, the near names that the settings' and the commands' one-line errors suggest."""
from __future__ import annotations

import difflib
import math
import numbers
from typing import Any, Callable, NamedTuple


class SettingError(ValueError):
    """A bad setting; the message is the one line the user sees (here, a leaf, so that a network
    builder can refuse a setting without importing validation)."""


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

    @property
    def choices(self) -> tuple:
        """The names a value must be one of (a `one_of` check), for "did you mean"; else ()."""
        return tuple(getattr(self.check, "choices", ()))


def did_you_mean(name, names) -> str:
    """What the one-line error about an unknown key, value or flag appends: "; did you mean
    'x'?" naming the (up to three) `names` that `name` is a near miss of (difflib, ignoring
    case), or "" when none is near, so that a typo is fixed without reading every name."""
    if not isinstance(name, str):
        return ""
    by_lower = {n.lower(): n for n in names if isinstance(n, str)}
    typed = name.lower()
    # only the case wrong: that name alone, not also the names near it
    near = [typed] if typed in by_lower else difflib.get_close_matches(typed, by_lower, n=3)
    if not near:
        return ""
    # names sharing a prefix (val_vs_...) are all near: keep those about as near as the nearest
    ratio = {n: difflib.SequenceMatcher(None, typed, n).ratio() for n in near}
    near = [n for n in near if ratio[n] >= ratio[near[0]] - 0.1]
    *first, last = (repr(by_lower[n]) for n in near)
    return "; did you mean " + (", ".join(first) + " or " if first else "") + last + "?"


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
    def check(v):
        return isinstance(v, str) and v in choices
    check.choices = choices  # SettingKey.choices: a misspelt value gets the nearest ones
    return check, "one of " + ", ".join(sorted(choices))


def at_least_zero(v):
    return is_number(v) and v >= 0


def in_unit_interval(v):
    return is_number(v) and 0 <= v <= 1


def label_values(v):
    """Label values as a table holds them: text, integers, finite numbers, booleans."""
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(
        isinstance(x, (str, bool, numbers.Integral))
        or (isinstance(x, numbers.Real) and math.isfinite(x)) for x in v)


def a_dict(v):
    return isinstance(v, dict)


def non_empty_text(v):
    return isinstance(v, str) and v != ""


def a_flag(v):
    return isinstance(v, bool)


def a_seed(v):
    return is_int(v) and 0 <= v < 2 ** 32


def a_fraction(v):
    return is_number(v) and 0 < v < 1


def member_names(v):
    """A list of distinct names; which names are detectors is checked with the setting (a
    near match suggested, gandi.settings.validation)."""
    return (isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(m, str) for m in v)
            and len(set(v)) == len(v))
