"""Your own images: a folder of PNG/JPEG files in normal/ and abnormal/ (or train/ and test/),
written in the tests from the real MNIST (conftest's `digit_folder`: 300 ones, 100 other
digits, some enlarged to 32x32, some RGB, some JPEG), resized and converted to the setting's
image_size and channels; and the convolutional networks on 28, 32 and 64 pixels, 1 or 3
channels."""
import json
import re
import shutil

import numpy as np
import pytest
from PIL import Image

import run_params
from conftest import DIGIT_ANOMALIES, DIGIT_NORMALS, MNIST_DIR, needs_mnist
from gandi.data import load_splits
from gandi.data.errors import DataError
from gandi.data.image_folders import read_image, read_images
from gandi.data.images import read_idx
from gandi.detectors import DETECTORS
from gandi.nets import DISCRIMINATORS, ENCODERS, GENERATORS, JOINT_DISCRIMINATORS, build
from gandi.cli import EXIT_BAD_INPUT
from gandi.playground import main
from gandi.settings.validation import SettingError, data_record, validate


def folder_setting(image_dir, **overrides) -> dict:
    """Shipped setting 42 on a folder of the test."""
    return validate({**run_params.SETTINGS[42], "image_dir": str(image_dir), **overrides})


# ----- training on a folder -------------------------------------------------------------------

def test_autoencoder_on_a_digit_folder_finds_the_other_digits(digit_run, record_property):
    """Setting 42 (convolutional autoencoder, 2-D code) for 200 steps on 210 training ones.
    Sweet spot (val_vs_corrupted, label-free) test AUC over seeds 0-4 (GANDI_TEST_SEED): 0.986,
    0.966, 0.968, 0.959, 1.000: the bound is 0.9, for a margin >= 0.059 (another CPU rounds
    otherwise and trains along another path, like another seed). The untrained network scores
    0.113, 0.162, 0.152, 0.112, 0.143 (it reconstructs thin ones worst; bound: < 0.5), so the
    bound is learnt, not given by the data."""
    assert digit_run["status"] == "finished"
    m = digit_run["measurements"].set_index("step")
    record_property("step_0_auc", m.loc[0, "d_auc"])
    record_property("sweet_spot_auc", digit_run["sweet_spot"]["test_auc"])
    assert m.loc[0, "d_auc"] < 0.5
    assert digit_run["sweet_spot"]["criterion"] == "val_vs_corrupted"
    assert digit_run["sweet_spot"]["test_auc"] > 0.9, m[["d_auc", "criterion"]]
    final = digit_run["final"].set_index("detector")
    assert final.loc["autoencoder", ["tp", "fn"]].sum() == DIGIT_ANOMALIES
    assert final.loc["autoencoder", ["tn", "fp"]].sum() == round(0.2 * DIGIT_NORMALS)
    for figure in ("reconstructions", "examples_autoencoder", "latent_codes"):
        assert (digit_run["run"].plots / f"{figure}.png").read_bytes()[:4] == b"\x89PNG"


def test_one_folder_is_split_like_a_table(digit_folder):
    """normal/ + abnormal/: the seeded semi-supervised split of tables (part A's function):
    test_fraction of the normals and every abnormal image to the test set, normals first."""
    setting = folder_setting(digit_folder)
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    assert (len(data.train), len(data.validation)) == (210, 30)
    assert data.test_y.tolist() == [0] * 60 + [1] * DIGIT_ANOMALIES
    assert all(i.startswith("normal/") for i in data.test_ids[:60])
    assert sorted(data.test_ids[60:]) == data.test_ids[60:]  # every anomaly, in file order
    assert all(i.startswith("abnormal/") for i in data.test_ids[60:])
    assert data.sample_shape == (28, 28, 1) and data.train.dtype == np.float32
    assert data.train.min() >= -1 and data.train.max() <= 1
    again = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    assert again.test_ids == data.test_ids and np.array_equal(again.train, data.train)
    other = load_splits({**setting, "numpy_seed": 1}, np.random.default_rng(1))
    assert other.test_ids[:60] != data.test_ids[:60]


