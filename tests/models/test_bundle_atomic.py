"""RiskModel.save is atomic: a failed save leaves the previous bundle byte-identical; a folder with
other files than a bundle's is refused, untouched; a previous bundle is replaced whole."""

import errno
import os
from pathlib import Path

import pytest

from rashrisk.atomic import OLD_MARK, TEMP_MARK
from rashrisk.errors import RashriskError
from rashrisk.models.bundle import RiskModel


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _traces(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if TEMP_MARK in p.name or OLD_MARK in p.name]


def test_a_failed_save_leaves_the_previous_bundle(models, tmp_path, monkeypatch):
    bundle = models["start"].save(tmp_path / "bundle")
    before = _files(bundle)
    calls = []
    real = Path.write_bytes

    def fail_on_third(self, data):
        calls.append(self.name)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", fail_on_third)
    with pytest.raises(RashriskError, match=r"cannot write .*bundle: No space left on device \(ENOSPC\)"):
        models["tdm"].save(bundle)
    monkeypatch.undo()
    assert len(calls) == 3 and _files(bundle) == before and _traces(tmp_path) == []
    assert RiskModel.load(bundle).stage == "start"


def test_a_previous_bundle_is_replaced_whole_and_a_foreign_folder_refused(models, tmp_path):
    bundle = models["start"].save(tmp_path / "bundle")
    (bundle / "stale.xgboost.json").write_text("{}")  # a file of an older bundle, not in the new one
    models["tdm"].save(bundle)
    assert RiskModel.load(bundle).stage == "tdm" and not (bundle / "stale.xgboost.json").exists()
    (bundle / "validation").mkdir()
    before = _files(bundle / "validation"), sorted(p.name for p in bundle.iterdir())
    with pytest.raises(RashriskError, match=r"bundle folder .*: the folder holds other files .*\(validation\)"):
        models["start"].save(bundle)
    assert (_files(bundle / "validation"), sorted(p.name for p in bundle.iterdir())) == before
    assert RiskModel.load(bundle).stage == "tdm"
