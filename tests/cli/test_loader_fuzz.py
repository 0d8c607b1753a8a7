"""Fuzz every user-file loader: a document either loads or fails with ONE line naming the file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosim.dse.study import load_study
from cosim.errors import CosimInputError
from cosim.hardware import load_system
from cosim.mapping import load_mapping
from cosim.workload import load_model

KEYS = ["name", "kind", "title", "model", "systems", "batch", "context", "ops", "tensors", "match", "device",
        "devices", "links", "preset", "count", "num_layers", "hidden_size", "num_heads", "phase", "extends",
        "memory", "bandwidth", "capacity", "tp", "dtype", "x"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
                    st.sampled_from(["gpu", "pim", "decode", "80 GiB", "4.8 TB/s", "fast", "", "llama2-7b",
                                     "gpu-only", "-1", "1e400"]), st.text(max_size=8))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)),
                         max_leaves=20)
LOADERS = [load_model, load_system, load_mapping, load_study]
EXAMPLES = int(os.environ.get("COSIM_FUZZ_EXAMPLES", "60"))  # raise it for a longer fuzzing session


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents, loader=st.sampled_from(LOADERS))
def test_loaders_accept_or_reject_with_one_line(doc, loader):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.yaml"
        path.write_text(yaml.safe_dump(doc))
        try:
            loader(str(path))
        except CosimInputError as exc:
            message = str(exc)
            assert "\n" not in message
            assert str(path) in message


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=st.text(max_size=200), loader=st.sampled_from(LOADERS))
def test_loaders_survive_arbitrary_text(text, loader):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.yaml"
        path.write_text(text)
        try:
            loader(str(path))
        except CosimInputError as exc:
            assert "\n" not in str(exc)
