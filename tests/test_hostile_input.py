"""Hostile input: property-based fuzzing of setting validation and of the IDX and NPZ readers.

The contract under test: bad input of any shape ends in the project's own error (SettingError
for settings, DataError for data files) whose message is one line; never another exception,
a hang or a huge allocation. Good input comes back unchanged (settings) or exactly (IDX and
NPZ files). Memory is measured with tracemalloc (NumPy reports its arrays to it too), never with
a clock: "no allocation of what a header declares" holds on any machine, a time bound does not.
"""
import contextlib
import copy
import functools
import gzip
import inspect
import io
import math
import os
import re
import struct
import tempfile
import tracemalloc
import zipfile
import zlib
from pathlib import Path

# Hypothesis caches (unicode tables, constants) go to a temporary folder, not into the repo.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(tempfile.gettempdir(), "gandi-hypothesis"))

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from gandi.data.distributions import ANOMALIES, DISTRIBUTIONS  # noqa: E402
from gandi.data.images import (DATASETS, MAX_IDX_BYTES, READ_CHUNK, DataError,  # noqa: E402
                               read_idx)
from gandi.data.npz_tables import MAX_NPZ_BYTES, MAX_NPZ_COLUMNS, npz_arrays  # noqa: E402
from gandi.data.tables import read_table  # noqa: E402
from gandi.detectors import DETECTORS  # noqa: E402
from gandi.detectors.losses import LOSSES  # noqa: E402
from gandi.nets import DISCRIMINATORS, GENERATORS  # noqa: E402
from gandi.detectors.optimizers import OPTIMIZERS  # noqa: E402
from gandi.settings.keys import DEFAULTS, KEYS, SWEET_SPOT_CRITERIA, defaults_for  # noqa: E402
from gandi.settings.validation import SettingError, validate  # noqa: E402

# no example database: nothing is written into the repository
FUZZ = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
LABEL = "fuzz"
NAN, INF = float("nan"), float("inf")
MiB = 2 ** 20


# ----- helpers --------------------------------------------------------------------------------

def idx_bytes(array=None, magic=None, dims=None, payload=None) -> bytes:
    """Raw (uncompressed) IDX bytes; the defaults describe `array`, any part may be overridden.

    A copy of the helper in test_images.py, so this file stands alone.
    """
    array = None if array is None else np.asarray(array, dtype=np.uint8)
    dims = array.shape if dims is None else dims
    magic = 0x00000800 + len(dims) if magic is None else magic
    payload = array.tobytes() if payload is None else payload
    return struct.pack(f">I{len(dims)}I", magic, *dims) + payload


def same(a, b) -> bool:
    """Equal values of equal types, NaN equal to NaN (a setting may legally hold one)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return set(a) == set(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def check_one_line(err: Exception) -> str:
    message = str(err)
    assert message, f"empty {type(err).__name__} message"
    assert "\n" not in message and "\r" not in message, f"multi-line message: {message!r}"
    return message


def check_suggestion(message: str, names) -> None:
    """A "did you mean" in the message suggests only some of `names`."""
    hint = re.search(r"; did you mean (.*)\?", message)
    if hint:
        suggested = re.findall(r"'([^']*)'", hint.group(1))
        assert suggested and set(suggested) <= set(names), message


def check_setting_error(err: SettingError, raw) -> None:
    """One line, names the setting, and blames a key the user set (or its cross-key partner);
    a suggestion names real keys (choices); an unknown key points to the list, not all keys."""
    message = check_one_line(err)
    assert message.startswith(f"setting {LABEL}: "), message
    unknown = [k for k in raw if k not in DEFAULTS]
    if unknown:
        assert "unknown key" in message and any(repr(k) in message for k in unknown), message
        assert message.endswith("(python -m gandi.playground --list --keys lists every key)")
        check_suggestion(message, DEFAULTS)
        return
    named = re.match(rf"setting {LABEL}: (\w+) = .* is not allowed; expected ", message)
    if named and KEYS[named.group(1)].choices:
        check_suggestion(message, KEYS[named.group(1)].choices)
    elif named and not named.group(1).endswith("_params"):  # those suggest keyword arguments
        assert "did you mean" not in message, message
    if named:
        # defaults are valid: the blame is on a key of raw, except for the two cross-key rules
        # (batch_size vs n_train; the anomaly is built from the distribution)
        assert named.group(1) in raw or named.group(1) in ("batch_size", "anomaly_params"), \
            message
    else:
        assert message.startswith(f"setting {LABEL}: an image dataset needs exactly one of "
                                   f"normal_class"), message
        assert raw.get("dataset", "distribution") != "distribution"


def check_validate(raw):
    """validate(raw) returns the complete setting or raises a proper SettingError; raw intact."""
    before = copy.deepcopy(raw)
    try:
        setting = validate(raw, LABEL)
    except SettingError as err:
        check_setting_error(err, raw)
        assert same(raw, before), "validate modified its input"
        return None
    assert same(raw, before), "validate modified its input"
    assert isinstance(setting, dict) and set(setting) == set(DEFAULTS)
    # a key not given takes the detector's published recipe where it has one, else its default
    defaults = defaults_for(setting["detector"])
    for key in DEFAULTS:
        expected = raw[key] if key in raw else defaults[key]
        if key == "sweet_spot_criterion" and expected == "auto":  # resolved by the data's kind
            assert setting[key] in SWEET_SPOT_CRITERIA and setting[key] != "auto", setting[key]
            continue
        if key == "autoencoder_score" and expected == "auto":  # its latent part on vectors
            images = setting["dataset"] not in ("distribution", "table")
            assert setting[key] == ("reconstruction" if images else "reconstruction+latent_knn")
            continue
        if key == "discriminator_knn_k" and expected == "auto":  # 20 for lof, 5 for the distance
            assert setting[key] == (20 if setting["discriminator_knn_score"] == "lof" else 5)
            continue
        if key == "checkpoint_ensemble" and expected == "auto":  # 5 on vectors, 1 on images
            images = setting["dataset"] not in ("distribution", "table")
            assert setting[key] == (1 if images else 5), (setting["dataset"], setting[key])
            continue
        assert same(setting[key], expected), (key, setting[key], expected)
        if isinstance(setting[key], (dict, list)):  # a copy: later edits of raw cannot leak in
            assert setting[key] is not raw.get(key) and setting[key] is not defaults[key]
    return setting


def check_data_error(err: DataError, path: Path) -> str:
    message = check_one_line(err)
    assert str(path) in message, f"message does not name the file: {message!r}"
    return message


def decode_independently(file_bytes: bytes):
    """(dims, payload) of a gzipped IDX file, parsed without the module under test."""
    data = gzip.GzipFile(fileobj=io.BytesIO(file_bytes)).read()
    magic = int.from_bytes(data[:4], "big")
    n_dims = magic & 0xFF
    dims = struct.unpack(f">{n_dims}I", data[4:4 + 4 * n_dims])
    return magic, dims, data[4 + 4 * n_dims:]


def check_read(path: Path, file_bytes: bytes):
    """read_idx(path) is the file's exact contents or a one-line DataError naming the file."""
    path.write_bytes(file_bytes)
    try:
        array = read_idx(path)
    except DataError as err:
        check_data_error(err, path)
        return None
    magic, dims, payload = decode_independently(file_bytes)
    assert magic in (0x00000801, 0x00000803)
    assert isinstance(array, np.ndarray) and array.dtype == np.uint8
    assert array.shape == dims and array.tobytes() == payload
    return array


