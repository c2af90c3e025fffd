"""The documentation holds together: README.md and docs/*.md link only to files and headings
that exist, every repository path and gandi module they name in backticks exists, and
docs/architecture.md lists every module of the package (generated from the docstrings).

When modules move, `test_every_reference_in_the_docs_exists` names every stale reference at
once; `make readme` regenerates the module list."""
import ast
import re
from pathlib import Path

from gandi import module_index
from gandi.module_index import BEGIN, END, NO_DOCSTRING

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
ARCHITECTURE = REPO / "docs" / "architecture.md"

FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
# A repository path: starts at a word boundary with one of the repository's folders.
REPO_PATH = re.compile(r"(?<![\w./-])((?:gandi|tests|benchmarks|run_params|sweeps|docs|paper)"
                       r"/(?:\{[^{}\s]*\}|[^\s`'\",;:)\]{])*)")
MODULE = re.compile(r"(?<![\w./-])(gandi(?:\.\w+)+)")


def split_fences(text: str):
    """(line number, line, inside a fenced code block) for every line."""
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            inside = not inside
            yield number, line, True
        else:
            yield number, line, inside


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set:
    seen, found = {}, set()
    for _, line, fenced in split_fences(page.read_text(encoding="utf-8")):
        match = None if fenced else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def expanded(path: str) -> list:
    """`a.{csv,md}` -> [a.csv, a.md]; other paths as they are."""
    match = re.search(r"\{([^{}]*)\}", path)
    if not match:
        return [path]
    return [p for part in match.group(1).split(",")
            for p in expanded(path[:match.start()] + part + path[match.end():])]


