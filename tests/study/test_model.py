"""The study's detector: seeded construction and ``--weights`` loading (torch runs in a subprocess).

torch is imported in a child process only: see tests/study/test_study_cli.py for why.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("torchvision") is None,
    reason="torch/torchvision not installed (pip install 'simgen[study]')",
)

CHILD = r"""
import json, sys
from pathlib import Path
import torch, torchvision
from simgen.errors import SimgenError
from simgen.study.model import TrainConfig, build_detector, load_weights

tmp = Path(sys.argv[1])
cfg = TrainConfig(min_size=64, max_size=64)
a, a2, b = build_detector(cfg, 3, seed=0), build_detector(cfg, 3, seed=0), build_detector(cfg, 3, seed=1)
same_seed = all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), a2.state_dict().values()))
other_seed = all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
torch.save(a.state_dict(), tmp / "detector.pt")
n_full = load_weights(b, tmp / "detector.pt")
full_equal = all(torch.equal(a.state_dict()[k], v) for k, v in b.state_dict().items())
# A detector with another class count takes everything but the class-specific predictor.
c = build_detector(cfg, 5, seed=2)
n_other = load_weights(c, tmp / "detector.pt")
classifier = torchvision.models.mobilenet_v3_large(weights=None)
torch.save(classifier.state_dict(), tmp / "backbone.pt")
d = build_detector(cfg, 3, seed=3)
n_backbone = load_weights(d, tmp / "backbone.pt")
backbone_equal = torch.equal(d.state_dict()["backbone.body.0.0.weight"], classifier.state_dict()["features.0.0.weight"])
(tmp / "junk.pt").write_bytes(b"not a checkpoint")
errors = []
for name in ("junk.pt", "missing.pt"):
    try:
        load_weights(d, tmp / name)
    except SimgenError as err:
        errors.append(str(err))
print(json.dumps({
    "same_seed": same_seed, "other_seed": other_seed, "n_full": n_full, "n_state": len(a.state_dict()),
    "full_equal": full_equal, "n_other": n_other, "n_backbone": n_backbone, "backbone_equal": backbone_equal,
    "n_features": sum(1 for k in classifier.state_dict() if k.startswith("features.")), "errors": errors,
}))
"""


def test_seeded_build_and_local_weights(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["same_seed"] and not r["other_seed"]
    assert r["n_full"] == r["n_state"] and r["full_equal"]
    # Box predictor: cls_score weight + bias and bbox_pred weight + bias depend on the class count.
    assert r["n_other"] == r["n_state"] - 4
    assert r["backbone_equal"] and 0 < r["n_backbone"] <= r["n_features"]
    assert "is not a torch state dict" in r["errors"][0]
    assert "does not exist" in r["errors"][1]
