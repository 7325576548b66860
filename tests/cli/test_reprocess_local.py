"""`prism reprocess --data`: a folder of images made with the old specs, re-made after a spec
change; every manifest then carries the new fingerprint, nothing is lost, and a second run
does nothing."""

from __future__ import annotations

import json
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
