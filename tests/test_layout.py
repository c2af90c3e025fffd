"""The package's layout, checked on its sources (every module's syntax tree; nothing imported):

- nothing outside gandi/studies/ imports gandi.studies (studies measure gandi; gandi does not
  depend on them);
- no `from gandi.x import _name`: a name another module uses is public in its home;
- no import circle among gandi's modules, function-local imports counted (they hide a circle
  from Python, not from a reader);
- gandi/ holds at top level only the entry points, the one run-core module and the interfaces
  (TOP_LEVEL), and the thin shims that keep old command paths (SHIMS).

Each check lists every offender in one message."""
import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "gandi"
# gandi/*.py allowed: entry points, the run core's one top-level module, interfaces, cli
TOP_LEVEL = {
    "__init__.py", "__main__.py",          # `import gandi` (lazy Detector / load); `gandi COMMAND`
    "experiment.py",                       # one run end to end: the only run-core module here
    "cli.py",                              # what every command shares
    "playground.py", "estimator.py", "api_input.py", "fit_data.py", "fit_defaults.py",
    "export.py", "report.py", "ensemble.py",  # interfaces (score/ and sweep/ are packages)
    "module_index.py",                     # `make readme`: docs/architecture.md's module list
}
# thin shims: `python -m gandi.X` kept where X moved; a docstring, one import, the __main__ guard
SHIMS = {"benchmark.py": "gandi.studies.benchmark.__main__",
         "paper.py": "gandi.studies.paper.write"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path):
    """(line, imported module, imported names) of every import in the file, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def edges(path: Path) -> set:
    """The gandi modules a file imports: `from a.b import c` is a.b.c when that is a module,
    else a.b."""
    out = set()
    for _, module, names in imports(path):
        if module.split(".")[0] != "gandi":
            continue
        targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
        if len(targets) < len(names) or not names:
            targets.append(module)
        out |= {t for t in targets if t in MODULES}
    return out


def test_nothing_outside_studies_imports_studies():
    shims = {f"gandi.{Path(name).stem}" for name in SHIMS}  # a command path kept: allowed
    offenders = [f"{path.relative_to(ROOT)}:{line} imports {module}"
                 for name, path in MODULES.items()
                 if not name.startswith("gandi.studies") and name not in shims
                 for line, module, names in imports(path)
                 if module.startswith("gandi.studies")
                 or module == "gandi" and "studies" in names]
    assert not offenders, "outside gandi/studies/, imports of gandi.studies:\n" + "\n".join(
        offenders)


def test_no_private_name_crosses_modules():
    offenders = [f"{path.relative_to(ROOT)}:{line} from {module} import {n}"
                 for path in MODULES.values() for line, module, names in imports(path)
                 if module.split(".")[0] == "gandi"
                 for n in names if n.startswith("_") and f"{module}.{n}" not in MODULES]
    assert not offenders, "private names imported across modules:\n" + "\n".join(offenders)


def test_no_import_circle():
    graph = {name: edges(path) - {name} for name, path in MODULES.items()}
    circles, state = [], {}

    def visit(node, stack):  # depth-first; a grey node met again closes a circle
        state[node] = "grey"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "grey":
                circles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "black"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert not circles, "import circles (function-local imports counted):\n" + "\n".join(
        circles)


def test_top_level_holds_only_entry_points_the_run_core_module_interfaces_and_shims():
    extra = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in TOP_LEVEL | set(SHIMS))
    assert not extra, ("modules at gandi/ top level that belong in a package (settings/, "
                       "training/, tracking/, detectors/, outputs/, studies/, ...): "
                       + ", ".join(extra))


def test_shims_are_thin():
    fat = []
    for name, target in SHIMS.items():
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        body = tree.body[1:] if ast.get_docstring(tree) else tree.body
        kinds = [type(node).__name__ for node in body]
        imported = [node.module for node in body if isinstance(node, ast.ImportFrom)]
        if kinds != ["ImportFrom", "If"] or imported != [target]:
            fat.append(f"gandi/{name}: {kinds} importing {imported}, expected one import of "
                       f"{target} and the __main__ guard")
    assert not fat, "shims that are more than a command path:\n" + "\n".join(fat)
