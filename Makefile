# Quick start: `make run` (train the default setting) and `make test` (the test suite).
# Both build everything from nothing: the virtualenv, the Python packages and, where apt is
# available, the Debian data package that later image settings read.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The suite runs in two pytest-xdist workers, a test file per worker at a time (a file's module
# fixtures, e.g. one trained GAN, are built once): 1.4x faster than one on 2 cores. Files go out
# heaviest first (tests/conftest.py), not by their number of tests.
TEST_WORKERS ?= 2

.PHONY: run test install install-gpu system-deps bench readme clean

# The example table of settings 40-41 (docs/your_data.md): scikit-learn's
# breast-cancer data as a CSV with a text label column.
data/breast_cancer.csv: $(STAMP)
	mkdir -p data
	$(PY) -c "from sklearn.datasets import load_breast_cancer; \
	t = load_breast_cancer(as_frame=True).frame; \
	t['target'] = t['target'].map({0: 'malignant', 1: 'benign'}); \
	t.to_csv('$@', index=False)"

# The example image folder of setting 42 (docs/your_data.md): MNIST training
# digits as PNG files, 1,000 ones in normal/ and the first 300 other digits in abnormal/. MNIST
# comes from GANDI_DATA_DIR or the Keras download (see docs/your_data.md, "Data").
data/digits: $(STAMP)
	$(PY) -c "import pathlib, numpy as np, PIL.Image; \
	from gandi.data.images import load_dataset; \
	x, y = load_dataset('mnist')[:2]; \
	parts = {'normal': np.flatnonzero(y == 1)[:1000], 'abnormal': np.flatnonzero(y != 1)[:300]}; \
	[pathlib.Path('$@', part).mkdir(parents=True, exist_ok=True) for part in parts]; \
	[PIL.Image.fromarray(x[i]).save(f'$@/{part}/{i:05d}_digit{y[i]}.png') \
	 for part, picks in parts.items() for i in picks]"

run: $(STAMP)
	$(PY) -m gandi.playground

test: $(STAMP) system-deps
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

install: $(STAMP)

# GPU users: the same install, then TensorFlow's full build with its CUDA libraries in place of
# the CPU build (a few GB more; `make run`/`make test` keep the small CPU build). pip will note
# that gandi asked for tensorflow-cpu: both provide the same `tensorflow` module.
install-gpu: $(STAMP)
	$(PY) -m pip uninstall --quiet -y tensorflow-cpu
	$(PY) -m pip install --quiet 'tensorflow[and-cuda]>=2.16,<2.22'
	$(PY) -c "import tensorflow as tf; print('GPUs:', tf.config.list_physical_devices('GPU'))"

# The generated parts of docs/: the table of setting keys in docs/settings.md (from
# gandi/settings/keys.py) and the module list in docs/architecture.md (from the docstrings of
# gandi/). A test fails when either is stale.
readme: $(STAMP)
	$(PY) -m gandi.settings.key_table docs/settings.md
	$(PY) -m gandi.module_index docs/architecture.md

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,ray,onnx]'
	touch $(STAMP)

# Fashion-MNIST comes from Debian; skipped (with a note) where apt is not usable.
system-deps:
	@if [ -d /usr/share/datasets/fashion-mnist ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
		|| echo "note: could not install dataset-fashion-mnist; tests that need it will skip"; \
	else echo "note: apt-get not usable here; tests that need Fashion-MNIST will skip"; fi

bench: $(STAMP)
	$(PY) benchmarks/compiled_vs_eager.py

clean:
	rm -rf $(VENV) build *.egg-info