def read_expecting_error(path: Path, file_bytes: bytes, match: str = "") -> str:
    path.write_bytes(file_bytes)
    with pytest.raises(DataError) as info:
        read_idx(path)
    message = check_data_error(info.value, path)
    assert re.search(match, message), message
    return message


@contextlib.contextmanager
def traced_peak():
    """Yields a list that holds, on exit, the most bytes Python and NumPy held at once inside
    the block beyond what they held when it began."""
    tracing = tracemalloc.is_tracing()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    peak = []
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1] - base)
        if not tracing:
            tracemalloc.stop()


@pytest.fixture(scope="module")
def work_dir():
    with tempfile.TemporaryDirectory(prefix="gandi-hostile-") as folder:
        yield Path(folder)


# ----- strategies: settings -------------------------------------------------------------------

def _params_of(builders, fixed=()):
    return sorted({p for b in builders for p in inspect.signature(b).parameters if p not in fixed})


PARAM_NAMES = {
    "distribution_params": _params_of(DISTRIBUTIONS.values()),
    "anomaly_params": _params_of(ANOMALIES.values(), ("base",)),
    "g_params": _params_of(GENERATORS.values(), ("latent_shape", "output_shape")),
    "d_params": _params_of(DISCRIMINATORS.values(), ("input_shape",)),
}
ALL_PARAM_NAMES = sorted({p for names in PARAM_NAMES.values() for p in names})
CHOICES = {
    "detector": sorted(DETECTORS),
    "dataset": ["distribution"] + sorted(DATASETS),
    "distribution": sorted(DISTRIBUTIONS),
    "anomaly": sorted(ANOMALIES),
    "g_arch": sorted(GENERATORS),
    "d_arch": sorted(DISCRIMINATORS),
    "loss": sorted(LOSSES),
    "optimizer": sorted(OPTIMIZERS),
    "sweet_spot_criterion": list(SWEET_SPOT_CRITERIA),
}
WORDS = sorted({w for ws in CHOICES.values() for w in ws} | set(DEFAULTS) | set(ALL_PARAM_NAMES)
               | {"", "mnist", "fashion_mnist", "relu", "leaky_relu", "tanh", "MNIST", "none"})
HUGE = [2 ** 31, 2 ** 32, 2 ** 63, 2 ** 64, 10 ** 400, -(2 ** 63), -(10 ** 400)]

texts = st.text(alphabet="ab_-. /0é\n\t\x00'\"{}", max_size=8)
ints = st.one_of(st.integers(-3, 3000), st.integers(), st.sampled_from(HUGE))
floats = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, NAN, INF, -INF, 5e-324, 1e308,
                                                 0.5, 0.999999, 1.0, 100.0]))
numbers = st.one_of(ints, floats)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts, st.sampled_from(WORDS))
dict_keys = st.one_of(st.sampled_from(ALL_PARAM_NAMES), texts, st.integers(-2, 2), st.none(),
                      st.booleans(), st.tuples(st.integers(0, 2)), st.floats(-2, 2))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(dict_keys, inner, max_size=4)),
    max_leaves=10)
# what builders take: numbers, vectors, matrices, stacks of matrices (covariances); small
# ordinary numbers nested to any depth find shape mismatches, extreme ones find the rest
vectors = st.lists(numbers, max_size=4)
matrices = st.lists(st.lists(numbers, max_size=3), max_size=3)
small = st.one_of(st.sampled_from([0, 1, -1, 2, 0.5, -0.0]), st.floats(-3, 3))
shaped = st.recursive(small, lambda inner: st.lists(inner, max_size=3), max_leaves=9)
param_values = st.one_of(shaped, shaped, numbers, vectors, matrices,
                         st.lists(matrices, max_size=3), values)
