"""Rules for the test suite itself, checked on its sources.

No test may depend on what TensorFlow prints: its start-up and log lines on stderr differ by CPU
(oneDNN's lines on AVX-512), build and environment. A test that reads a subprocess's stderr
reads gandi's own lines of it, through conftest.gandi_stderr."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, gandi_stderr

TESTS = Path(__file__).resolve().parent
HELPER = "gandi_stderr"

# ----- the rule: a subprocess's stderr is read through gandi_stderr ------------------------------
# The check reads each test file's syntax tree rather than grepping lines: a read of stderr is
#   * `<anything>.stderr` but sys.stderr (subprocess.run's and Popen's stderr), or
#   * the second half of an (out, err) pair: `out, err = proc.communicate()` (also
#     `capfd.readouterr()`, which reads fd 2, where TensorFlow's C++ logs go; capsys reads only
#     Python's sys.stderr, which they bypass, so capsys is free), then `err`; or `pair[1]`,
#     `pair.err`;
# and it is allowed only inside the arguments of gandi_stderr(...) or as an assert's message
# (shown once the assertion has failed: it cannot decide whether a test passes, and is best
# unfiltered). Anything else, e.g. `err = done.stderr` then `assert err == ...`, or
# `"x" in done.stderr`, is a violation, however it is used later: the simple, conservative
# reading. `stderr=subprocess.STDOUT` is one too: it hides TensorFlow's lines in stdout.


def _is_pair_call(node) -> bool:
    """proc.communicate(...) or capfd.readouterr(): an (out, err) pair."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    receiver = node.func.value
    return node.func.attr == "communicate" or (
        node.func.attr == "readouterr" and isinstance(receiver, ast.Name)
        and receiver.id.startswith("capfd"))


def _pair_names(scope) -> tuple[set, set]:
    """In one function: the names bound to an err half, and to a whole pair."""
    err_names, pair_names = set(), set()
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and _is_pair_call(node.value):
            for target in node.targets:
                if isinstance(target, ast.Tuple) and len(target.elts) == 2 \
                        and isinstance(target.elts[1], ast.Name):
                    err_names.add(target.elts[1].id)
                elif isinstance(target, ast.Name):
                    pair_names.add(target.id)
    return err_names, pair_names


def _reads_stderr(node, err_names, pair_names) -> bool:
    def is_pair(n):
        return _is_pair_call(n) or (isinstance(n, ast.Name) and n.id in pair_names)
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
        if node.attr == "stderr":
            return not (isinstance(node.value, ast.Name) and node.value.id == "sys")
        return node.attr == "err" and is_pair(node.value)
    if isinstance(node, ast.Subscript) and is_pair(node.value):
        return isinstance(node.slice, ast.Constant) and node.slice.value == 1
    return isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in err_names


