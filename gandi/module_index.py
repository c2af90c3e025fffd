"""The module list of docs/architecture.md, generated from the package's files and docstrings.

`python -m gandi.module_index docs/architecture.md` (`make readme`) rewrites the list between the
markers: every `.py` file under gandi/, grouped by package, each with its docstring's first
sentence. The files are found by walking the folder and read with `ast` (never imported: no
TensorFlow, and a module that moves shows up where it now is). A test fails when the page is
stale or a module has no docstring.
"""
from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
BEGIN = "<!-- modules: generated from the docstrings of gandi/ by `make readme` -->"
END = "<!-- end of modules -->"
NO_DOCSTRING = "**no docstring**"

# A sentence ends at ". " before a letter, a backtick or a bracket, but not after these.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Za-z`(\[])")
_NOT_AN_END = ("al.", "e.g.", "i.e.", "vs.", "cf.")


def modules(package: Path = PACKAGE) -> list[Path]:
    """Every module file under the package folder, relative to its parent, package by package."""
    files = [p for p in package.rglob("*.py") if "__pycache__" not in p.parts]
    special = {"__init__.py": 0, "__main__.py": 1}
    return sorted((p.relative_to(package.parent) for p in files),
                  key=lambda p: (p.parent.parts, special.get(p.name, 2), p.name))


def summary(path: Path) -> str | None:
    """The first sentence of a module's docstring on one line (one that introduces a list with
    a colon ends with a full stop instead); None without a docstring."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    if not doc or not doc.strip():
        return None
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    for match in _SENTENCE_END.finditer(paragraph):
        if not paragraph[:match.start()].endswith(_NOT_AN_END):
            paragraph = paragraph[:match.start()]
            break
    return paragraph[:-1] + "." if paragraph.endswith(":") else paragraph


def undocumented(package: Path = PACKAGE) -> list[str]:
    """The modules without a docstring, as repository paths."""
    return [p.as_posix() for p in modules(package) if summary(package.parent / p) is None]


def module_list(page_dir: Path, package: Path = PACKAGE) -> str:
    """The generated part of the page: a heading per package, a line per module, linked
    relative to the folder of the page."""
    lines, group = [], None
    for module in modules(package):
        if module.parent != group:
            group = module.parent
            lines += ([""] if lines else []) + [f"### `{group.as_posix()}/`", ""]
        link = Path(os.path.relpath(package.parent / module, page_dir)).as_posix()
        text = summary(package.parent / module) or NO_DOCSTRING
        lines.append(f"- [`{module.name}`]({link}): {text}")
    return "\n".join(lines) + "\n"


def with_module_list(page: str, page_dir: Path, package: Path = PACKAGE) -> str:
    """The page's text with its module list (between the markers) regenerated."""
    return between_markers(page, BEGIN, END, module_list(page_dir, package))


def between_markers(page: str, begin: str, end: str, section: str) -> str:
    """`page` with the text between the `begin` and `end` marker lines replaced by `section`
    (the generated parts of docs/: this module list, the settings key table)."""
    start, stop = page.index(begin), page.index(end)
    return page[:start] + begin + "\n" + section + page[stop:]


def rewrite_page(argv, usage: str, what: str, begin: str, end: str, regenerate) -> int:
    """What `make readme`'s commands share: rewrite the one page named in `argv` (else
    sys.argv) with `regenerate(text, page_dir)`, atomically; 2 with one line on a usage error
    or a page without the markers of `what` it generates."""
    from gandi.outputs.run_folder import atomic_write_bytes
    paths = sys.argv[1:] if argv is None else argv
    if len(paths) != 1:
        print(f"usage: {usage}", file=sys.stderr)
        return 2
    path = Path(paths[0])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else err
        print(f"{path}: cannot read the page ({type(err).__name__}: {reason})", file=sys.stderr)
        return 2
    if begin not in text or end not in text:
        print(f"{path}: no {what} markers ({begin} ... {end})", file=sys.stderr)
        return 2
    atomic_write_bytes(path, regenerate(text, path.resolve().parent).encode("utf-8"))
    return 0


def main(argv=None) -> int:
    """Rewrite the module list of the page named; status 1 (after writing) when a module has
    no docstring, 2 on a usage error."""
    status = rewrite_page(argv, "python -m gandi.module_index docs/architecture.md",
                          "module list", BEGIN, END, with_module_list)
    if status:
        return status
    missing = undocumented()
    if missing:
        page = (sys.argv[1:] if argv is None else argv)[0]
        print(f"{page} written; modules without a docstring: "
              f"{', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