unknown_keys = st.one_of(texts.filter(lambda k: k not in DEFAULTS), st.integers(), st.none(),
                         st.booleans(), st.floats(), st.tuples(st.integers(0, 3)),
                         st.sampled_from(["Steps", "steps ", "lr", "seed", "normal"]))


def params(key, benign=False):
    """Builder keyword arguments; `benign`: real names and small ordinary values only."""
    if benign:
        return st.dictionaries(st.sampled_from(PARAM_NAMES[key]), shaped, max_size=2)
    names = st.one_of(st.sampled_from(PARAM_NAMES[key]), st.sampled_from(PARAM_NAMES[key]),
                      dict_keys)
    return st.dictionaries(names, param_values, max_size=3)


def plausible(key, benign=False):
    """Values a user might write for `key`: valid ones and near misses."""
    default = DEFAULTS[key]
    if key in CHOICES:
        return st.one_of(st.sampled_from(CHOICES[key]), st.sampled_from(WORDS))
    if key in PARAM_NAMES:
        return params(key, benign)
    if isinstance(default, bool) or key == "jit_compile":
        return st.one_of(st.booleans(), st.sampled_from([0, 1, "true", "auto", None]))
    if isinstance(default, int):
        return st.one_of(st.integers(-2, 12), st.integers(1, 20000), st.sampled_from(HUGE),
                         st.sampled_from([1.0, 64.0, True, "64"]))
    if isinstance(default, float):
        return st.one_of(st.floats(-1, 101), floats, st.integers(-1, 101))
    if key in ("normal_class", "anomaly_class"):
        return st.one_of(st.none(), st.integers(-2, 12), st.sampled_from([1.0, True, "3"]))
    if key in ("train_limit", "test_limit", "epochs"):
        return st.one_of(st.none(), st.integers(-2, 5000), st.sampled_from([2.0, False]))
    return st.one_of(st.none(), texts, st.sampled_from(["/nonexistent", "~/data", ""]))


@st.composite
def raw_settings(draw, broad=True, max_keys=6):
    keys = draw(st.lists(st.sampled_from(sorted(DEFAULTS)), max_size=max_keys, unique=True))
    raw = {}
    for key in keys:
        raw[key] = draw(st.one_of(plausible(key), values) if broad else plausible(key, True))
    if broad and draw(st.integers(0, 3)) == 0:
        raw.update(draw(st.dictionaries(unknown_keys, values, min_size=1, max_size=2)))
    return raw


@st.composite
def data_settings(draw, benign=False):
    """Only the SciPy-backed data keys: every example reaches the distribution builders."""
    raw = {"distribution": draw(st.sampled_from(CHOICES["distribution"])),
           "anomaly": draw(st.sampled_from(CHOICES["anomaly"]))}
    for key in ("distribution_params", "anomaly_params"):
        if draw(st.booleans()):
            raw[key] = draw(params(key, benign))
    return raw


# mostly valid settings, for the properties of what validate returns
valid_leaning = st.one_of(raw_settings(broad=False, max_keys=3), data_settings(benign=True))


# ----- 1. settings validation fuzz ------------------------------------------------------------

@settings(max_examples=400, **FUZZ)
@given(raw_settings())
def test_validate_returns_a_complete_setting_or_a_one_line_setting_error(raw):
    check_validate(raw)


@settings(max_examples=300, **FUZZ)
@given(data_settings())
def test_distribution_and_anomaly_params_fail_only_with_setting_error(raw):
    check_validate(raw)


@settings(max_examples=60, **FUZZ)
@given(st.one_of(st.lists(values, max_size=3), texts, ints, floats, st.none(), st.booleans(),
                 st.tuples(st.tuples(st.sampled_from(sorted(DEFAULTS)), values)),
                 st.frozensets(st.sampled_from(sorted(DEFAULTS)))))
def test_a_raw_that_is_not_a_dict_is_a_setting_error(raw):
    with pytest.raises(SettingError) as info:
        validate(raw, LABEL)
    message = check_one_line(info.value)
    assert message == (f"setting {LABEL}: must be a dict of keys to values, "
                       f"got {type(raw).__name__}")


@settings(max_examples=300, **FUZZ)
@given(valid_leaning)
def test_a_returned_setting_revalidates_to_itself(raw):
    try:
        validate(raw, LABEL)
    except Exception:  # rejections, and the escapes found, are the business of the tests above
        return
    setting = check_validate(raw)
    again = validate(setting, LABEL)
    assert again is not setting and same(again, setting)
    # and the result owns its containers: editing the first result leaves the second intact
    setting["distribution_params"]["edited"] = 1
    assert "edited" not in again["distribution_params"]
    assert "edited" not in DEFAULTS["distribution_params"]


def test_idempotence_fuzz_mostly_sees_valid_settings():
    """The revalidation property above is not vacuous: its strategy yields valid settings."""
    valid = []

    @settings(max_examples=150, **FUZZ)
    @given(valid_leaning)
    def count(raw):
        try:
            validate(raw, LABEL)
            valid.append(True)
        except Exception:
            valid.append(False)

    count()
    assert sum(valid) >= 0.1 * len(valid), f"{sum(valid)} of {len(valid)} valid"


