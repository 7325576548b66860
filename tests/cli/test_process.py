"""`prism process`: layout, failures reported per file, exit status, summary table."""

import json
import subprocess
import sys

from PIL import Image

from prism.cli.main import main
from tests.images import encode, marked


def write_inputs(folder):
    (folder / "nested").mkdir(parents=True)
    (folder / "a.jpg").write_bytes(encode(marked((120, 80)), "JPEG"))
    (folder / "nested" / "b.png").write_bytes(encode(marked((40, 60)), "PNG"))
    (folder / "a.png").write_bytes(encode(marked((30, 30)), "PNG"))  # same stem as a.jpg
    (folder / "notes.txt").write_text("not an image, and not picked up from a folder")
    (folder / ".hidden.jpg").write_bytes(b"ignored")


def test_processes_folders_recursively(tmp_path, capsys):
    write_inputs(tmp_path / "in")
    assert main(["process", str(tmp_path / "in"), "--out", str(tmp_path / "out")]) == 0
    out = tmp_path / "out"
    assert sorted(p.name for p in (out / "a").iterdir()) == [
        "jpeg60.jpg",
        "jpeg85.jpg",
        "png.png",
        "thumb.jpg",
        "webp.webp",
    ]
    assert Image.open(out / "a" / "png.png").size == (120, 80)
    assert Image.open(out / "a-png" / "png.png").size == (30, 30)
    assert Image.open(out / "b" / "thumb.jpg").size == (40, 60)
    table = capsys.readouterr().out
    assert "variant" in table
    assert "120x80" in table
    assert "3 processed, 0 failed" in table


def test_failures_are_reported_and_the_run_goes_on(tmp_path, capsys):
    good = tmp_path / "good.jpg"
    good.write_bytes(encode(marked(), "JPEG"))
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"<svg/>")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(encode(marked(), "PNG")[:60])
    code = main(["process", str(bad), str(good), str(truncated), "--out", str(tmp_path / "o")])
    captured = capsys.readouterr()
    assert code == 1
    assert f"FAILED {bad}: unsupported_format:" in captured.err
    assert f"FAILED {truncated}: corrupt:" in captured.err
    assert (tmp_path / "o" / "good" / "png.png").exists()
    assert not (tmp_path / "o" / "bad").exists()
    assert "1 processed, 2 failed" in captured.out


def test_custom_variants_and_pixel_limit(tmp_path, capsys):
    src = tmp_path / "in.png"
    src.write_bytes(encode(marked((200, 100)), "PNG"))
    specs = tmp_path / "v.json"
    specs.write_text(
        json.dumps([{"name": "sq", "format": "webp", "width": 50, "height": 50, "fit": "cover"}])
    )
    assert main(["process", str(src), "--out", str(tmp_path / "o"), "--variants", str(specs)]) == 0
    assert Image.open(tmp_path / "o" / "in" / "sq.webp").size == (50, 50)
    code = main(["process", str(src), "--out", str(tmp_path / "o2"), "--max-pixels", "100"])
    assert code == 1
    assert "too_large" in capsys.readouterr().err


def test_bad_arguments_exit_with_a_message(tmp_path, capsys):
    specs = tmp_path / "v.json"
    specs.write_text('[{"name": "x", "format": "bmp"}]')
    src = tmp_path / "in.png"
    src.write_bytes(encode(marked(), "PNG"))
    assert main(["process", str(src), "--out", str(tmp_path), "--variants", str(specs)]) == 2
    assert "format must be one of" in capsys.readouterr().err
    assert main(["process", str(tmp_path / "missing.jpg"), "--out", str(tmp_path)]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_console_script_runs_without_traceback(tmp_path):
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"")
    proc = subprocess.run(
        [sys.executable, "-m", "prism.cli", "process", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "the upload is empty" in proc.stderr
    assert "Traceback" not in proc.stderr
