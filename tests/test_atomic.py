"""rashrisk.atomic: a file or folder appears complete under its final name, or not at all."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from rashrisk.atomic import (OLD_MARK, TEMP_MARK, atomic_file, atomic_folder, check_replaceable_folder,
                             os_error_message, write_bytes, write_text)
from rashrisk.errors import RashriskError


def _traces(folder):
    return sorted(p.name for p in folder.iterdir() if TEMP_MARK in p.name or OLD_MARK in p.name)


def test_a_failing_writer_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "s.csv"
    target.write_bytes(b"previous, complete\n")
    with pytest.raises(ZeroDivisionError):
        with atomic_file(target) as handle:
            handle.write(b"half of the new")
            1 / 0
    assert target.read_bytes() == b"previous, complete\n"
    assert _traces(tmp_path) == []


def test_an_os_error_names_the_path_and_the_reason(tmp_path, monkeypatch):
    target = tmp_path / "s.csv"
    target.write_bytes(b"previous")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(RashriskError) as exc:
        write_bytes(target, b"new")
    assert str(exc.value) == f"cannot write {target}: No space left on device (ENOSPC)"
    assert target.read_bytes() == b"previous" and _traces(tmp_path) == []
    assert os_error_message(PermissionError(errno.EACCES, "Permission denied", "x.csv"), action="cannot access") == \
        "cannot access x.csv: Permission denied (EACCES)"


def test_the_new_file_has_the_mode_of_a_normal_file_or_of_the_one_it_replaces(tmp_path):
    with open(tmp_path / "plain", "w"):
        pass
    write_text(tmp_path / "new.txt", "x")
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == stat.S_IMODE((tmp_path / "plain").stat().st_mode)
    (tmp_path / "new.txt").chmod(0o640)
    write_text(tmp_path / "new.txt", "y")
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
    assert (tmp_path / "new.txt").read_text() == "y"


def test_text_is_written_without_newline_translation_and_parents_are_created(tmp_path):
    target = write_text(tmp_path / "a" / "b" / "r.html", "é\r\nline\n")
    assert target.read_bytes() == "é\r\nline\n".encode("utf-8")


def test_a_folder_as_the_target_file_is_refused(tmp_path):
    (tmp_path / "s.csv").mkdir()
    with pytest.raises(RashriskError, match="s.csv: Is a directory"):
        write_bytes(tmp_path / "s.csv", b"x")


def test_a_folder_appears_whole_and_replaces_a_previous_output_whole(tmp_path):
    out = tmp_path / "sim"
    with atomic_folder(out, {"a.csv", "b.csv"}) as folder:
        (folder / "a.csv").write_text("1")
        (folder / "b.csv").write_text("2")
        assert not out.exists()  # nothing under the final name while it is written
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.csv"]
    with atomic_folder(out, {"a.csv", "b.csv"}) as folder:
        (folder / "a.csv").write_text("3")
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"] and (out / "a.csv").read_text() == "3"
    assert _traces(tmp_path) == []
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_failing_folder_writer_leaves_the_previous_folder(tmp_path):
    out = tmp_path / "sim"
    out.mkdir()
    (out / "a.csv").write_text("previous")
    with pytest.raises(RuntimeError):
        with atomic_folder(out, {"a.csv"}) as folder:
            (folder / "a.csv").write_text("new")
            raise RuntimeError("killed")
    assert [p.name for p in out.iterdir()] == ["a.csv"] and (out / "a.csv").read_text() == "previous"
    assert _traces(tmp_path) == []


def test_a_folder_with_other_files_is_refused_and_left_as_it_is(tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / "a.csv").write_text("cohort")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(RashriskError, match=r"--out .*data: the folder holds other files .*\(notes.txt\)"):
        with atomic_folder(out, {"a.csv"}, what="--out"):
            pytest.fail("the block must not run")
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "notes.txt"] and _traces(tmp_path) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(RashriskError, match="exists and is not a folder"):
        check_replaceable_folder(tmp_path / "file", {"a.csv"}, "--out")
    (out / "notes.txt").unlink()
    (out / "sub").mkdir()
    (out / "sub" / "a.csv").write_text("x")
    with pytest.raises(RashriskError, match=r"\(sub\)"):  # a folder named like nothing it writes
        check_replaceable_folder(out, {"a.csv", "sub"}, "--out")  # names are files, never folders