# Minimal inputs the fuzz found escaping as other exceptions (fixed; kept as regressions).
@pytest.mark.parametrize("raw", [
    pytest.param({1: 0, "a": 0}, id="unknown-keys-of-mixed-types"),
    pytest.param({"d_params": {0: 0, "a": 0}}, id="builder-params-keys-of-mixed-types"),
    pytest.param({"distribution_params": {"loc": 10 ** 400}}, id="huge-int-loc"),
    pytest.param({"anomaly_params": {"shift": 10 ** 400}}, id="huge-int-shift"),
    pytest.param({"anomaly": "wider", "anomaly_params": {"factor": 10 ** 400}},
                 id="huge-int-factor"),
    pytest.param({"anomaly": "uniform_box", "anomaly_params": {"margin": 10 ** 400}},
                 id="huge-int-margin"),
    pytest.param({"distribution": "mixture", "distribution_params": {"locs": [0, 0, 0]},
                  "anomaly": "uniform_box"}, id="mixture-more-locs-than-scales"),
    pytest.param({"distribution": "mixture2d", "distribution_params": {"weights": 1},
                  "anomaly": "wider"}, id="mixture2d-scalar-weights"),
    pytest.param({"distribution_params": {"loc": [None]}, "anomaly": "uniform_box"},
                 id="normal-loc-list-of-none"),
    # accepted by SciPy, but nothing can be sampled
    pytest.param({"distribution_params": {"scale": -1}}, id="negative-scale"),
    pytest.param({"distribution": "uniform", "distribution_params": {"low": 1, "high": 0}},
                 id="uniform-low-above-high"),
    pytest.param({"distribution": "mixture", "distribution_params": {"weights": [0, 0]}},
                 id="mixture-zero-weights"),
])
def test_found_inputs_give_a_setting_error(raw):
    with pytest.raises(SettingError) as info:
        validate(raw, LABEL)
    check_setting_error(info.value, raw)


# ----- 2. IDX reader fuzz ---------------------------------------------------------------------

@st.composite
def idx_like(draw):
    """Uncompressed bytes from 'noise' to 'almost a valid IDX file'."""
    kind = draw(st.sampled_from(["noise", "magic", "header"]))
    if kind == "noise":
        return draw(st.binary(max_size=64))
    if kind == "magic":
        magic = draw(st.sampled_from([0x801, 0x803, 0x802, 0x80D, 0x901, 0x10803]))
        return struct.pack(">I", magic) + draw(st.binary(max_size=64))
    dims = draw(st.lists(st.integers(0, 4), min_size=1, max_size=4))
    magic = draw(st.sampled_from([0x800 + len(dims), 0x801, 0x803]))
    size = math.prod(dims)
    payload = draw(st.binary(min_size=max(0, size - 2), max_size=size + 2))
    return struct.pack(f">I{len(dims)}I", magic, *dims) + payload


@st.composite
def idx_files(draw):
    """File bytes: idx_like raw, gzipped, gzipped and damaged, or behind a gzip-looking header."""
    raw = draw(idx_like())
    wrap = draw(st.sampled_from(["raw", "gzip", "flip", "junk", "gzip-magic"]))
    if wrap == "raw":
        return raw
    gz = gzip.compress(raw, compresslevel=draw(st.integers(0, 9)), mtime=0)
    if wrap == "gzip":
        return gz
    if wrap == "flip":
        i = draw(st.integers(0, len(gz) - 1))
        return gz[:i] + bytes([gz[i] ^ draw(st.integers(1, 255))]) + gz[i + 1:]
    if wrap == "junk":
        return gz + draw(st.one_of(st.binary(min_size=1, max_size=16),
                                   st.just(bytes(8)), st.just(gz)))
    return b"\x1f\x8b\x08" + draw(st.binary(max_size=40))


@settings(max_examples=400, **FUZZ)
@given(idx_files())
def test_read_idx_on_arbitrary_bytes(work_dir, file_bytes):
    check_read(work_dir / "fuzz.gz", file_bytes)


@settings(max_examples=150, **FUZZ)
@given(st.binary(max_size=300))
def test_read_idx_on_random_bytes_plain_and_gzipped(work_dir, noise):
    assert check_read(work_dir / "noise-plain.gz", noise) is None or noise[:2] == b"\x1f\x8b"
    check_read(work_dir / "noise.gz", gzip.compress(noise, mtime=0))


idx_arrays = hnp.arrays(np.uint8, st.one_of(
    hnp.array_shapes(min_dims=3, max_dims=3, min_side=0, max_side=6),
    hnp.array_shapes(min_dims=1, max_dims=1, min_side=0, max_side=60)))


@settings(max_examples=150, **FUZZ)
@given(idx_arrays, st.integers(0, 9))
def test_valid_files_round_trip_exactly(work_dir, array, level):
    path = work_dir / "valid.gz"
    path.write_bytes(gzip.compress(idx_bytes(array), compresslevel=level))
    back = read_idx(path)
    assert back.dtype == np.uint8 and back.shape == array.shape
    assert np.array_equal(back, array)


@settings(max_examples=150, **FUZZ)
@given(idx_arrays, st.data())
def test_a_truncated_gzip_file_is_a_data_error(work_dir, array, data):
    gz = gzip.compress(idx_bytes(array), mtime=0)
    cut = data.draw(st.integers(0, len(gz) - 1), label="cut")
    read_expecting_error(work_dir / "cut.gz", gz[:cut],
                         "truncated or corrupt|no IDX header" if cut else "no IDX header")


@settings(max_examples=150, **FUZZ)
@given(idx_arrays, st.data())
def test_a_truncated_or_extended_payload_is_a_data_error(work_dir, array, data):
    raw = idx_bytes(array)
    cut = data.draw(st.integers(0, len(raw) - 1), label="cut")
    n_header = 4 + 4 * array.ndim
    expected = ("no IDX header" if cut < 4 else "header declares" if cut < n_header
                else rf"payload has {cut - n_header} bytes .* \(file truncated\)")
    read_expecting_error(work_dir / "short.gz", gzip.compress(raw[:cut]), expected)
    extra = data.draw(st.binary(min_size=1, max_size=8), label="extra")
    read_expecting_error(work_dir / "long.gz", gzip.compress(raw + extra), "trailing bytes")