def test_train_and_test_sub_folders(tmp_path, digit_folder):
    """train/normal (validation held out by the seed), test/normal and test/abnormal."""
    normals = sorted((digit_folder / "normal").iterdir())
    anomalies = sorted((digit_folder / "abnormal").iterdir())
    for sub, files in (("train/normal", normals[:50]), ("test/normal", normals[50:60]),
                       ("test/abnormal", anomalies[:5])):
        (tmp_path / sub).mkdir(parents=True)
        for f in files:
            shutil.copy(f, tmp_path / sub / f.name)
    data = load_splits(folder_setting(tmp_path, image_size=32, channels=3),
                       np.random.default_rng(0))
    assert (len(data.train), len(data.validation)) == (45, 5)
    assert data.test_ids == ([f"test/normal/{f.name}" for f in normals[50:60]]
                             + [f"test/abnormal/{f.name}" for f in anomalies[:5]])
    assert data.test_y.tolist() == [0] * 10 + [1] * 5
    assert data.test_x.shape == (15, 32, 32, 3)


def test_a_colour_folder_at_32_pixels_runs_end_to_end(tmp_path, digit_folder):
    """RGB 32x32 through training, corruptions (sweet spot), tracking and the plots."""
    setting = folder_setting(digit_folder, image_size=32, channels=3, epochs=None, steps=20,
                             track_every=10, n_generated=64)
    from gandi.experiment import run_setting
    results = run_setting("colour", setting, tmp_path, progress=False)
    assert results["status"] == "finished"
    assert np.isfinite(results["measurements"]["d_auc"]).all()
    for figure in ("reconstructions", "examples_autoencoder"):  # colour pictures
        assert (results["run"].plots / f"{figure}.png").is_file()


def test_other_images_at_the_same_path_are_other_data(tmp_path, digit_folder, digit_run):
    """The data fingerprint (what gandi.report averages runs over) of a folder is of its files'
    names and bytes, not of its path alone: a run on other images in the same folder is never
    averaged with one on the old images; the same images give the same fingerprint."""
    folder = shutil.copytree(digit_folder, tmp_path / "parts")
    setting = folder_setting(folder)

    def fingerprint() -> str:
        data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
        return data_record(setting, contents=data.contents)["fingerprint"]

    first = fingerprint()
    assert fingerprint() == first
    first_one, second_one = sorted((folder / "normal").iterdir())[:2]
    kept = first_one.read_bytes()
    first_one.write_bytes(second_one.read_bytes())  # one image replaced, same name
    assert fingerprint() != first
    first_one.write_bytes(kept)
    assert fingerprint() == first
    first_one.rename(first_one.with_name("z" + first_one.name))  # same bytes, another name
    assert fingerprint() != first
    # a run records the fingerprint of the files it read
    run_setting = digit_run["setting"]
    data = load_splits(run_setting, np.random.default_rng(run_setting["numpy_seed"]))
    recorded = digit_run["run"].read_data_record()["fingerprint"]
    assert recorded == data_record(run_setting, contents=data.contents)["fingerprint"]
    assert recorded != data_record(run_setting)["fingerprint"]  # not the path's alone


# ----- reading images ---------------------------------------------------------------------------

@needs_mnist
def test_a_grey_png_reads_exactly_as_mnist_scales_it(tmp_path):
    """A lossless 28x28 grey PNG gives the very pixels of the IDX reader's split, [-1, 1]."""
    digit = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")[0]
    Image.fromarray(digit).save(tmp_path / "d.png")
    x = read_images([tmp_path / "d.png"], 28, 1)
    np.testing.assert_array_equal(x[0, ..., 0], digit.astype(np.float32) / 127.5 - 1.0)


def test_sizes_modes_and_channels(tmp_path):
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[..., 0] = 255  # pure red, not square
    Image.fromarray(rgb).save(tmp_path / "red.png")
    red = read_image(tmp_path / "red.png", 64, 3)
    assert red.shape == (64, 64, 3) and (red[..., 0] == 255).all() and (red[..., 1:] == 0).all()
    grey = read_image(tmp_path / "red.png", 32, 1)
    assert grey.shape == (32, 32, 1) and 70 < grey.mean() < 80  # ITU-R 601 luma of red: 76
    Image.fromarray(np.full((28, 28), 200, np.uint8)).save(tmp_path / "grey.jpg")
    assert np.allclose(read_image(tmp_path / "grey.jpg", 28, 3), 200, atol=2)  # JPEG: lossy
    deep = np.full((28, 28), 65535, np.uint16)
    deep[0, 0] = 0
    Image.fromarray(deep).save(tmp_path / "deep.png")  # 16-bit grey: scaled, not clipped
    pixels = read_image(tmp_path / "deep.png", 28, 1)
    assert pixels[0, 0, 0] == 0 and pixels[1, 1, 0] == 255


