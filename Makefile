# The two commands of the README:  `make tune` (the tuning study)  and  `make test` (every test).
# Both create the virtual environment on first use, from constraints.txt (the one pinned set).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test tune tune-compare equivalence-report bench env docs fuzz zoo gpu-check

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	# The local CPU build of torch first: an unpinned torch would pull several GB of CUDA wheels.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e ".[keras,tuning,test]"
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile -q

tune: $(STAMP)
	$(PY) -m tuning $(ARGS)

# Keras Tuner's RandomSearch against `make tune` on the same data and budget -> docs/tuning-compare.md.
tune-compare: $(STAMP)
	$(PY) -c "import keras_tuner" 2>/dev/null || $(PY) -m pip install -q -c constraints.txt -e ".[compare]"
	$(PY) -m tuning.compare $(ARGS)

equivalence-report: $(STAMP)
	$(PY) -m equivalence_tests.report --markdown docs/equivalence-report.md

bench: $(STAMP)
	$(PY) -m benchmarks $(ARGS)

docs: $(STAMP)
	$(PY) docs/generate.py

# The long fuzz run (equivalence_tests/fuzz/): many draws per layer; the test run's subset is small.
fuzz: $(STAMP)
	TKL_FUZZ_DRAWS=$${TKL_FUZZ_DRAWS:-60} $(PY) -m pytest -q -p no:randomly equivalence_tests/test_fuzz.py

# Every keras.applications model through from_keras (long: hours on a laptop); test_zoo.py runs the cheapest.
zoo: $(STAMP)
	$(PY) -m equivalence_tests.zoo --compile --markdown docs/applications.md $(ARGS)

# The CUDA check (equivalence_tests/gpu_check.py): every spec on the GPU against the CPU, autocast, mixed
# policies, the fused attention kernels, channels_last BN and the benchmarks -> runs/gpu-check/. It needs
# torch and numpy only, so a GPU machine's own Python runs it (GPU_PY=python3) without this venv.
GPU_PY ?= $(if $(wildcard $(STAMP)),$(PY),python3)
gpu-check:
	$(GPU_PY) -m equivalence_tests.gpu_check $(ARGS)