dims_values = st.one_of(st.sampled_from([0, 1, 28, 2 ** 16, MAX_IDX_BYTES, MAX_IDX_BYTES + 1,
                                         2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]),
                        st.integers(0, 2 ** 32 - 1))
# The reader asks for one READ_CHUNK at a time: memory grows with the bytes a file holds (at most
# 100 here), whatever its header declares (up to 2**96).
SMALL_READ = READ_CHUNK + MiB


@settings(max_examples=200, **FUZZ)
@given(st.one_of(st.tuples(dims_values), st.tuples(dims_values, dims_values, dims_values)),
       st.one_of(st.just(b""), st.binary(max_size=100)))
@example(dims=(0, 2 ** 32 - 1, 2 ** 32 - 1), payload=b"")  # found by this fuzz (fixed)
def test_absurd_header_dims_fail_fast(work_dir, dims, payload):
    path = work_dir / "absurd.gz"
    path.write_bytes(gzip.compress(idx_bytes(dims=dims, payload=payload), mtime=0))
    with traced_peak() as peak:
        try:
            array, error = read_idx(path), None
        except DataError as err:
            array, error = None, err
    if error is not None:
        message = check_data_error(error, path)
        declared = math.prod(dims)
        # a header is corrupt when its size or any one dim exceeds the limit (a zero dim
        # would otherwise hide absurd others)
        corrupt = declared > MAX_IDX_BYTES or max(dims) > MAX_IDX_BYTES
        assert declared != len(payload) or corrupt
        assert ("corrupt header" in message) == corrupt, message
        if corrupt:
            assert f"= {declared} bytes" in message and f"cap of {MAX_IDX_BYTES} bytes" in message
    else:
        assert array.shape == dims and array.tobytes() == payload
    assert peak[0] < SMALL_READ, f"peak {peak[0]} bytes"


def _zeros_gz(n_bytes: int) -> bytes:
    """gzip of n zero bytes, built in pieces (the test itself stays small too)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0) as f:
        chunk = bytes(MiB)
        for _ in range(n_bytes // MiB):
            f.write(chunk)
    return out.getvalue()


@pytest.mark.parametrize("dims,payload,match", [
    ((2 ** 31, 28, 28), bytes(100), "corrupt header"),
    ((2 ** 32 - 1,) * 3, bytes(100), "corrupt header"),
    ((MAX_IDX_BYTES,), bytes(100), "payload has 100 bytes"),        # labels, at the limit
    ((MAX_IDX_BYTES // 784, 28, 28), bytes(100), "payload has 100 bytes"),
    ((0, 28, 28), bytes(100), "trailing bytes"),
    ((0, 0, 0), bytes(1), "trailing bytes"),
    # zero images of 2**32-1 x 2**32-1: 0 bytes declared, but the shape overflows 64 bits
    ((0, 2 ** 32 - 1, 2 ** 32 - 1), b"", ""),
    ((1,), None, "trailing bytes"),                                  # 1 label, then 96 MiB
])
def test_absurd_headers_fail_fast_and_small(work_dir, dims, payload, match):
    raw = idx_bytes(dims=dims, payload=payload or b"")
    file_bytes = gzip.compress(raw, mtime=0) if payload is not None else _gz_concat(raw)
    path = work_dir / "absurd-explicit.gz"
    path.write_bytes(file_bytes)
    with traced_peak() as peak, pytest.raises(DataError) as info:
        read_idx(path)
    message = check_data_error(info.value, path)
    assert re.search(match, message), message
    assert peak[0] < SMALL_READ, f"peak {peak[0]} bytes"


def _gz_concat(raw: bytes) -> bytes:
    """A header and payload, then 96 MiB of zeros: two gzip members, one file (~100 kB)."""
    return gzip.compress(raw, mtime=0) + _zeros_gz(96 * MiB)


# ----- 3. decompression bombs: ~2 MB files that inflate to 2 GiB ------------------------------

ZERO_BLOCK = 16 * MiB
BOMB_BYTES = 2 ** 31


@functools.lru_cache(maxsize=1)
def _deflated_zero_block() -> bytes:
    """16 MiB of zeros as raw deflate that stands alone: no reference to earlier data, ends on a
    byte boundary (Z_FULL_FLUSH), not final. k copies in a row inflate to k x 16 MiB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(bytes(ZERO_BLOCK)) + compressor.flush(zlib.Z_FULL_FLUSH)


def deflated_bomb(head: bytes, n_zeros: int) -> tuple[bytes, int, int]:
    """(raw deflate, CRC-32, inflated size) of `head` then n_zeros zero bytes (a multiple of
    16 MiB): about 1 kB per MiB, built without ever holding the inflated bytes."""
    n_blocks, rest = divmod(n_zeros, ZERO_BLOCK)
    assert rest == 0
    first, last = zlib.compressobj(9, zlib.DEFLATED, -15), zlib.compressobj(9, zlib.DEFLATED, -15)
    crc, block = zlib.crc32(head), bytes(ZERO_BLOCK)
    for _ in range(n_blocks):
        crc = zlib.crc32(block, crc)
    deflate = (first.compress(head) + first.flush(zlib.Z_FULL_FLUSH)
               + _deflated_zero_block() * n_blocks + last.flush())  # last: an empty final block
    return deflate, crc, len(head) + n_zeros


def gzip_bomb(head: bytes, n_zeros: int) -> bytes:
    """A gzip file of one member (RFC 1952): `head`, then n_zeros zero bytes."""
    deflate, crc, size = deflated_bomb(head, n_zeros)
    return (b"\x1f\x8b\x08\x00" + bytes(4) + b"\x02\xff" + deflate
            + struct.pack("<II", crc, size % 2 ** 32))


