"""Compiled kernels are cached by a hash of the model's code: an edited rule is compiled again, not reused stale."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from actlocally.model import jit_cache

MODEL = Path(jit_cache.__file__).resolve().parent
# One fused school day of a small model: how many children are hungry, and where numba keeps the kernels.
DAY = """
import json, actlocally.model as m
from actlocally.model.locality import LocalityModel
model = LocalityModel("baseline_keighley_central", pupils=400)
model.step()
print(json.dumps({"hungry": int(model.children.hungry.sum()), "n": int(model.children.n), "cache": str(m.CACHE_DIR)}))
"""


def run_day(tree: Path, cache: Path) -> dict:
    """Run `DAY` in a fresh interpreter importing the model from `tree` (a copied package)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "ACTLOCALLY_NUMBA_CACHE": str(cache)}
    out = subprocess.run([sys.executable, "-c", DAY], env=env, capture_output=True, text=True, check=True, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def copy_package(tmp_path: Path) -> Path:
    """A copy of the installed package (model, scenarios) importable as `actlocally` from `tmp_path/src`."""
    pkg = tmp_path / "src" / "actlocally"
    shutil.copytree(MODEL, pkg / "model", ignore=shutil.ignore_patterns("__pycache__"))
    scenarios = Path(__import__("actlocally.scenarios", fromlist=["x"]).__file__).parent
    shutil.copytree(scenarios, pkg / "scenarios", ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "__init__.py").write_text('__version__ = "0.1.0"\n')
    return tmp_path / "src"


def test_source_hash_follows_every_model_file(tmp_path):
    tree = copy_package(tmp_path) / "actlocally" / "model"
    before = jit_cache.source_hash(tree)
    assert before == jit_cache.source_hash(MODEL)
    rng = tree / "rng.py"
    rng.write_text(rng.read_text() + "\n# an edit\n")
    assert jit_cache.source_hash(tree) != before


def test_an_edited_rule_is_recompiled_not_loaded_stale(tmp_path):
    tree = copy_package(tmp_path)
    cache = tmp_path / "cache"
    first = run_day(tree, cache)
    assert 0 < first["hungry"] < first["n"]
    assert Path(first["cache"]).parent == cache and any(Path(first["cache"]).rglob("*.nbi"))  # kernels cached
    assert run_day(tree, cache) == first  # unchanged code: the same directory, reused
    # Edit the hunger rule only (hunger.py; the fused pass that inlines it lives in day.py, which is unchanged):
    # with numba's own timestamp check the cached pass would still count the old rule's hungry children.
    hunger = tree / "actlocally" / "model" / "mechanisms" / "hunger.py"
    text = hunger.read_text()
    assert "return (u < p) & (not at_breakfast)" in text
    hunger.write_text(text.replace("return (u < p) & (not at_breakfast)", "return (u < 2.0) & (not at_breakfast)"))
    edited = run_day(tree, cache)
    assert edited["cache"] != first["cache"]
    assert edited["hungry"] == edited["n"]  # nobody is at a breakfast club in this baseline: everyone is hungry
