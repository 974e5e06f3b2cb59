import pytest

from index.files import write_bytes_atomic, write_json_atomic, write_text_atomic


def test_a_write_that_fails_half_way_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "report.json"
    write_json_atomic(path, {"نتیجه": 1})
    before = path.read_text(encoding="utf-8")

    def chunks():
        yield "{"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(path, chunks())
    assert path.read_text(encoding="utf-8") == before == '{\n  "نتیجه": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_bytes_land_whole_in_a_new_folder(tmp_path):
    path = tmp_path / "plots" / "a.png"
    write_bytes_atomic(path, b"\x89PNG")
    assert path.read_bytes() == b"\x89PNG"


_KILLED_WRITER = """
import sys, time
from pathlib import Path
from index.files import write_folder_atomic

final, ready = Path(sys.argv[1]), Path(sys.argv[2])
with write_folder_atomic(final) as staging:
    (staging / "weights").write_text("half of the new")
    ready.write_text("written")
    time.sleep(60)  # killed here, half-way through the save
"""


def _folder(path):
    return {p.name: p.read_text() for p in sorted(path.iterdir())}


def test_a_folder_save_killed_half_way_keeps_the_old_folder(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from index.files import write_folder_atomic

    final = tmp_path / "embedder"
    with write_folder_atomic(final) as staging:
        (staging / "weights").write_text("old")
        (staging / "summary.json").write_text("{}")
    ready = tmp_path / "ready"
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(final), str(ready)],
                              env={**os.environ, "PYTHONPATH": os.getcwd()})
    deadline = time.monotonic() + 60
    while not ready.exists() and writer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists(), "the writer never reached the middle of its save"
    writer.send_signal(signal.SIGKILL)
    writer.wait()

    assert _folder(final) == {"summary.json": "{}", "weights": "old"}
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".embedder.")]
    assert len(leftovers) == 1 and ".partial-" in leftovers[0]
    with write_folder_atomic(final) as staging:  # the next save clears what the kill left
        (staging / "weights").write_text("new")
    assert _folder(final) == {"weights": "new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["embedder", "ready"]


def test_a_folder_save_that_raises_keeps_the_old_folder(tmp_path):
    from index.files import write_folder_atomic

    final = tmp_path / "adapter"
    with write_folder_atomic(final) as staging:
        (staging / "weights").write_text("old")
    with pytest.raises(OSError, match="disk full"), write_folder_atomic(final) as staging:
        (staging / "weights").write_text("half")
        raise OSError("disk full")
    assert _folder(final) == {"weights": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["adapter"]


def test_a_kill_between_the_two_renames_is_undone_by_the_next_save(tmp_path, monkeypatch):
    import os

    from index import files

    final = tmp_path / "index"
    with files.write_folder_atomic(final) as staging:
        (staging / "manifest.json").write_text("old")
    real_replace = os.replace
    calls = []

    def die_after_moving_the_old_aside(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as if killed: nothing below it runs
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", die_after_moving_the_old_aside)
    with pytest.raises(KeyboardInterrupt), files.write_folder_atomic(final) as staging:
        (staging / "manifest.json").write_text("new")
    monkeypatch.setattr(files.os, "replace", real_replace)
    assert _folder(final) == {"manifest.json": "old"}  # put back at once

    aside = tmp_path / ".index.old-99999999-deadbeef"  # a process that died between them
    real_replace(final, aside)
    files.clear_folder_leftovers(final)
    assert _folder(final) == {"manifest.json": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["index"]


def test_a_folder_being_written_by_a_live_process_is_left_alone(tmp_path):
    import os

    from index.files import clear_folder_leftovers

    busy = tmp_path / f".index.partial-{os.getppid()}-cafe0001"
    busy.mkdir()
    dead = tmp_path / ".index.partial-99999999-cafe0002"
    dead.mkdir()
    assert clear_folder_leftovers(tmp_path / "index") == [dead]
    assert busy.is_dir()


def test_a_file_written_by_name_replaces_the_old_one_only_when_the_block_finishes(tmp_path):
    from index.files import write_file_atomic

    target = tmp_path / "model.gguf"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), write_file_atomic(target) as temp:
        temp.write_bytes(b"half")
        raise RuntimeError("the converter died")
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]
    with write_file_atomic(target) as temp:
        assert temp.parent == tmp_path and not temp.exists()
        temp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and sorted(tmp_path.iterdir()) == [target]
