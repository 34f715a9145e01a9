"""What a killed training leaves behind, and how the next one cleans it up.

- Every training run is tagged with its owner (``rashrisk.owner``: host, pid, the process's start
  time and the boot id), so that another process on the same machine can tell a run that is still
  being logged from one whose process is gone (:func:`owner_alive`).
- Temporary folders are named ``rashrisk-<kind>-<pid>-*`` (:func:`temp_folder`), and MLflow's own
  temporary files of a training go inside them; :func:`remove_orphan_temp_folders` removes those of
  dead processes of this user.
- :func:`checkpoint` is a test hook: with ``RASHRISK_TEST_KILL_AT=<name>`` the process kills itself
  with SIGKILL at that point (a crash test needs a real kill at a known place); with
  ``RASHRISK_TEST_PAUSE_AT=<name>=<seconds>`` it waits there. Both are inert otherwise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

OWNER_TAG = "rashrisk.owner"
TEMP_PREFIXES = ("rashrisk-mlflow-", "rashrisk-model-", "rashrisk-validation-")
LEGACY_TEMP_AGE_S = 24 * 3600  # folders of earlier versions (no pid in the name) older than this are removed
ENV_KILL_AT = "RASHRISK_TEST_KILL_AT"
ENV_PAUSE_AT = "RASHRISK_TEST_PAUSE_AT"
ENV_CHECKPOINT_LOG = "RASHRISK_TEST_CHECKPOINT_LOG"


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:36]
    except OSError:
        return ""


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), '' elsewhere: guards against pid reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def owner() -> str:
    """``host|pid|start ticks|boot id`` of this process (no user name, no path)."""
    pid = os.getpid()
    return f"{socket.gethostname()}|{pid}|{_start_ticks(pid)}|{_boot_id()}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def owner_alive(value: str | None) -> bool | None:
    """True/False for an owner on this machine (alive or gone), None when it cannot be told (another
    host, or no owner recorded)."""
    if not value:
        return None
    parts = str(value).split("|")
    if len(parts) != 4 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return None
    host, pid, ticks, boot = parts
    if boot and _boot_id() and boot != _boot_id():
        return False  # the machine restarted since
    if not pid_alive(int(pid)):
        return False
    return not (ticks and _start_ticks(int(pid)) and ticks != _start_ticks(int(pid)))  # pid reused


@contextlib.contextmanager
def temp_folder(kind: str):
    """A temporary folder ``rashrisk-<kind>-<pid>-*`` in which MLflow's own temporary files also go."""
    folder = tempfile.mkdtemp(prefix=f"rashrisk-{kind}-{os.getpid()}-")
    previous = tempfile.tempdir
    tempfile.tempdir = folder
    try:
        yield Path(folder)
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(folder, ignore_errors=True)


def remove_orphan_temp_folders(root: str | Path | None = None) -> list[Path]:
    """Remove this user's ``rashrisk-*`` temporary folders whose process is gone; returns them."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    uid = os.getuid() if hasattr(os, "getuid") else None
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        prefix = next((p for p in TEMP_PREFIXES if entry.name.startswith(p)), None)
        if prefix is None:
            continue
        try:
            info = entry.lstat()
        except OSError:
            continue
        if not entry.is_dir() or entry.is_symlink() or (uid is not None and info.st_uid != uid):
            continue
        pid = entry.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit():
            orphan = not pid_alive(int(pid))
        else:
            orphan = time.time() - info.st_mtime > LEGACY_TEMP_AGE_S
        if orphan:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def checkpoint(name: str) -> None:
    """Test hook (see the module docstring): log, pause or SIGKILL this process at ``name``."""
    log = os.environ.get(ENV_CHECKPOINT_LOG)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {name}\n")
    pause = os.environ.get(ENV_PAUSE_AT, "")
    if pause.partition("=")[0] == name:
        time.sleep(float(pause.partition("=")[2] or 1))
    if os.environ.get(ENV_KILL_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
