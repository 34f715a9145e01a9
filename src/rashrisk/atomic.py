"""Atomic writes: a file or folder appears under its final name complete, or not at all.

Every file the CLI and the Python API write goes through here. The content is written beside the
target under a hidden temporary name (same directory, so :func:`os.replace` is an atomic rename on
one file system), flushed and fsynced, then renamed into place; the directory entry is fsynced
too. On any failure (disk full, file-size limit, an exception in the writer, Ctrl-C) the temporary
is removed and the previous file, if any, is untouched. A process killed (SIGKILL, power loss)
between the temporary write and the rename leaves the previous file intact and at most one hidden
temporary beside it (``.<name>.rashrisk-tmp-XXXXXXXX``), never a partial file under the final name.

Folders (the simulator's cohort, a model bundle) are built in a hidden temporary sibling folder
and renamed into place. An existing target folder is replaced only when it holds nothing but the
file names the writer produces (a previous output of the same command); a folder with other
entries is refused before anything is written, so no user file is ever deleted. The replacement is
two renames (old folder aside, new one in) and then the old one is removed: a kill between them
leaves both complete folders under hidden names and nothing half-written under the final name.

An :class:`OSError` (permission denied, missing folder, ``ENOSPC``, ``EFBIG``) becomes a
:class:`~rashrisk.errors.RashriskError` naming the path and the OS reason: one line from the CLI.

Temporary files get the permissions a newly created file would get (``0o666`` minus the umask),
or the mode of the file they replace.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

from rashrisk.errors import RashriskError

TEMP_MARK = ".rashrisk-tmp-"
OLD_MARK = ".rashrisk-old-"
# test hook: after the temporary is complete and before the rename, create this file and wait
# (seconds from RASHRISK_TEST_PAUSE_SECONDS); lets a test SIGKILL a command in that window
_PAUSE_ENV = "RASHRISK_TEST_PAUSE_BEFORE_REPLACE"


def os_error_message(exc: OSError, path=None, action: str = "cannot write") -> str:
    """One line: the path, the OS reason and its errno name, e.g.
    ``cannot write out/s.csv: File too large (EFBIG)``."""
    where = path if path is not None else (exc.filename if exc.filename is not None else "")
    reason = exc.strerror or str(exc) or type(exc).__name__
    code = errno.errorcode.get(exc.errno, "") if exc.errno else ""
    text = f"{action} {where}: {reason}" if where != "" else f"{action}: {reason}"
    return text + (f" ({code})" if code else "")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _new_mode(target: Path, default: int) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return default & ~_umask()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on a directory
        pass
    finally:
        os.close(fd)


def _pause_for_tests(temporary: Path) -> None:
    marker = os.environ.get(_PAUSE_ENV)
    if marker:
        Path(marker).write_text(str(temporary.resolve()), encoding="utf-8")
        time.sleep(float(os.environ.get("RASHRISK_TEST_PAUSE_SECONDS", "30")))


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:  # cleanup must never hide the original error
        pass


@contextmanager
def atomic_file(path, mode: str = "wb", *, encoding: str | None = None) -> Iterator[IO]:
    """``with atomic_file(path) as handle: handle.write(...)``: the file appears complete on leaving
    the block without an exception, else not at all (the previous file stays). ``mode`` is ``"wb"``
    or ``"w"`` (text, ``encoding`` default UTF-8). Missing parent folders are created."""
    if mode not in ("wb", "w"):
        raise ValueError(f"mode {mode!r}; expected 'wb' or 'w'")
    target = Path(path)
    temporary = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
        fd, name = tempfile.mkstemp(prefix=f".{target.name}{TEMP_MARK}", dir=target.parent)
        temporary = Path(name)
        os.fchmod(fd, _new_mode(target, 0o666))
        handle = os.fdopen(fd, mode, **({"encoding": encoding or "utf-8", "newline": ""} if mode == "w" else {}))
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _pause_for_tests(temporary)
        os.replace(temporary, target)
        temporary = None
        _fsync_dir(target.parent)
    except OSError as exc:
        raise RashriskError(os_error_message(exc, target)) from None
    finally:
        if temporary is not None:
            _remove(temporary)


def write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_file(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def write_text(path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (no newline translation)."""
    with atomic_file(path, "w", encoding=encoding) as handle:
        handle.write(text)
    return Path(path)


def write_with(path, writer: Callable[[IO], object]) -> Path:
    """``writer(binary_handle)`` writes the content (``frame.to_parquet``, WeasyPrint, ...), atomically."""
    with atomic_file(path, "wb") as handle:
        writer(handle)
    return Path(path)


def _is_allowed(allowed) -> Callable[[Path], bool]:
    if callable(allowed):
        return allowed
    names = set(allowed)
    return lambda entry: entry.name in names and entry.is_file() and not entry.is_symlink()


def check_replaceable_folder(path, allowed: Iterable[str] | Callable[[Path], bool], what: str) -> Path:
    """``path`` as a Path if it is new, an empty folder, or a folder whose every entry is a file named
    in ``allowed`` (or for which ``allowed(entry)`` is true): a previous output. Else a
    RashriskError, and nothing is written or removed."""
    target = Path(path)
    keep = _is_allowed(allowed)
    try:
        if target.exists() or target.is_symlink():
            if not target.is_dir():
                raise RashriskError(f"{what} {target}: exists and is not a folder; expected a folder")
            foreign = sorted(p.name for p in target.iterdir() if not keep(p))
            if foreign:
                shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
                raise RashriskError(f"{what} {target}: the folder holds other files than a previous output "
                                    f"({shown}); expected a new or empty folder, or one this command wrote "
                                    "(it is replaced whole)")
    except OSError as exc:
        raise RashriskError(os_error_message(exc, target, "cannot read")) from None
    return target


@contextmanager
def atomic_folder(path, allowed: Iterable[str] | Callable[[Path], bool], *,
                  what: str = "output folder") -> Iterator[Path]:
    """``with atomic_folder(out, names) as tmp: write files into tmp``: on success the folder ``out``
    is exactly the written files (a previous ``out`` holding only ``names`` is replaced whole); on
    failure nothing changes under ``out``. See the module docstring."""
    target = check_replaceable_folder(path, allowed, what)
    temporary = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}{TEMP_MARK}", dir=target.parent))
        os.chmod(temporary, 0o777 & ~_umask())
        yield temporary
        for child in temporary.iterdir():
            if child.is_file():
                fd = os.open(child, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        _fsync_dir(temporary)
        _pause_for_tests(temporary)
        check_replaceable_folder(target, allowed, what)  # still true after the (long) write?
        if target.is_dir():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}{OLD_MARK}", dir=target.parent))
            os.replace(target, old / target.name)  # aside, within a hidden folder
            try:
                os.replace(temporary, target)
            except OSError:
                os.replace(old / target.name, target)  # put the previous folder back
                _remove(old)
                raise
            temporary = None
            _remove(old)
        else:
            os.replace(temporary, target)
            temporary = None
        _fsync_dir(target.parent)
    except OSError as exc:
        raise RashriskError(os_error_message(exc, target)) from None
    finally:
        if temporary is not None:
            _remove(temporary)
