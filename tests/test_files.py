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