def names_defined(module: Path) -> set:
    """The names a module defines at its top level, imports, or hands out by name (a string
    constant, as a lazy `__getattr__` does)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    names |= {n.value for n in ast.walk(tree)
              if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier()}
    return names


def module_problem(dotted: str, repo: Path):
    """None when `gandi.a.b` is a module of the package, or a name one of them defines."""
    parts = dotted.split(".")
    here = repo / parts[0]
    for i, part in enumerate(parts[1:], 1):
        if (here / part / "__init__.py").exists():
            here = here / part
        elif (here / f"{part}.py").exists():
            here = here / f"{part}.py"
        else:
            module = here / "__init__.py" if here.is_dir() else here
            if part in names_defined(module):
                return None
            where = ".".join(parts[:i])
            return f"`{dotted}`: no module {where}.{part}, nor a name {part} in {where}"
        if here.suffix == ".py":
            if i + 1 < len(parts) and parts[i + 1] not in names_defined(here):
                return f"`{dotted}`: {here.relative_to(repo)} defines no {parts[i + 1]}"
            return None
    return None


def stale_references(pages, repo: Path) -> list:
    """Every reference in the pages that points at nothing, as "page:line: what"."""
    problems = []
    for page in pages:
        name = page.relative_to(repo).as_posix()
        for number, line, fenced in split_fences(page.read_text(encoding="utf-8")):
            where = f"{name}:{number}"
            spans = [line] if fenced else CODE_SPAN.findall(line)
            for span in spans:
                for path in REPO_PATH.findall(span):
                    path = path.rstrip(".")
                    if any(c in path for c in "<>*$"):
                        continue  # a pattern (`<signature>`, `*.py`), not a file
                    for one in expanded(path):
                        if not (repo / one).exists():
                            problems.append(f"{where}: `{one}` does not exist")
                for dotted in MODULE.findall(span):
                    problem = module_problem(dotted.rstrip("."), repo)
                    if problem:
                        problems.append(f"{where}: {problem}")
            if fenced:
                continue
            for target in LINK.findall(CODE_SPAN.sub("", line)):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                    continue  # https:, mailto:
                path, _, anchor = target.partition("#")
                file = (page.parent / path).resolve() if path else page
                if not file.exists():
                    problems.append(f"{where}: link ({target}): {path} does not exist")
                elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                    problems.append(f"{where}: link ({target}): no heading #{anchor} in "
                                    f"{file.relative_to(repo).as_posix()}")
    return problems


def test_every_reference_in_the_docs_exists():
    problems = stale_references(PAGES, REPO)
    assert not problems, ("stale references in the docs (a file moved? fix the page; the module "
                          "list: `make readme`):\n" + "\n".join(problems))


def test_the_checker_reports_every_stale_reference_at_once(tmp_path):
    (tmp_path / "gandi" / "data").mkdir(parents=True)
    (tmp_path / "gandi" / "__init__.py").write_text('"""p."""\n')
    (tmp_path / "gandi" / "data" / "__init__.py").write_text('"""p."""\n')
    (tmp_path / "gandi" / "data" / "images.py").write_text('"""m."""\ndef load_dataset(): pass\n')
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "# Top\n## Use it: now\n"
        "Fine: [a](docs/a.md#part-two), [b](#use-it-now), `gandi/data/images.py`,\n"
        "`gandi.data.images.load_dataset`, [web](https://example.org/x), `log_dir/<sig>/`.\n"
        "Stale: [c](docs/gone.md), [d](docs/a.md#nowhere), `gandi/settings.py`,\n"
        "`gandi.data.tables`, `gandi.data.images.load`.\n"
        "```\npython benchmarks/moved.py\n```\n")
    (tmp_path / "docs" / "a.md").write_text("# A\n## Part two\n[back](../README.md#top)\n")
    problems = stale_references([tmp_path / "README.md", tmp_path / "docs" / "a.md"], tmp_path)
    assert [p.split(": ", 1)[0] for p in problems] == ["README.md:5"] * 3 + ["README.md:6"] * 2 + [
        "README.md:8"], problems
    text = "\n".join(problems)
    for stale in ("docs/gone.md", "#nowhere", "gandi/settings.py", "gandi.data.tables",
                  "defines no load", "benchmarks/moved.py"):
        assert stale in text, stale


def test_headings_anchor_as_on_github():
    assert slug("Anomaly maps: where they point") == "anomaly-maps-where-they-point"
    assert slug("Use gandi from Python") == "use-gandi-from-python"
    assert slug("`gandi/data/`") == "gandidata"
    assert expanded("a/b.{csv,md}") == ["a/b.csv", "a/b.md"]


def test_the_architecture_module_list_is_the_generated_one():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert text == module_index.with_module_list(text, ARCHITECTURE.parent), (
        "docs/architecture.md's module list is stale: run `make readme`")


def test_every_module_has_a_docstring():
    assert module_index.undocumented() == [], "modules without a docstring (say what each is for)"


def test_the_module_list_walks_the_folder_it_is_given(tmp_path):
    package = tmp_path / "pkg"
    (package / "studies").mkdir(parents=True)
    (package / "__init__.py").write_text('"""The package. More."""\n')
    (package / "zeta.py").write_text('"""Zeta (Smith et al. 2020): a module. Second."""\n')
    (package / "studies" / "__init__.py").write_text('"""Studies, listed:\n\n- one\n"""\n')
    (package / "studies" / "paper.py").write_text("x = 1\n")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "zeta.py").write_text("")
    listing = module_index.module_list(tmp_path / "docs", package)
    assert listing == ("### `pkg/`\n\n"
                       "- [`__init__.py`](../pkg/__init__.py): The package.\n"
                       "- [`zeta.py`](../pkg/zeta.py): Zeta (Smith et al. 2020): a module.\n\n"
                       "### `pkg/studies/`\n\n"
                       "- [`__init__.py`](../pkg/studies/__init__.py): Studies, listed.\n"
                       f"- [`paper.py`](../pkg/studies/paper.py): {NO_DOCSTRING}\n")
    assert module_index.undocumented(package) == ["pkg/studies/paper.py"]
    page = f"# A\n\nhand-written\n\n{BEGIN}\nold list\n{END}\n\nafter\n"
    assert module_index.with_module_list(page, tmp_path / "docs", package) == (
        f"# A\n\nhand-written\n\n{BEGIN}\n{listing}{END}\n\nafter\n")


def test_make_readme_rewrites_only_the_module_list(tmp_path, capsys):
    page = tmp_path / "architecture.md"
    page.write_text(f"# A\n\n{BEGIN}\nold\n{END}\n", encoding="utf-8")
    assert module_index.main([str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# A\n\n{BEGIN}\n### `gandi/`\n") and text.endswith(f"{END}\n")
    unmarked = tmp_path / "other.md"
    unmarked.write_text("no markers\n", encoding="utf-8")
    assert module_index.main([str(unmarked)]) == 2
    assert unmarked.read_text(encoding="utf-8") == "no markers\n"
    capsys.readouterr()
    assert module_index.main([str(tmp_path / "missing.md")]) == 2  # one line, no traceback
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.md: cannot read the page (FileNotFoundError" in err
    assert not (tmp_path / "missing.md").exists()
