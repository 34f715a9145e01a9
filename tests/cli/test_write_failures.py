"""Failures while a command reads or writes files, in real subprocesses: a file-size limit
(RLIMIT_FSIZE, SIGXFSZ ignored so the write fails with EFBIG), SIGKILL mid-write, a folder that
cannot be written, an input that cannot be read. Each is one line on stderr, exit 2, no traceback;
the previous output is byte-identical and nothing partial exists under the final name.

Root ignores file modes; the permission tests then run the command without the two capabilities
that let it (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH dropped from the bounding set before exec).
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rashrisk.atomic import OLD_MARK, TEMP_MARK

SRC = Path(__file__).resolve().parents[2] / "src"
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="rlimits, signals and capabilities as on Linux")


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RASHRISK_TEST_"))}
    env["PYTHONPATH"] = str(SRC)
    env.update(extra)
    return env


def _limited(fsize: int | None, drop_dac: bool):
    def preexec():
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # ignored dispositions survive exec
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if drop_dac and os.geteuid() == 0:
            libc = ctypes.CDLL(None, use_errno=True)
            for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
                if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                    raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
    return preexec


def rashrisk(cwd: Path, *args, fsize=None, drop_dac=False, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rashrisk.cli.main", *map(str, args)], cwd=cwd, env=_env(**env),
                          preexec_fn=_limited(fsize, drop_dac), capture_output=True, text=True, timeout=300)


def start(cwd: Path, *args, **env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rashrisk.cli.main", *map(str, args)], cwd=cwd, env=_env(**env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def error_lines(stderr: str) -> list[str]:
    """stderr without the one informational line `score` always prints (which model, why, which store)."""
    lines = stderr.strip().splitlines()
    info = [line for line in lines if line.startswith("model: ")]
    assert len(info) <= 1, stderr
    return [line for line in lines if not line.startswith("model: ")]


def assert_one_line_error(result, *parts):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    err = lines[0]
    assert err.startswith("error: ")
    for part in parts:
        assert part in err, err


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TEMP_MARK in p.name or OLD_MARK in p.name)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def work(cohort_dir, tmp_path) -> Path:
    """tmp_path with a copy of the 60-patient cohort as ``cohort/``."""
    shutil.copytree(cohort_dir, tmp_path / "cohort")
    return tmp_path


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, f"the command ended ({proc.returncode}) before the pause: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "the command never reached the pause"
        time.sleep(0.02)


# --- file-size limit ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["prev.csv", "prev.parquet", "prev.json"])
def test_score_under_a_file_size_limit_keeps_the_previous_file(work, name):
    first = rashrisk(work, "score", "cohort", "--stage", "start", "--out", name)
    assert first.returncode == 0, first.stderr
    previous = (work / name).read_bytes()
    limit = 4096
    assert len(previous) > 2 * limit  # the new file cannot fit: the write must fail part-way
    result = rashrisk(work, "score", "cohort", "--stage", "tdm", "--out", name, fsize=limit)
    assert_one_line_error(result, name, "File too large", "EFBIG")
    assert (work / name).read_bytes() == previous
    assert leftovers(work) == []


def test_report_and_simulate_under_a_file_size_limit_keep_the_previous_output(work):
    assert rashrisk(work, "report", "SIM000001", "--cohort", "cohort", "--stage", "start", "--out", "r.html").returncode == 0
    previous = (work / "r.html").read_bytes()
    result = rashrisk(work, "report", "SIM000001", "--cohort", "cohort", "--stage", "start", "--out", "r.html",
                      "--json", "r.json", fsize=4096)
    assert_one_line_error(result, "r.html", "File too large")
    assert (work / "r.html").read_bytes() == previous and not (work / "r.json").exists()

    assert rashrisk(work, "simulate", "--n", "20", "--seed", "1", "--out", "sim").returncode == 0
    before = snapshot(work / "sim")
    result = rashrisk(work, "simulate", "--n", "400", "--seed", "2", "--out", "sim", fsize=8192)
    assert_one_line_error(result, "sim", "File too large")
    assert snapshot(work / "sim") == before
    assert leftovers(work) == []


# --- SIGKILL mid-write -------------------------------------------------------------------------


def test_score_killed_before_the_rename_leaves_the_previous_file(work):
    assert rashrisk(work, "score", "cohort", "--stage", "start", "--out", "prev.csv").returncode == 0
    previous = (work / "prev.csv").read_bytes()
    marker = work / "paused"
    proc = start(work, "score", "cohort", "--stage", "tdm", "--out", "prev.csv",
                 RASHRISK_TEST_PAUSE_BEFORE_REPLACE=str(marker), RASHRISK_TEST_PAUSE_SECONDS="60")
    try:
        _wait_for(marker, proc)
        temporary = Path(marker.read_text(encoding="utf-8"))
        assert temporary.parent == work and temporary.name.startswith(".prev.csv" + TEMP_MARK)
        assert temporary.read_bytes() != previous  # the new table is complete, beside the target
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.communicate()  # closes the stderr pipe
    assert proc.returncode == -signal.SIGKILL
    assert (work / "prev.csv").read_bytes() == previous
    # nothing under the final name changed; the only trace is the hidden temporary the kill left
    assert sorted(p.name for p in work.iterdir() if "prev.csv" in p.name) == sorted(["prev.csv", temporary.name])


def test_simulate_killed_mid_write_leaves_the_previous_cohort(work):
    """No hook: the kill lands while the 100,000-patient files are being written into the hidden
    sibling folder (seen to exist, with a file in it)."""
    assert rashrisk(work, "simulate", "--n", "30", "--seed", "1", "--out", "sim").returncode == 0
    before = snapshot(work / "sim")
    proc = start(work, "simulate", "--n", "100000", "--seed", "2", "--out", "sim")
    try:
        deadline = time.monotonic() + 240
        while not any(any(d.iterdir()) for d in work.glob(".sim" + TEMP_MARK + "*")):
            assert proc.poll() is None, f"simulate ended ({proc.returncode}) before it was seen writing"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.communicate()  # closes the stderr pipe
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(work / "sim") == before
    assert all(name.startswith(".sim" + TEMP_MARK) for name in leftovers(work))


def test_simulate_killed_before_the_rename_leaves_the_previous_cohort(work):
    assert rashrisk(work, "simulate", "--n", "30", "--seed", "1", "--out", "sim").returncode == 0
    before = snapshot(work / "sim")
    marker = work / "paused"
    proc = start(work, "simulate", "--n", "200", "--seed", "2", "--out", "sim",
                 RASHRISK_TEST_PAUSE_BEFORE_REPLACE=str(marker), RASHRISK_TEST_PAUSE_SECONDS="60")
    try:
        _wait_for(marker, proc)
        temporary = Path(marker.read_text(encoding="utf-8"))
        assert sorted(p.name for p in temporary.iterdir()) == sorted(before)  # complete, beside the target
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.communicate()  # closes the stderr pipe
    assert snapshot(work / "sim") == before


# --- permissions and unreadable inputs ---------------------------------------------------------


def test_a_folder_that_cannot_be_written_is_one_message(work):
    (work / "ro").mkdir()
    (work / "ro").chmod(0o555)
    try:
        for args, path in [(("score", "cohort", "--stage", "start", "--out", "ro/s.csv"), "ro/s.csv"),
                           (("score", "cohort", "--stage", "start", "--out", "ro/new/s.csv"), "ro/new"),
                           (("simulate", "--n", "20", "--seed", "1", "--out", "ro/sim"), "ro/sim")]:
            result = rashrisk(work, *args, drop_dac=True)
            assert_one_line_error(result, path, "Permission denied")
        assert list((work / "ro").iterdir()) == []
    finally:
        (work / "ro").chmod(0o755)


@pytest.mark.parametrize("command", ["score", "validate"])
def test_an_unreadable_input_file_is_one_message(work, command):
    (work / "cohort" / "patients.csv").chmod(0)
    args = ("score", "cohort", "--stage", "start", "--out", "s.csv") if command == "score" else ("validate", "cohort")
    result = rashrisk(work, *args, drop_dac=True)
    assert_one_line_error(result, "patients.csv", "Permission denied")
    assert not (work / "s.csv").exists()


def test_an_unreadable_file_argument_is_a_usage_error(work):
    """A file given on the command line is checked by Click before the command runs: its usage
    error (the path and 'is not readable'), exit 2, no traceback, nothing written."""
    for name in ("patient.json", "validation.json"):
        (work / name).write_text("{}", encoding="utf-8")
        (work / name).chmod(0)
    for args, name in [(("score", "patient.json", "--stage", "start", "--out", "s.csv"), "patient.json"),
                       (("model-report", "--validation", "validation.json", "--out", "m.html"), "validation.json")]:
        result = rashrisk(work, *args, drop_dac=True)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert f"'{name}' is not readable" in result.stderr
    assert not (work / "s.csv").exists() and not (work / "m.html").exists()
