"""The bundle format holds data only: no pickle anywhere, every byte checked against the manifest,
nothing imported from what the files name, and a refused bundle scores nobody (exit 2, one message)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rashrisk.errors import ModelError
from rashrisk.models.bundle import MANIFEST, RiskModel, default_bundle_dir, sha256_bytes

REPO_MODELS = Path(__file__).resolve().parents[2] / "models"
PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def test_no_file_in_models_is_a_pickle():
    files = [f for f in REPO_MODELS.rglob("*") if f.is_file()]
    assert len(files) >= 8
    for f in files:
        assert f.suffix in (".json", ".md"), f
        assert not f.read_bytes().startswith(PICKLE_MAGIC), f
    for stage in ("start", "tdm"):
        manifest = json.loads((default_bundle_dir(stage) / MANIFEST).read_text())
        assert set(manifest["files"]) == {p.name for p in default_bundle_dir(stage).iterdir()} - {MANIFEST}


@pytest.fixture
def bundle(tmp_path):
    folder = tmp_path / "bundle"
    shutil.copytree(default_bundle_dir("start"), folder)
    return folder


def _rehash(folder: Path) -> None:
    """Rewrite the manifest's hashes as an attacker who edits both would."""
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"] = {name: sha256_bytes((folder / name).read_bytes()) for name in manifest["files"]}
    (folder / MANIFEST).write_text(json.dumps(manifest))




@pytest.mark.parametrize("name", ["model.json", "card.json", "card.md", "manifest.json"])
def test_any_changed_byte_is_refused(bundle, name):
    path = bundle / name
    data = bytearray(path.read_bytes())
    position = len(data) // 2
    data[position] = (data[position] + 1) % 256 or 1
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError) as info:
        RiskModel.load(bundle)
    message = str(info.value)
    assert str(bundle) in message
    assert "\n" not in message


def test_an_edited_calibration_with_a_recomputed_manifest_is_still_only_data(bundle, models):
    """Editing model.json and the manifest together gives a different bundle hash: the label says so."""
    original = RiskModel.load(bundle).bundle_sha256
    model = json.loads((bundle / "model.json").read_text())
    model["fitted"]["calibration_intercept_"] = 3.0
    (bundle / "model.json").write_text(json.dumps(model))
    _rehash(bundle)
    edited = RiskModel.load(bundle)
    assert edited.bundle_sha256 != original and edited.bundle_sha256[:12] in edited.label


def test_a_class_named_in_the_files_is_never_imported(bundle):
    model = json.loads((bundle / "model.json").read_text())
    model["fitted"]["preprocess_"] = {"__estimator__": {"class": "os.system", "params": {"__dict__": {}},
                                                         "fitted": {}}}
    (bundle / "model.json").write_text(json.dumps(model))
    _rehash(bundle)
    with pytest.raises(ModelError, match="'os.system' is not one rashrisk stores"):
        RiskModel.load(bundle)


@pytest.mark.parametrize("edit, match", [
    (lambda m: m.update(format_version=99), "bundle format version 99"),
    (lambda m: m["packages"].update({"scikit-learn": "0.24.2"}), "written with scikit-learn 0.24.2"),
    (lambda m: m.update(format="something-else"), "not a rashrisk bundle manifest"),
])
def test_incompatible_format_or_package_major_is_refused(bundle, edit, match):
    manifest = json.loads((bundle / MANIFEST).read_text())
    edit(manifest)
    (bundle / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=match):
        RiskModel.load(bundle)


def test_a_pickled_bundle_is_refused(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "model.joblib").write_bytes(b"\x80\x04 not loaded")
    with pytest.raises(ModelError, match="pickled bundle .* is refused"):
        RiskModel.load(tmp_path / "old")


def test_score_with_a_tampered_bundle_exits_2_and_scores_nobody(bundle, cohort_dir, tmp_path):
    data = bytearray((bundle / "model.json").read_bytes())
    data[len(data) // 3] ^= 0x01
    (bundle / "model.json").write_bytes(bytes(data))
    out = tmp_path / "scores.csv"
    done = subprocess.run([str(Path(sys.executable).parent / "rashrisk"), "score", str(cohort_dir), "--stage", "start",
                           "--model", str(bundle), "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    message = done.stdout + done.stderr
    assert "model.json" in message and "differs from the manifest" in message
    assert "Traceback" not in message and len(message.strip().splitlines()) == 1
    assert not out.exists()


def test_round_trip_is_bit_for_bit(models, cohort_dir, tmp_path):
    from rashrisk.scoring.inputs import load_scoring_input
    from rashrisk.scoring.score import build_frame

    for stage, model in models.items():
        frame, _ = build_frame(load_scoring_input(cohort_dir).cohort, stage, model)
        again = RiskModel.load(model.save(tmp_path / stage))
        np.testing.assert_array_equal(again.decision_function(frame.X), model.decision_function(frame.X))
        for a, b in zip(again.predict_interval(frame.X), model.predict_interval(frame.X)):
            np.testing.assert_array_equal(a, b)
        assert again.card == model.card
