"""`prism reprocess --data`: a folder of images made with the old specs, re-made after a spec
change; every manifest then carries the new fingerprint, nothing is lost, and a second run
does nothing."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prism.cli.main import main
from prism.storage.layout import image_id_for_upload, manifest_key
from tests.images import small_image
from tests.reprocessing import NEW_SPECS, OLD_SPECS, ingestor_for


def make_folder(data: Path, count: int) -> list[str]:
    """`count` small JPEGs plus one file that is not an image, processed with OLD_SPECS."""
    old = ingestor_for(data, OLD_SPECS)
    keys = [f"uploads/photo-{n:04d}.jpg" for n in range(count)]
    for n, key in enumerate(keys):
        old.storage.put("uploads", key, small_image(seed=n), "image/jpeg")
        assert old.handle_upload(key).status == "processed"
    old.storage.put("uploads", "uploads/readme.txt", b"not an image", "text/plain")
    assert old.handle_upload("uploads/readme.txt").status == "rejected"
    return keys


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def run_reprocess(data: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["reprocess", "--data", str(data), *extra])
    return code, capsys.readouterr().out


def check_folder(data: Path, keys: list[str], originals: dict[str, bytes]) -> None:
    new = ingestor_for(data, NEW_SPECS)
    for key in keys:
        image_id = image_id_for_upload("uploads/", key)
        manifest = json.loads(new.storage.get("processed", manifest_key(image_id)))
        assert manifest["fingerprint"] == new.fingerprint, key
        assert [v["name"] for v in manifest["variants"]] == ["jpeg85", "webp", "hero"]
        for variant in manifest["variants"]:
            assert new.storage.head("processed", variant["key"]) is not None
    # Nothing lost: every original is still there, byte for byte.
    assert {k: v for k, v in snapshot(data).items() if k.startswith("uploads/")} == originals


def reprocess_folder(tmp_path: Path, monkeypatch, capsys, count: int, workers: str) -> None:
    data = tmp_path / "data"
    keys = make_folder(data, count)
    originals = {k: v for k, v in snapshot(data).items() if k.startswith("uploads/")}
    monkeypatch.setenv("PRISM_VARIANTS", json.dumps(NEW_SPECS))

    code, out = run_reprocess(data, capsys, "--workers", workers)
    assert code == 0
    assert f"{count} reprocessed" in out
    assert "1 rejected" in out
    assert "uploads/readme.txt: rejected" in out
    check_folder(data, keys, originals)

    before = snapshot(data)
    code, out = run_reprocess(data, capsys, "--workers", workers)
    assert code == 0
    assert f"{count} up_to_date" in out
    assert "reprocessed" not in out
    assert snapshot(data) == before  # a second run changes nothing at all


def test_a_folder_is_remade_after_a_spec_change_and_a_second_run_does_nothing(
    tmp_path: Path, monkeypatch, capsys
):
    reprocess_folder(tmp_path, monkeypatch, capsys, count=24, workers="2")


@pytest.mark.slow
def test_a_few_hundred_images(tmp_path: Path, monkeypatch, capsys):
    reprocess_folder(tmp_path, monkeypatch, capsys, count=300, workers="2")


def test_dry_run_and_prune(tmp_path: Path, monkeypatch, capsys):
    data = tmp_path / "data"
    make_folder(data, 3)
    monkeypatch.setenv("PRISM_VARIANTS", json.dumps(NEW_SPECS))
    before = snapshot(data)
    code, out = run_reprocess(data, capsys, "--dry-run")
    assert code == 0
    assert "4 originals" in out
    assert snapshot(data) == before
    code, out = run_reprocess(data, capsys, "--prune", "--workers", "1")
    assert code == 0
    assert not any(k.endswith("thumb.jpg") for k in snapshot(data))


def test_bad_local_arguments_exit_2(tmp_path: Path, capsys, monkeypatch):
    assert main(["reprocess", "--data", str(tmp_path / "absent")]) == 2
    assert "no such folder" in capsys.readouterr().err
    monkeypatch.setenv("PRISM_VARIANTS", "[not json")
    assert main(["reprocess", "--data", str(tmp_path)]) == 2
    assert "PRISM_VARIANTS" in capsys.readouterr().err


def test_a_bug_on_one_image_is_reported_and_the_run_goes_on(tmp_path: Path, monkeypatch, capsys):
    from prism.service import reprocess

    data = tmp_path / "data"
    make_folder(data, 2)
    monkeypatch.setenv("PRISM_VARIANTS", json.dumps(NEW_SPECS))
    real = reprocess.reprocess_upload

    def flaky(ingestor, key, *, prune=False):
        if key.endswith("0000.jpg"):
            raise RuntimeError("a bug")
        return real(ingestor, key, prune=prune)

    monkeypatch.setattr("prism.cli.reprocess_local.reprocess_upload", flaky)
    code, out = run_reprocess(data, capsys, "--workers", "1")
    assert code == 1
    assert "1 reprocessed" in out
    assert "uploads/photo-0000.jpg: failed: internal error: RuntimeError('a bug')" in out


def test_a_background_change_drops_stale_transforms(tmp_path: Path, monkeypatch, capsys):
    from tests.service.test_reprocess import jpeg_transform, near, transparent_png

    data = tmp_path / "data"
    white = ingestor_for(data, NEW_SPECS)
    white.storage.put("uploads", "uploads/logo.png", transparent_png(), "image/png")
    assert white.handle_upload("uploads/logo.png").status == "processed"
    stored, pixel = jpeg_transform(white, "uploads/logo.png")
    assert near(pixel, (255, 255, 255))

    monkeypatch.setenv("PRISM_VARIANTS", json.dumps(NEW_SPECS))
    monkeypatch.setenv("PRISM_BACKGROUND", "#000000")
    code, out = run_reprocess(data, capsys, "--workers", "1")
    assert (code, "1 reprocessed" in out) == (0, True)
    assert not (data / "processed" / stored.key).exists()
    black = ingestor_for(data, NEW_SPECS, PRISM_BACKGROUND="#000000")
    again, pixel = jpeg_transform(black, "uploads/logo.png")
    assert again.made
    assert near(pixel, (0, 0, 0))


def test_temporary_files_of_interrupted_writes_are_removed_at_start(
    tmp_path: Path, monkeypatch, capsys
):
    data = tmp_path / "data"
    keys = make_folder(data, 1)
    folder = data / "processed" / image_id_for_upload("uploads/", keys[0])
    dead = _dead_pid()
    live = os.getppid()  # pytest's parent: alive while the test runs
    hour_ago = time.time() - 2 * 3600
    stale = {
        folder / f".tmp-{dead}-k1ll3d": None,  # its writer is gone
        folder / f".tmp-{live}-0ld": hour_ago,  # too old whatever the pid
        data / "uploads" / ".tmp-legacy": hour_ago,  # no pid in the name, and old
    }
    kept = {folder / f".tmp-{live}-writing": None, data / "uploads" / ".tmp-young": None}
    for path, mtime in (stale | kept).items():
        path.write_bytes(b"\0" * 1000)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
    monkeypatch.setenv("PRISM_VARIANTS", json.dumps(NEW_SPECS))
    code, out = run_reprocess(data, capsys, "--workers", "1")
    assert code == 0
    assert "removed 3 temporary files" in out
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in kept)  # a write may be going on (a `prism serve`)


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _workers_of(parent: int) -> set[int]:
    """The pool's worker processes of `parent` (spawned: their command line says so)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"spawn_main" in cmdline:
            found.add(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be read


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_killing_the_command_ends_its_workers(tmp_path: Path):
    data = tmp_path / "data"
    keys = make_folder(data, 10)
    manifests = [
        data / "processed" / manifest_key(image_id_for_upload("uploads/", k)) for k in keys
    ]
    before = {m: m.read_bytes() for m in manifests}
    env = os.environ | {"PRISM_VARIANTS": json.dumps(NEW_SPECS)}
    driver = Path(__file__).with_name("slow_reprocess.py")
    command = subprocess.Popen(
        [sys.executable, str(driver), str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        # Kill it mid-run: once its workers have remade a first image.
        assert _wait_for(lambda: any(m.read_bytes() != before[m] for m in manifests), 60)
        workers = _workers_of(command.pid)
        assert workers
        command.kill()
        command.wait()
        assert _wait_for(lambda: not any(_running(pid) for pid in workers), 30), workers
    finally:
        command.kill()
        for pid in workers:  # only on failure: the orphans this test made
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