def unfiltered_stderr_reads(source: str, filename: str = "<test>") -> list[str]:
    """'file:line: code' for each read of a subprocess's stderr in `source` that breaks the
    rule above."""
    tree = ast.parse(source, filename)
    allowed = set()  # ids of the nodes under gandi_stderr(...) and under assert messages
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == HELPER:
            roots = [*node.args, *(k.value for k in node.keywords)]
        elif isinstance(node, ast.Assert) and node.msg is not None:
            roots = [node.msg]
        else:
            continue
        allowed.update(id(n) for root in roots for n in ast.walk(root))
    lines = source.splitlines()
    found = {}
    # the whole file for attribute reads, then each function with the names it binds
    scopes = [(tree, (set(), set())), *((n, _pair_names(n)) for n in ast.walk(tree)
                                        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]
    for scope, (err_names, pair_names) in scopes:
        for node in ast.walk(scope):
            merges = (isinstance(node, ast.keyword) and node.arg == "stderr"
                      and isinstance(node.value, ast.Attribute) and node.value.attr == "STDOUT")
            if merges or (_reads_stderr(node, err_names, pair_names) and id(node) not in allowed):
                line = node.value.lineno if merges else node.lineno
                found[line] = f"{filename}:{line}: {lines[line - 1].strip()}"
    return [found[line] for line in sorted(found)]


def test_every_test_reads_a_subprocess_stderr_through_the_helper():
    broken = [hit for path in sorted(TESTS.glob("*.py"))
              for hit in unfiltered_stderr_reads(path.read_text(), path.name)]
    assert not broken, ("read a subprocess's stderr through conftest.gandi_stderr (TensorFlow's "
                        "lines there differ by CPU):\n" + "\n".join(broken))


BAD = {
    "equality": "def test(p):\n    assert p.stderr.strip() == 'gandi: error: x'\n",
    "lines": "def test(p):\n    err = p.stderr.strip().splitlines()\n    assert len(err) == 1\n",
    "substring": "def test(p):\n    assert p.returncode == 3, p.stderr\n"
                 "    assert 'diverged' in p.stderr\n",
    "communicate": "def test(p):\n    out, err = p.communicate()\n    assert err == ''\n",
    "capfd": "def test(capfd):\n    assert capfd.readouterr().err == ''\n",
    "merged": "import subprocess\ndef test():\n"
              "    subprocess.run(['x'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)\n",
}
GOOD = {
    "helper": "def test(p):\n    assert gandi_stderr(p.stderr) == ['gandi: error: x']\n",
    "message": "def test(p):\n    out, err = p.communicate()\n    assert p.returncode == 0, err\n"
               "    assert p.returncode == 0, p.stderr\n",
    "own stderr and capsys": "import sys\ndef test(capsys):\n    print('x', file=sys.stderr)\n"
                             "    assert capsys.readouterr().err == 'x\\n'\n",
}


@pytest.mark.parametrize("case", BAD)
def test_the_rule_catches_a_bad_read(case):
    assert unfiltered_stderr_reads(BAD[case]), BAD[case]


@pytest.mark.parametrize("case", GOOD)
def test_the_rule_lets_a_good_read_pass(case):
    assert unfiltered_stderr_reads(GOOD[case]) == [], GOOD[case]


# ----- the helper ---------------------------------------------------------------------------------

ZEN4_IMPORT = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1733310000.123456   12345 port.cc:153] oneDNN custom operations are on. You may see \
slightly different numerical results due to floating-point round-off errors from different \
computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.
I0000 00:00:1733310000.223456   12345 cpu_feature_guard.cc:227] This TensorFlow binary is \
optimized to use available CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the \
appropriate compiler flags.
2024-12-04 10:00:00.123456: W tensorflow/core/framework/local_rendezvous.cc:404] Local rendezvous \
is aborting with status: OUT_OF_RANGE: End of sequence
W1204 10:00:01.123456   12345 hlo_rematerialization.cc:3005] Can't reduce memory use
WARNING:tensorflow:5 out of the last 5 calls to <function f> triggered tf.function retracing.
diverged at step 37: d_loss = nan; the last good checkpoint and the results up to it are in x
"""


def test_the_helper_keeps_gandis_lines_only():
    assert gandi_stderr(ZEN4_IMPORT) == [
        "diverged at step 37: d_loss = nan; the last good checkpoint and the results up to it "
        "are in x"]
    # gandi's lines as they are, whatever their words
    assert gandi_stderr("gandi.playground: error: WARNING: x\n  Traceback\n\n") == [
        "gandi.playground: error: WARNING: x", "  Traceback"]


def test_the_helper_drops_what_this_tensorflow_prints():
    """This machine's TensorFlow, oneDNN on and every log level (the most it prints)."""
    code = ("import sys, tensorflow as tf, keras; tf.constant([1.0]) + 1; "
            "print('gandi: error: x', file=sys.stderr)")
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "0"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert gandi_stderr(done.stderr) == ["gandi: error: x"], done.stderr
