"""The one key table (gandi/settings/keys.py): the copy in docs/settings.md is current, --list --keys prints
it, and what it says reads a key agrees with the detectors' own declarations."""
from pathlib import Path

import pytest

from gandi import playground
from gandi.detectors import DETECTORS
from gandi.settings.key_table import (README_BEGIN, README_END, applies_to, main,
                                      markdown_table, shown, with_key_table)
from gandi.settings.keys import KEYS

SETTINGS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def read_by(key) -> set:
    detectors = KEYS[key].detectors
    return set(DETECTORS) if detectors is None else set(detectors)


def test_the_docs_key_table_is_the_generated_one():
    text = SETTINGS_PAGE.read_text(encoding="utf-8")
    table = text[text.index(README_BEGIN) + len(README_BEGIN) + 1:text.index(README_END)]
    assert table == markdown_table(), "docs/settings.md's key table is stale: run `make readme`"


def test_the_markdown_table_has_a_row_per_key_with_its_doc_and_default():
    rows = markdown_table().splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == [f"| `{key}`" for key in KEYS]
    for row, (key, spec) in zip(rows, KEYS.items()):
        assert spec.doc and spec.allowed, key
        assert row.count(" | ") == 4, f"{key}: a '|' in a cell breaks the table: {row}"
        assert f"`{shown(spec.default)}`" in row and applies_to(spec) in row, key


def test_make_readme_rewrites_only_the_table_between_the_markers(tmp_path):
    stale = f"# title\n\n{README_BEGIN}\n| old | table |\n{README_END}\n\n## after\n"
    path = tmp_path / "README.md"
    path.write_text(stale, encoding="utf-8")
    assert main([str(path)]) == 0
    assert path.read_text(encoding="utf-8") == (
        f"# title\n\n{README_BEGIN}\n{markdown_table()}{README_END}\n\n## after\n")
    assert with_key_table(path.read_text(encoding="utf-8")) == path.read_text(encoding="utf-8")
    unmarked = tmp_path / "other.md"
    unmarked.write_text("no markers\n", encoding="utf-8")
    assert main([str(unmarked)]) == 2 and unmarked.read_text(encoding="utf-8") == "no markers\n"


def test_list_keys_prints_every_key_with_its_default_readers_and_doc(capsys):
    assert playground.main(["--list", "--keys"]) == 0
    out = capsys.readouterr().out
    for key, spec in KEYS.items():
        assert f"{key} = {shown(spec.default)}  [read by: {applies_to(spec)}]\n" in out, key
    assert " ".join(out.split()).count("allowed: ") == len(KEYS)
    assert "the latent discriminator" in out  # aae's d_arch, not only "the discriminator"


def test_keys_without_list_is_one_clear_line_and_status_2(capsys):
    assert playground.main(["--keys"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--keys goes with --list" in err


@pytest.mark.parametrize("name", list(DETECTORS))
def test_the_architecture_keys_read_by_a_detector_are_the_ones_it_builds(name):
    detector = DETECTORS[name]
    for arch_key in ("g_arch", "d_arch", "e_arch", "jd_arch"):
        params_key = arch_key.replace("_arch", "_params")
        builds = arch_key in detector.arch_keys
        assert (name in read_by(arch_key)) == builds, (arch_key, detector.arch_keys)
        assert (name in read_by(params_key)) == builds, params_key


@pytest.mark.parametrize("name", list(DETECTORS))
def test_the_training_and_tracking_keys_read_by_a_detector_follow_its_class(name):
    detector = DETECTORS[name]
    assert (name in read_by("d_steps")) == detector.uses_d_steps
    generates = detector.generator_network is not None  # the Tracker draws n_generated of them
    assert (name in read_by("n_generated")) == generates
    assert (name in read_by("snapshots")) == generates
    for key in detector.setting_keys:
        assert name in read_by(key), key
