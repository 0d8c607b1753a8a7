# cosim: `make run` sets up .venv and runs the default study; `make test` runs the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STUDY ?=

.PHONY: run test venv lint bench bench-npu bench-dram clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

run: venv
	$(BIN)/cosim run $(STUDY)

# Browser tests need Debian's chromium; install it when missing (root on CI, sudo otherwise).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(BIN)/python chromium
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pytest -n 2 -q

lint: venv
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python benchmarks/bench_roofline.py

# NPU systolic model vs SCALE-Sim compute cycles (installs the peer tools first).
bench-npu: venv
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements-peers.txt
	$(BIN)/python benchmarks/bench_scalesim.py

# DRAM trace simulator speed; adds DRAMsim3 columns and the speed ratio when DRAMSIM3_DIR names a checkout.
bench-dram: venv
	$(BIN)/python benchmarks/bench_dram.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