def zip_bomb(name: str, head: bytes, n_zeros: int) -> bytes:
    """A zip archive (PKWARE APPNOTE 4.3) of one deflated member `name`: `head`, then n_zeros
    zero bytes; under 4 GiB, so without zip64 records."""
    deflate, crc, size = deflated_bomb(head, n_zeros)
    assert size < 2 ** 32
    encoded = name.encode()
    # version needed 2.0, no flags, method 8 (deflate), DOS time 0:00 on 1980-01-01
    entry = struct.pack("<HHHHHIIIH", 20, 0, 8, 0, 0x21, crc, len(deflate), size, len(encoded))
    local = b"PK\x03\x04" + entry + struct.pack("<H", 0) + encoded
    central = (b"PK\x01\x02" + struct.pack("<H", 20) + entry
               + struct.pack("<HHHHII", 0, 0, 0, 0, 0, 0) + encoded)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(central),
                                      len(local) + len(deflate), 0)
    return local + deflate + central + end


def npy_header(shape, dtype, version=(1, 0), fortran_order=False) -> bytes:
    """The .npy header NumPy writes before an array of `shape` and `dtype`, for any shape."""
    out = io.BytesIO()
    write = (np.lib.format.write_array_header_1_0 if version == (1, 0)
             else np.lib.format.write_array_header_2_0)
    write(out, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                "fortran_order": fortran_order, "shape": tuple(shape)})
    return out.getvalue()


def test_the_bombs_are_valid_files():
    """What the builders write is what they claim (on 32 MiB: 2 GiB only repeats the block)."""
    head = b"header"
    assert gzip.decompress(gzip_bomb(head, 2 * ZERO_BLOCK)) == head + bytes(2 * ZERO_BLOCK)
    with zipfile.ZipFile(io.BytesIO(zip_bomb("x.npy", head, 2 * ZERO_BLOCK))) as archive:
        assert archive.testzip() is None  # every CRC checked
        assert archive.read("x.npy") == head + bytes(2 * ZERO_BLOCK)


def test_an_idx_decompression_bomb_is_one_line_and_never_allocated(work_dir):
    """~2 MB of gzip inflating to a valid IDX header that declares 2048 images of 1024 x 1024
    (2 GiB) and exactly those 2 GiB of zeros: refused from its header, with one line naming the
    file and the declared size; the reader never holds as much as the file's own size."""
    dims = (2048, 1024, 1024)
    path = work_dir / "bomb-idx3-ubyte.gz"
    path.write_bytes(gzip_bomb(struct.pack(">4I", 0x00000803, *dims), BOMB_BYTES))
    assert path.stat().st_size < 3 * MiB
    with traced_peak() as peak, pytest.raises(DataError) as info:
        read_idx(path)
    assert check_data_error(info.value, path) == (
        f"{path}: header declares dims {dims} = {BOMB_BYTES} bytes, over the cap of "
        f"{MAX_IDX_BYTES} bytes (5.7x the largest MNIST-like file; corrupt header)")
    assert peak[0] < path.stat().st_size, f"peak {peak[0]} bytes"


def test_an_npz_decompression_bomb_is_one_line_and_never_allocated(work_dir):
    """~2 MB of zip whose member x.npy inflates to a header declaring 2**28 float64 values and
    exactly their 2 GiB of zeros (numpy.load would allocate them all before reading): refused
    from the header with one line naming the file and the declared size, in little memory."""
    path = work_dir / "bomb.npz"
    path.write_bytes(zip_bomb("x.npy", npy_header((2 ** 28,), "<f8"), BOMB_BYTES))
    assert path.stat().st_size < 3 * MiB
    with traced_peak() as peak, pytest.raises(DataError) as info:
        read_table("data_file", path)
    message = (
        f"{path}: member 'x.npy' declares shape (268435456,) of float64 = {BOMB_BYTES} bytes, "
        f"over the cap of {MAX_NPZ_BYTES} bytes (corrupt header, or a table to write as CSV or "
        f"Parquet)")
    assert check_data_error(info.value, path) == message
    assert peak[0] < path.stat().st_size, f"peak {peak[0]} bytes"
    # gandi score streams stored NPZ members memory-mapped, but reads a compressed one whole
    with traced_peak() as peak, pytest.raises(DataError) as info:
        npz_arrays(path)
    assert check_data_error(info.value, path) == message
    assert peak[0] < path.stat().st_size, f"peak {peak[0]} bytes"


# ----- 4. NPZ reader fuzz: what the .npy headers declare ---------------------------------------

READABLE_DTYPES = ["|u1", "<i2", ">i4", "<u8", "<f2", "<f4", ">f8", "|b1", "<c8", "|S3", "<U2",
                   "<M8[s]"]
NPZ_DTYPES = st.sampled_from(READABLE_DTYPES * 4 + ["|O", "|V0", "|S0"])  # last: always refused
npz_dims = st.one_of(st.integers(0, 4), st.sampled_from(
    [MAX_NPZ_COLUMNS, MAX_NPZ_COLUMNS + 1, 2 ** 20, MAX_NPZ_BYTES // 8, MAX_NPZ_BYTES,
     MAX_NPZ_BYTES + 1, 2 ** 31, 2 ** 63 - 1, 2 ** 64]))
SMALL_ARRAY = 4096  # at most this many values or bytes: the fuzz writes payloads this small


