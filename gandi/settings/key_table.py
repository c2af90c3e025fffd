"""The key table as people read it: the generated table of docs/settings.md (`make readme`;
a test fails when it is stale) and `python -m gandi.playground --list --keys`, both from
gandi.settings.keys."""
from __future__ import annotations

import json
import textwrap

from gandi.settings.checks import SettingKey
from gandi.settings.keys import KEYS
from gandi.settings.readers import DATA_NAMES


def applies_to(spec: SettingKey) -> str:
    """Which detectors and data read the key, in words: "all", "egbad", "tables", ..."""
    parts = []
    if spec.detectors is not None:
        parts.append(", ".join(spec.detectors))
    if spec.data is not None:
        parts.append(", ".join(DATA_NAMES[d] for d in spec.data))
    return "; ".join(parts) or "all"


def shown(value) -> str:
    """A default as a JSON setting file writes it."""
    return json.dumps(value)


def markdown_table() -> str:
    """The key table of docs/settings.md."""
    lines = ["| key | default | allowed | read by | what it does |", "| --- | --- | --- | --- | --- |"]
    for key, spec in KEYS.items():
        cells = [f"`{key}`", f"`{shown(spec.default)}`", spec.allowed, applies_to(spec), spec.doc]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def text_table(width: int = 100) -> str:
    """`--list --keys`: a key per paragraph, for a terminal."""
    def wrapped(text):
        return textwrap.fill(text, width, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(f"{key} = {shown(spec.default)}  [read by: {applies_to(spec)}]\n"
                     + wrapped(spec.doc) + "\n" + wrapped("allowed: " + spec.allowed)
                     for key, spec in KEYS.items()) + "\n"


README_BEGIN = "<!-- setting keys: generated from gandi/settings/keys.py by `make readme` -->"
README_END = "<!-- end of setting keys -->"


def with_key_table(readme: str) -> str:
    """The page's text with its key table (between the markers) regenerated."""
    from gandi.module_index import between_markers
    return between_markers(readme, README_BEGIN, README_END, markdown_table())


def main(argv=None) -> int:
    """`python -m gandi.settings.key_table docs/settings.md` (`make readme`): regenerate the
    key table."""
    from gandi.module_index import rewrite_page
    return rewrite_page(argv, "python -m gandi.settings.key_table docs/settings.md",
                        "key table", README_BEGIN, README_END,
                        lambda text, _: with_key_table(text))


if __name__ == "__main__":
    raise SystemExit(main())
