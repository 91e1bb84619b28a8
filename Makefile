# ec2api — developer entry points. `make run` and `make test` set everything up themselves.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
CLOUD  := bash tests/cloud/cloud.sh
MODEL_DIR := service-models/ec2/2016-11-15

.PHONY: venv run test test-unit test-conformance test-integration lint typecheck check-generated \
        regenerate upgrade fidelity check-fidelity bench fuzz cloud-up cloud-down cloud-reset clean

# The venv is (re)built when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ec2api needs Python >= 3.11 (set PYTHON=...)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

cloud-up:
	$(CLOUD) up

cloud-down:
	$(CLOUD) down

cloud-reset:
	$(CLOUD) reset

# Copy the EC2 model from the installed botocore, then regenerate generated/ec2.
regenerate: venv
	$(PY) -m codegen.pin_models --dest service-models
	$(PY) -m codegen --model $(MODEL_DIR)/service-2.json --out generated/ec2 --package generated.ec2

# CI guard: generated/ must be exactly what the generator writes from the pinned model.
check-generated: venv
	$(PY) -m codegen.pin_models --dest service-models --check
	rm -rf .cache/regen && mkdir -p .cache/regen
	$(PY) -m codegen --model $(MODEL_DIR)/service-2.json --out .cache/regen/ec2 --package generated.ec2
	diff -r -x __pycache__ generated/ec2 .cache/regen/ec2 || \
	  (echo "generated/ is stale: run 'make regenerate' and commit the result" >&2; exit 1)

# Follow a new botocore: move the pin (pyproject.toml; the venv reinstalls), re-pin service-models/,
# print what changed since the previous pin (also in .cache/upgrade/report.txt), regenerate and
# refresh the fidelity report. The diff comes first: it is what explains a generation that fails.
upgrade: venv
	@test -n "$(BOTOCORE)" || { echo "usage: make upgrade BOTOCORE=x.y.z" >&2; exit 2; }
	rm -rf .cache/upgrade && mkdir -p .cache/upgrade && cp -r service-models .cache/upgrade/previous
	$(PY) -m codegen.upgrade --botocore $(BOTOCORE)
	$(MAKE) venv
	$(PY) -m codegen.pin_models --dest service-models
	$(PY) -m ec2api_runtime.model_cli diff .cache/upgrade/previous service-models | tee .cache/upgrade/report.txt
	$(MAKE) regenerate fidelity

# Per implemented operation: members honoured, refused and filled, filters, paginators, waiters.
fidelity: venv
	$(PY) -m ec2api_runtime.model_cli fidelity --output docs/fidelity.md

# CI guard: docs/fidelity.md must be what `make fidelity` writes from the tree as it is.
check-fidelity: venv
	$(PY) -m ec2api_runtime.model_cli fidelity --output docs/fidelity.md --check

lint: venv
	$(VENV)/bin/ruff check codegen ec2api_runtime handlers tests

# Static types (configuration in pyproject.toml): handlers against the generated TypedDicts.
typecheck: venv
	$(VENV)/bin/mypy

test: venv check-generated check-fidelity lint typecheck cloud-up
	$(VENV)/bin/pytest -q

bench: venv cloud-up
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m tests.bench

# 100,000 generated hostile requests through the real HTTP server (stub authenticator, no cloud).
fuzz: venv
	$(PY) -m tests.fuzz --requests $${EC2API_FUZZ_REQUESTS:-100000}

# Serve ec2api against the test cloud on http://127.0.0.1:8788 (development: one worker).
run: venv cloud-up
	$(VENV)/bin/ec2api serve --cloud-json .cloud/cloud.json --workers 1 --threads 4

clean:
	rm -rf .cache .pytest_cache