def test_an_unreadable_image_is_named(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(DataError, match=r"broken\.png: cannot read it as an image"):
        read_images([tmp_path / "broken.png"], 28, 1)


# ----- the networks adapt to the image shape ----------------------------------------------------

@pytest.mark.parametrize("size", [8, 14, 28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_convolutional_networks_take_the_image_shape(size, channels):
    shape = (size, size, channels)
    g = build(GENERATORS, "dcgan", (16,), output_shape=shape)
    decoder = build(GENERATORS, "cae", (2,), output_shape=shape)
    z = np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32)
    x = np.asarray(g(z, training=False))
    assert x.shape == (3, *shape)
    assert np.asarray(decoder(z[:, :2], training=False)).shape == (3, *shape)
    assert np.asarray(build(DISCRIMINATORS, "dcgan", shape)(x)).shape == (3,)
    for arch in ("dcgan", "cae"):
        assert np.asarray(build(ENCODERS, arch, shape, latent_dim=5)(x)).shape == (3, 5)
    joint = build(JOINT_DISCRIMINATORS, "dcgan_joint", shape, latent_dim=16)
    assert np.asarray(joint([x, z])).shape == (3,)


@pytest.mark.parametrize("size, stages, last_map", [(8, 2, 2), (14, 2, 4), (32, 2, 8),
                                                    (64, 3, 8), (100, 4, 7), (128, 4, 8)])
def test_the_depth_follows_the_image_size(size, stages, last_map):
    """Two stride-2 stages up to 32 pixels, one more per doubling: the discriminator's last map
    (its "features") stays at most 8 pixels a side whatever the image."""
    d = build(DISCRIMINATORS, "dcgan", (size, size, 1))
    strided = [layer for layer in d.layers if getattr(layer, "strides", None) == (2, 2)]
    assert len(strided) == stages
    assert strided[-1].output.shape[1:3] == (last_map, last_map)


def test_28_pixel_grey_networks_are_unchanged():
    """The shipped MNIST settings build the same networks as before image folders existed."""
    shape = (28, 28, 1)
    assert build(GENERATORS, "dcgan", (64,), output_shape=shape).count_params() == 558849
    assert build(DISCRIMINATORS, "dcgan", shape).count_params() == 138561
    assert build(ENCODERS, "cae", shape, latent_dim=2).count_params() == 25090
    assert build(GENERATORS, "cae", (2,), output_shape=shape).count_params() == 28161


@pytest.mark.parametrize("detector", ["egbad", "ganomaly"])
def test_encoder_gans_train_a_step_on_64_pixel_colour(detector):
    setting = validate({"dataset": "folder", "image_dir": "x", "detector": detector,
                        "g_arch": "dcgan", "d_arch": "dcgan", "e_arch": "dcgan",
                        "jd_arch": "dcgan_joint", "latent_dim": 16, "batch_size": 4,
                        "image_size": 64, "channels": 3})
    model = DETECTORS[detector](setting, (64, 64, 3))
    batch = np.random.default_rng(0).uniform(-1, 1, (4, 64, 64, 3)).astype(np.float32)
    losses = model.train_step(batch)
    assert all(np.isfinite(float(v)) for v in losses.values())
    assert model.score(batch).shape == (4,)


# ----- bad input: one line, exit status 2, no run folder ----------------------------------------

def _folder(tmp_path, digit_folder, case: str):
    """An image folder with one thing wrong."""
    root = tmp_path / "images"
    some = sorted((digit_folder / "normal").glob("*.png"))[:12]
    if case == "no folder":
        return tmp_path / "absent"
    for sub in ("normal", "abnormal"):
        (root / sub).mkdir(parents=True)
        for f in some[:6] if sub == "normal" else some[6:]:
            shutil.copy(f, root / sub / f.name)
    if case == "no abnormal sub-folder":
        shutil.rmtree(root / "abnormal")
    elif case == "empty normal sub-folder":
        shutil.rmtree(root / "normal")
        (root / "normal").mkdir()
    elif case == "unreadable image":
        (root / "abnormal" / "scan_7.png").write_bytes(b"not a png")
    elif case == "not an image file":
        (root / "normal" / "notes.txt").write_text("hi")
    elif case == "both layouts":
        (root / "train" / "normal").mkdir(parents=True)
    elif case == "anomalies to train on":
        for sub in ("normal", "abnormal"):
            shutil.move(root / sub, root / ("train" if sub == "normal" else "test") / sub)
        shutil.copytree(root / "train" / "normal", root / "test" / "normal")
        (root / "train" / "abnormal").mkdir()
    elif case == "abnormal inside normal":
        (root / "normal" / "abnormal").mkdir()
        shutil.move(root / "abnormal" / some[6].name, root / "normal" / "abnormal")
    elif case == "too few normals":
        for f in list((root / "normal").iterdir())[1:]:
            f.unlink()
    return root


BAD = {
    "no folder": r"image_dir = '.*absent': folder not found",
    "no abnormal sub-folder": r"no sub-folder abnormal/; an image folder holds normal/ and "
                              r"abnormal/, or train/normal/, test/normal/ and test/abnormal/",
    "empty normal sub-folder": r"images/normal: no PNG or JPEG images",
    "unreadable image": r"scan_7\.png: cannot read it as an image \(UnidentifiedImageError",
    "not an image file": r"notes\.txt: not a PNG or JPEG file",
    "both layouts": r"holds both train/ and normal/; use one layout",
    "anomalies to train on": r"train/abnormal/ is not read; train/ holds normal images only",
    "too few normals": r"1 normal images are too few for the split",
    "abnormal inside normal": r"normal/abnormal/ sits inside normal/, whose images are all read "
                              r"as normal; move it out \(gandi score would label its images "
                              r"abnormal\)",
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_folder_is_one_line_exit_2_and_no_run_folder(tmp_path, capsys, digit_folder, case):
    raw = {**run_params.SETTINGS[42], "image_dir": str(_folder(tmp_path, digit_folder, case)),
           "epochs": None, "steps": 5, "batch_size": 2}
    setting_file = tmp_path / "mine.json"
    setting_file.write_text(json.dumps(raw))
    log_dir = tmp_path / "log"
    capsys.readouterr()
    assert main(["--setting-file", str(setting_file), "--log-dir", str(log_dir),
                 "--no-progress"]) == EXIT_BAD_INPUT
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gandi.playground: error: "), lines
    assert re.search(BAD[case], lines[0]), lines[0]
    assert not (log_dir / "results").exists() or not any((log_dir / "results").iterdir())


@pytest.mark.parametrize("raw,message", [
    ({"dataset": "folder"}, "image_dir = None is not allowed; expected a folder path"),
    ({"dataset": "folder", "image_dir": "x", "image_size": 6}, r"an integer in \[8, 1024\]"),
    ({"dataset": "folder", "image_dir": "x", "channels": 2}, "1 \\(grey\\) or 3 \\(colour\\)"),
    ({"dataset": "folder", "image_dir": "x", "normal_class": 1}, "None for an image folder"),
    ({"dataset": "folder", "image_dir": "x", "test_fraction": 0.95},
     "a number below 1 - validation_fraction"),
    ({"dataset": "mnist", "normal_class": 1, "image_size": 32}, '28 unless dataset is "folder"'),
    ({"dataset": "table", "data_file": "a.csv", "image_dir": "x"},
     'image_dir = .* expected None unless dataset is "folder"'),
])
def test_folder_settings_are_validated(raw, message):
    with pytest.raises(SettingError, match=message):
        validate(raw, label="f")


def test_auto_criterion_on_a_folder_is_for_images():
    assert folder_setting("x")["sweet_spot_criterion"] == "val_vs_corrupted"


def test_a_transparent_image_is_refused_an_opaque_alpha_read(tmp_path):
    """Grey or RGB reading drops an alpha channel without compositing: a digit drawn black on
    transparent read as blank. Refused with one line naming the file; an RGBA image whose
    alpha is opaque everywhere is read as its RGB."""
    from gandi.data.errors import DataError
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[8:20, 12:16, 3] = 255  # the digit is in the alpha channel only
    Image.fromarray(rgba).save(tmp_path / "ghost.png")
    with pytest.raises(DataError, match=r"ghost.png: has transparent pixels; gandi reads grey"):
        read_image(tmp_path / "ghost.png", 28, 1)
    rgba[..., 3], rgba[..., 0] = 255, 90
    Image.fromarray(rgba).save(tmp_path / "opaque.png")
    assert (read_image(tmp_path / "opaque.png", 28, 3)[..., 0] == 90).all()
    grey = Image.fromarray(np.full((28, 28), 7, np.uint8))
    grey.save(tmp_path / "keyed.png", transparency=7)  # a grey PNG's transparent colour
    with pytest.raises(DataError, match="has transparent pixels"):
        read_image(tmp_path / "keyed.png", 28, 1)
