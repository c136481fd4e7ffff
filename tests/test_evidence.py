"""`actlocally evidence`: the page's numbers are recomputed from the simulations it wrote beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.experiments.cli import app
from typer.testing import CliRunner


def test_evidence_numbers_are_recomputed_from_its_files(tmp_path):
    result = CliRunner().invoke(app, ["evidence", "keighley_central", "--draws", "5", "--pupils", "800", "--trials",
                                      "magic_breakfast", "--trial-replicates", "2", "--trial-pupils", "8000",
                                      "--workers", "0", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "evidence" / "keighley_central"
    table = pd.read_csv(folder / "evidence.csv")
    raw = xr.open_dataset(folder / "evidence.nc")
    html = (folder / "evidence.html").read_text()
    targets = table[table["kind"] == "target"]
    assert len(targets) == raw.sizes["target"] and set(targets["used"]) <= {"calibration", "checked only"}
    for _, row in targets.iterrows():
        sims = raw["target_simulated"].sel(target=row["name"]).values
        lo, mid, hi = np.nanquantile(sims, [0.05, 0.5, 0.95])
        assert np.isclose(row["model"], mid) and np.isclose(row["model_lo"], lo) and np.isclose(row["model_hi"], hi)
        assert row["pass"] == bool(lo <= row["published"] <= hi)
        assert f"{row['model']:.3g}" in html
    trials = table[table["kind"] == "trial"]
    assert list(trials["name"]) == ["magic_breakfast.ks1_attainment", "magic_breakfast.ks2_attainment"]
    est = raw["trial_magic_breakfast"].values
    assert np.isfinite(est).all() and np.allclose(trials["model"], np.median(est, axis=0))
    passed = int(table["pass"].sum())
    assert f"reproduces {int(targets['pass'].sum())} of {len(targets)} area figures" in html
    assert passed == int(targets["pass"].sum()) + int(trials["pass"].sum())