@st.composite
def npy_members(draw, rows: int):
    """(.npy bytes, the array they hold if header and payload agree, it is small and its dtype
    and dims are readable, else None; the bytes the header declares if they are what refuses
    it (over the cap, its dtype readable), else None)."""
    dtype = np.dtype(draw(NPZ_DTYPES))
    # a column or block of columns of the table's rows, or any shape at all
    shape = draw(st.one_of(st.tuples(st.just(rows)), st.tuples(st.just(rows), st.integers(0, 3)),
                           st.lists(npz_dims, max_size=3).map(tuple)))
    fortran = draw(st.booleans())
    head = npy_header(shape, dtype, draw(st.sampled_from([(1, 0), (2, 0)])), fortran)
    n_values = math.prod(shape)
    declared = n_values * dtype.itemsize
    order = "F" if fortran else "C"
    # refused whatever the payload: objects (pickles), 0-byte values, absurd dims
    readable = not dtype.hasobject and dtype.itemsize and max(shape, default=0) <= MAX_NPZ_BYTES
    if readable and n_values <= SMALL_ARRAY and declared <= SMALL_ARRAY \
            and draw(st.integers(0, 3)):
        array = np.zeros(shape, dtype) if n_values == 0 else draw(hnp.arrays(dtype, shape))
        # hypothesis's text may hold lone surrogates (U+D800-DFFF), which are no characters:
        # such a file is refused as corrupt (found by this fuzz)
        readable_text = dtype.kind != "U" or is_unicode(array)
        return head + array.tobytes(order=order), array if readable_text else None, None
    # a payload of the wrong size, or a header declaring far more than the payload holds
    length = draw(st.integers(max(0, declared - 3), declared + 3)
                  if declared <= SMALL_ARRAY else st.integers(0, 64))
    payload = draw(st.binary(min_size=length, max_size=length))
    array = (np.frombuffer(payload, dtype).reshape(shape, order=order)
             if readable and length == declared else None)
    if array is not None and dtype.kind == "U" and not is_unicode(array):
        array = None  # random bytes are often no characters: refused (a corrupt file)
    over_cap = not dtype.hasobject and dtype.itemsize and declared > MAX_NPZ_BYTES
    return head + payload, array, declared if over_cap else None


def is_unicode(text: np.ndarray) -> bool:
    """Whether NumPy text (UTF-32) holds characters only: Python's codec refuses the numbers
    above U+10FFFF and the surrogates, which are none."""
    try:
        np.ascontiguousarray(text, text.dtype.newbyteorder("<")).tobytes().decode("utf-32-le")
    except UnicodeDecodeError:
        return False
    return True


def expected_columns(members) -> dict | None:
    """The columns read_table must return for these members, or None if it must refuse them:
    1-D arrays are columns, 2-D arrays blocks of columns, all of one length > 0."""
    columns = {}
    for name, (_, array, _) in members.items():
        if array is None or array.ndim not in (1, 2):
            return None
        if array.ndim == 1:
            columns[name] = array
        elif len(array) == 0 and array.shape[1] > 0:
            # columns of no rows: refused. Not built one by one: a header may declare 0 rows of
            # 10**8 columns, which this loop once turned into 10**8 views (a 12 GB worker)
            return None
        else:
            columns.update({f"{name}_{j}": array[:, j] for j in range(array.shape[1])})
    lengths = {len(values) for values in columns.values()}
    return columns if len(lengths) == 1 and 0 not in lengths else None


@settings(max_examples=300, **FUZZ)
@given(st.integers(1, 5).flatmap(lambda rows: st.dictionaries(
    st.sampled_from(["a", "b", "c"]), npy_members(rows), min_size=1, max_size=3)),
       st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
@example(members={"a": (npy_header((2 ** 28,), "<f8") + bytes(10), None, 2 ** 31)},
         compression=zipfile.ZIP_DEFLATED)  # 2 GiB declared, 10 bytes held
@example(members={"a": (npy_header((1, 10 ** 8), "|u1"), None, None)},  # 10**8 columns
         compression=zipfile.ZIP_STORED)
@example(members={"a": (npy_header((2,), "<U1") + struct.pack("<2I", 0x41, 0x1000000), None,
                        None)},  # found by this fuzz (fixed): pandas took it, failed on use
         compression=zipfile.ZIP_STORED)
@example(members={"a": (npy_header((1,), "<U1") + struct.pack("<I", 0xD800), None, None)},
         compression=zipfile.ZIP_STORED)  # a lone surrogate: refused as not Unicode
def test_read_table_on_npz_headers_of_any_declared_size(work_dir, members, compression):
    """An NPZ file loads exactly when its headers agree with its payloads and the caps, or is a
    one-line DataError naming the file (with the declared size when that is over the cap); it
    never allocates what a header declares."""
    path = work_dir / "fuzz.npz"
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, (data, _, _) in members.items():
            archive.writestr(f"{name}.npy", data)
    with traced_peak() as peak:
        try:
            frame, error = read_table("data_file", path), None
        except DataError as err:
            frame, error = None, err
    expected = expected_columns(members)
    if expected is None:
        assert error is not None, f"loaded columns {list(frame.columns)}"
        message = check_data_error(error, path)
        _, _, over_cap = next(iter(members.values()))  # members are checked in order
        if over_cap is not None:
            assert f"= {over_cap} bytes, over the cap of {MAX_NPZ_BYTES} bytes" in message
    else:
        assert error is None, check_one_line(error)
        assert list(frame.columns) == list(expected)
        for name, values in expected.items():
            back = np.asarray(frame[name].to_numpy(), dtype=values.dtype)
            assert back.tobytes() == np.ascontiguousarray(values).tobytes(), name
    # payloads here hold at most SMALL_ARRAY bytes, but up to MAX_NPZ_COLUMNS columns of no
    # rows cost pandas ~400 bytes each; what headers declare goes up to 2**192 bytes
    assert peak[0] < 16 * MiB, f"peak {peak[0]} bytes"


# ----- 5. every failure mode: exactly one line ------------------------------------------------

def _gz(raw: bytes) -> bytes:
    return gzip.compress(raw, mtime=0)


def _flip(data: bytes, i: int) -> bytes:
    return data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]


FILE_FAILURES = [
    ("empty-file", b"", r"no IDX header \(file holds 0 bytes\)"),
    ("empty-gzip", _gz(b""), r"no IDX header \(file holds 0 bytes\)"),
    ("short-magic", _gz(b"\x00\x00\x08"), r"no IDX header \(file holds 3 bytes\)"),
    ("wrong-magic", _gz(idx_bytes(np.arange(5), magic=0x00000D01)), "magic number 0x00000d01"),
    ("short-header", _gz(struct.pack(">II", 0x00000803, 5)), "header declares 3 dims but ends"),
    ("absurd-dims", _gz(idx_bytes(dims=(2 ** 31, 28, 28), payload=b"")), "corrupt header"),
    ("short-payload", _gz(idx_bytes(dims=(5,), payload=bytes(4))), r"\(file truncated\)"),
    ("trailing", _gz(idx_bytes(dims=(5,), payload=bytes(6))), "trailing bytes"),
    ("not-gzip", idx_bytes(np.arange(5)), "not a readable gzip file"),
    ("truncated-gzip", _gz(idx_bytes(np.arange(50)))[:-12], "truncated or corrupt"),
    ("bad-crc", _flip(_gz(idx_bytes(np.arange(50))), -6), "not a readable gzip file"),
    ("bad-deflate", _flip(_gz(idx_bytes(np.arange(50))), 12), "not a readable gzip file"),
    ("gzip-then-junk", _gz(idx_bytes(np.arange(5))) + b"junk", "not a readable gzip file"),
]


@pytest.mark.parametrize("name,file_bytes,match", FILE_FAILURES, ids=[f[0] for f in FILE_FAILURES])
def test_every_idx_failure_is_one_line_naming_the_file(work_dir, name, file_bytes, match):
    message = read_expecting_error(work_dir / f"{name}.gz", file_bytes, match)
    assert message.startswith(str(work_dir / f"{name}.gz") + ": ")


def test_missing_and_unreadable_files_are_one_line(work_dir):
    missing = work_dir / "missing.gz"
    with pytest.raises(DataError) as info:
        read_idx(missing)
    assert check_data_error(info.value, missing) == f"{missing}: file not found"
    with pytest.raises(DataError) as info:  # a folder is not a file
        read_idx(work_dir)
    assert check_data_error(info.value, work_dir).endswith("file not found")
    unreadable = Path("/proc/self/mem")  # a regular file whose read fails with EIO
    if not unreadable.is_file():
        pytest.skip("no /proc/self/mem on this system")
    with pytest.raises(DataError) as info:
        read_idx(unreadable)
    assert re.search("cannot read|not a readable gzip", check_data_error(info.value, unreadable))


SETTING_FAILURES = [
    ("not-a-dict", [("steps", 10)], "must be a dict of keys to values, got list"),
    ("unknown-key", {"stepz": 1}, r"unknown key 'stepz'; did you mean 'steps'\? \(python -m "
     r"gandi.playground --list --keys lists every key\)$"),
    ("far-off-key", {"zz": 1}, r"unknown key 'zz' \(python -m gandi.playground --list --keys"),
    ("misspelt-name", {"detector": "egbda"}, "detector = 'egbda' is not allowed; expected one of "
     "aae, .*; did you mean 'egbad'\\?$"),
    ("far-off-name", {"anomaly": "zz"}, r"anomaly = 'zz' is not allowed; expected one of [^;]*$"),
    ("bad-value", {"steps": float("nan")}, "steps = nan is not allowed; expected an integer > 0"),
    ("newline-in-value", {"name": 7, "stepz\n": "a\nb"}, r"unknown key 'stepz\\n'"),
    ("newline-in-text", {"loss": "x\ny"}, r"loss = 'x\\ny' is not allowed"),
    ("image-no-class", {"dataset": "mnist"}, "needs exactly one of normal_class"),
    ("image-both-classes", {"dataset": "mnist", "normal_class": 1, "anomaly_class": 2},
     "got normal_class, anomaly_class"),
    ("class-outside", {"dataset": "fashion_mnist", "normal_class": 10},
     "normal_class = 10 is not allowed; expected a class of fashion_mnist: 0 "),
    ("batch-too-big", {"n_train": 10}, "batch_size = 64 is not allowed; expected at most n_train"),
    ("builder-param", {"g_params": {"width": 1}}, "keyword arguments of mlp_small"),
    ("distribution-build", {"distribution": "mixture", "distribution_params": {"locs": 5}},
     r"distribution_params = \{'locs': 5\} is not allowed; expected parameters of 'mixture'"),
    ("anomaly-build", {"anomaly": "wider", "anomaly_params": {"factor": "x"}},
     "anomaly_params = .* expected parameters of anomaly 'wider'"),
    ("scipy-error-text", {"distribution": "mixture2d",
                          "distribution_params": {"covs": [[[1, 2], [3, 4]]] * 2}},
     "positive semidefinite"),
]


@pytest.mark.parametrize("name,raw,match", SETTING_FAILURES, ids=[f[0] for f in SETTING_FAILURES])
def test_every_setting_failure_is_one_line(name, raw, match):
    with pytest.raises(SettingError) as info:
        validate(raw, LABEL)
    message = check_one_line(info.value)
    assert message.startswith(f"setting {LABEL}: ") and re.search(match, message), message
    if isinstance(raw, dict):
        check_setting_error(info.value, raw)
