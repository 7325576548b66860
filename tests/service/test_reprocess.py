"""One stored image brought up to date: skip without decoding, remake, prune, never lose data."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from prism.image import pipeline, placeholder
from prism.service.reprocess import reprocess_upload
from prism.service.transforms import Answer, find_or_make
from prism.storage.base import StorageError
from prism.storage.layout import image_id_for_upload, manifest_key
from tests.images import small_image
from tests.reprocessing import NEW_SPECS, OLD_SPECS, SpyStorage, ingestor_for

KEY = "uploads/photo.jpg"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data folder holding one upload processed with the old specs."""
    old = ingestor_for(tmp_path, OLD_SPECS)
    old.storage.put("uploads", KEY, small_image(), "image/jpeg")
    assert old.handle_upload(KEY).status == "processed"
    return tmp_path


def manifest_of(ingestor, key: str = KEY) -> dict:
    image_id = image_id_for_upload("uploads/", key)
    assert image_id is not None
    return json.loads(ingestor.storage.get("processed", manifest_key(image_id)))


def folder(ingestor, key: str = KEY) -> set[str]:
    image_id = image_id_for_upload("uploads/", key)
    return set(ingestor.storage.list_keys("processed", f"{image_id}/"))


def assert_manifest_complete(ingestor, key: str = KEY) -> None:
    manifest = manifest_of(ingestor, key)
    for variant in manifest["variants"]:
        assert ingestor.storage.head("processed", variant["key"]) is not None, variant


def test_manifest_records_the_fingerprint_of_its_specs(data: Path):
    old = ingestor_for(data, OLD_SPECS)
    new = ingestor_for(data, NEW_SPECS)
    assert manifest_of(old)["fingerprint"] == old.fingerprint != new.fingerprint


def test_out_of_date_image_is_remade_and_keeps_old_variants_without_prune(data: Path):
    new = ingestor_for(data, NEW_SPECS)
    before = folder(new)
    outcome = reprocess_upload(new, KEY)
    assert (outcome.status, outcome.code) == ("reprocessed", "Succeeded")
    assert outcome.message.startswith(f"reprocessed {outcome.image_id}: ")
    manifest = manifest_of(new)
    assert manifest["fingerprint"] == new.fingerprint
    assert [v["name"] for v in manifest["variants"]] == ["jpeg85", "webp", "hero"]
    assert_manifest_complete(new)
    # thumb is no longer configured, but without prune it stays where it was.
    assert before <= folder(new)
    assert any(k.endswith("/thumb.jpg") for k in folder(new))


def test_prune_removes_only_variants_no_longer_configured(data: Path):
    new = ingestor_for(data, NEW_SPECS)
    image_id = image_id_for_upload("uploads/", KEY)
    # Something else in the folder that is not a variant of the current specs either.
    new.storage.put("processed", f"{image_id}/old-hero.png", b"x", "image/png")
    outcome = reprocess_upload(new, KEY, prune=True)
    assert outcome.status == "reprocessed"
    listed = {v["key"] for v in manifest_of(new)["variants"]}
    assert folder(new) == listed | {manifest_key(image_id)}


def test_prune_on_an_up_to_date_image_cleans_leftovers(data: Path):
    new = ingestor_for(data, NEW_SPECS)
    reprocess_upload(new, KEY)  # remade, thumb kept
    outcome = reprocess_upload(new, KEY, prune=True)
    assert outcome.status == "up_to_date"
    assert not any(k.endswith("/thumb.jpg") for k in folder(new))
    assert_manifest_complete(new)


def test_up_to_date_image_is_a_read_of_the_manifest_and_heads_and_no_decode(
    data: Path, monkeypatch
):
    new = ingestor_for(data, NEW_SPECS)
    reprocess_upload(new, KEY)

    def no_decoding(*args, **kwargs):
        raise AssertionError("an up-to-date image must not be decoded")

    monkeypatch.setattr(pipeline, "make_variants", no_decoding)
    # One HEAD per listed variant too: up to date means the files are there as listed.
    variants = [("head", "processed", v["key"]) for v in manifest_of(new)["variants"]]
    spy = SpyStorage(new.storage)
    new.storage = spy
    image_id = image_id_for_upload("uploads/", KEY)
    outcome = reprocess_upload(new, KEY)
    assert (outcome.status, outcome.code) == ("up_to_date", "Succeeded")
    assert spy.calls == [
        ("get", "processed", manifest_key(image_id)),
        ("head", "uploads", KEY),
        *variants,
    ]


def test_same_specs_different_order_is_up_to_date(data: Path, monkeypatch):
    monkeypatch.setattr(pipeline, "make_variants", lambda *a, **k: pytest.fail("decoded"))
    shuffled = ingestor_for(data, list(reversed(OLD_SPECS)))
    assert reprocess_upload(shuffled, KEY).status == "up_to_date"


def test_a_replaced_original_is_remade_even_with_a_current_fingerprint(data: Path):
    new = ingestor_for(data, NEW_SPECS)
    reprocess_upload(new, KEY)
    new.storage.put("uploads", KEY, small_image(seed=5, size=(40, 40)), "image/jpeg")
    outcome = reprocess_upload(new, KEY)
    assert outcome.status == "reprocessed"
    assert manifest_of(new)["source"]["width"] == 40


def test_rejected_original_is_a_permanent_failure_with_its_reason(tmp_path: Path):
    new = ingestor_for(tmp_path, NEW_SPECS)
    new.storage.put("uploads", "uploads/notes.jpg", b"this is not an image", "image/jpeg")
    outcome = reprocess_upload(new, "uploads/notes.jpg")
    assert (outcome.status, outcome.code) == ("rejected", "PermanentFailure")
    assert "unsupported_format" in outcome.message
    # The second time, the rejection record answers without another decode.
    again = reprocess_upload(new, "uploads/notes.jpg")
    assert (again.status, again.detail) == ("rejected", outcome.detail)
    assert new.storage.get("uploads", "uploads/notes.jpg") == b"this is not an image"


def test_missing_original_and_outside_keys(tmp_path: Path):
    new = ingestor_for(tmp_path, NEW_SPECS)
    gone = reprocess_upload(new, "uploads/deleted.jpg")
    assert (gone.status, gone.code) == ("missing", "Succeeded")
    outside = reprocess_upload(new, "elsewhere/x.jpg")
    assert (outside.status, outside.code) == ("outside", "PermanentFailure")


def test_a_failure_mid_write_leaves_the_old_manifest_complete(data: Path):
    new = ingestor_for(data, NEW_SPECS)
    image_id = image_id_for_upload("uploads/", KEY)
    old_manifest = manifest_of(new)
    # The new `hero` variant cannot be written: storage gives up half way through.
    new.storage = SpyStorage(new.storage, fail_put={f"{image_id}/hero.webp"})
    outcome = reprocess_upload(new, KEY, prune=True)
    assert (outcome.status, outcome.code) == ("failed", "TemporaryFailure")
    assert manifest_of(new) == old_manifest
    assert_manifest_complete(new)
    # The retry Batch Operations makes then finishes the job.
    new.storage = new.storage.inner
    assert reprocess_upload(new, KEY, prune=True).status == "reprocessed"
    assert_manifest_complete(new)


# --- Stale transforms (issue 22, item 8) and a manifest that no longer matches its files -----

TRANSPARENT_KEY = "uploads/logo.png"
BLACK = {"PRISM_BACKGROUND": "#000000"}


def transparent_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 0, 0)).save(out, "PNG")
    return out.getvalue()


def jpeg_transform(ingestor, key: str) -> tuple[Answer, tuple[int, int, int]]:
    """A JPEG transform of the upload at `key`, and its top-left pixel: the background."""
    image_id = image_id_for_upload("uploads/", key)
    storage, settings = ingestor.storage, ingestor.settings
    answer = find_or_make(storage, settings, (), image_id, "width=20&format=jpeg", None)
    data = answer.data or storage.get("processed", answer.key)
    return answer, Image.open(io.BytesIO(data)).convert("RGB").getpixel((0, 0))


def near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 8 for a, b in zip(pixel, colour, strict=True))


def test_a_background_change_drops_the_stored_transforms_of_a_remade_image(tmp_path: Path):
    white = ingestor_for(tmp_path, NEW_SPECS)
    white.storage.put("uploads", TRANSPARENT_KEY, transparent_png(), "image/png")
    assert white.handle_upload(TRANSPARENT_KEY).status == "processed"
    stored, pixel = jpeg_transform(white, TRANSPARENT_KEY)
    assert stored.made
    assert near(pixel, (255, 255, 255))

    black = ingestor_for(tmp_path, NEW_SPECS, **BLACK)
    assert black.fingerprint != white.fingerprint  # the background is part of it
    outcome = reprocess_upload(black, TRANSPARENT_KEY)
    assert outcome.status == "reprocessed"
    assert black.storage.head("processed", stored.key) is None  # no stale result left
    again, pixel = jpeg_transform(black, TRANSPARENT_KEY)
    assert again.made
    assert near(pixel, (0, 0, 0))
    # An up-to-date image keeps the transforms it has: they are current.
    assert reprocess_upload(black, TRANSPARENT_KEY).status == "up_to_date"
    assert black.storage.head("processed", again.key) is not None


def test_a_manifest_whose_variant_sizes_are_off_is_repaired_not_up_to_date(data: Path):
    """A remake killed between overwriting a variant and writing the new manifest leaves the
    old manifest over new files: the next run must not call that up to date."""
    new = ingestor_for(data, NEW_SPECS)
    assert reprocess_upload(new, KEY).status == "reprocessed"
    listed = manifest_of(new)["variants"]
    new.storage.put("processed", listed[0]["key"], b"x" * 7, listed[0]["content_type"])
    repaired = reprocess_upload(new, KEY)
    assert repaired.status == "reprocessed"
    for variant in manifest_of(new)["variants"]:
        assert new.storage.head("processed", variant["key"]).size == variant["bytes"], variant
    assert reprocess_upload(new, KEY).status == "up_to_date"


def test_a_listed_variant_gone_from_storage_is_remade(data: Path):
    new = ingestor_for(data, NEW_SPECS)
    reprocess_upload(new, KEY)
    gone = manifest_of(new)["variants"][-1]["key"]
    new.storage.delete("processed", [gone])
    assert reprocess_upload(new, KEY).status == "reprocessed"
    assert_manifest_complete(new)


def test_a_key_storage_can_never_hold_is_a_permanent_failure(tmp_path: Path):
    new = ingestor_for(tmp_path, NEW_SPECS)
    outcome = reprocess_upload(new, "uploads/" + "a" * 300 + ".jpg")
    assert (outcome.status, outcome.code) == ("unstorable", "PermanentFailure")
    assert "too long" in outcome.message


class FailingTransformDeletes(SpyStorage):
    """Storage that cannot delete stored transforms (a throttled DeleteObjects), once."""

    def delete(self, bucket, keys):
        keys = list(keys)
        if any("/t/" in k for k in keys):
            raise StorageError("injected failure deleting transforms", transient=True)
        return self.inner.delete(bucket, keys)


def test_a_failed_drop_of_transforms_is_retried_not_forgotten(tmp_path: Path):
    white = ingestor_for(tmp_path, NEW_SPECS)
    white.storage.put("uploads", TRANSPARENT_KEY, transparent_png(), "image/png")
    white.handle_upload(TRANSPARENT_KEY)
    stored, _ = jpeg_transform(white, TRANSPARENT_KEY)
    black = ingestor_for(tmp_path, NEW_SPECS, **BLACK)
    real = black.storage
    black.storage = FailingTransformDeletes(real)
    assert reprocess_upload(black, TRANSPARENT_KEY).code == "TemporaryFailure"
    black.storage = real  # Batch Operations retries the task
    assert reprocess_upload(black, TRANSPARENT_KEY).status == "reprocessed"
    assert real.head("processed", stored.key) is None


# --- Manifests written before placeholders (issue 27) ----------------------------------------

NEW_FIELDS = ("width", "height", "placeholder", "color")


def make_old(ingestor, key: str = KEY) -> dict:
    """Rewrite the stored manifest as one written before placeholders: no such fields."""
    doc = {k: v for k, v in manifest_of(ingestor, key).items() if k not in NEW_FIELDS}
    image_id = image_id_for_upload("uploads/", key)
    ingestor.storage.put("processed", manifest_key(image_id), json.dumps(doc).encode(), "x")
    return doc


def test_an_old_manifest_gets_size_and_placeholder_with_one_small_decode(data: Path, monkeypatch):
    old = ingestor_for(data, OLD_SPECS)
    make_old(old)
    variants = {
        v["key"]: old.storage.get("processed", v["key"]) for v in manifest_of(old)["variants"]
    }
    calls = []
    real = pipeline.make_variants
    monkeypatch.setattr(
        pipeline, "make_variants", lambda *a, **k: calls.append(a[1]) or real(*a, **k)
    )
    spy = SpyStorage(old.storage)
    old.storage = spy
    outcome = reprocess_upload(old, KEY)
    assert (outcome.status, outcome.code) == ("filled_in", "Succeeded")
    assert outcome.message.startswith(f"filled_in {outcome.image_id}")
    assert calls == [(placeholder.SPEC,)]  # one decode, at the placeholder's size
    # The variants stay as they were: only the manifest is written.
    image_id = image_id_for_upload("uploads/", KEY)
    assert [c for c in spy.calls if c[0] == "put"] == [("put", "processed", manifest_key(image_id))]
    manifest = manifest_of(old)
    assert (manifest["width"], manifest["height"]) == (64, 48)
    assert manifest["color"].startswith("#")
    assert len(manifest["color"]) == 7
    assert len(base64.b64decode(manifest["placeholder"])) >= 5
    assert {k: old.storage.get("processed", k) for k in variants} == variants
    # Then it is up to date: no decode at all.
    monkeypatch.setattr(pipeline, "make_variants", lambda *a, **k: pytest.fail("decoded"))
    assert reprocess_upload(old, KEY).status == "up_to_date"


def test_the_filled_in_placeholder_is_the_one_an_upload_gets(data: Path):
    old = ingestor_for(data, OLD_SPECS)
    fresh = manifest_of(old)
    make_old(old)
    reprocess_upload(old, KEY)
    filled = manifest_of(old)
    assert filled["color"] == fresh["color"]
    assert filled["placeholder"] == fresh["placeholder"]


def test_an_old_manifest_with_old_specs_is_remade_with_a_placeholder(data: Path):
    make_old(ingestor_for(data, OLD_SPECS))
    new = ingestor_for(data, NEW_SPECS)
    assert reprocess_upload(new, KEY).status == "reprocessed"
    assert all(manifest_of(new)[k] is not None for k in NEW_FIELDS)


def test_an_old_manifest_whose_original_the_limits_now_refuse_is_rejected(data: Path):
    make_old(ingestor_for(data, OLD_SPECS))
    strict = ingestor_for(data, OLD_SPECS, PRISM_MAX_PIXELS="1000")
    outcome = reprocess_upload(strict, KEY)
    assert (outcome.status, outcome.code) == ("rejected", "PermanentFailure")
    assert "too_large" in outcome.message


def test_a_fill_in_of_an_original_deleted_meanwhile_leaves_nothing(data: Path, monkeypatch):
    old = ingestor_for(data, OLD_SPECS)
    make_old(old)
    real = pipeline.make_variants

    def deleting(*args, **kwargs):
        old.storage.delete("uploads", [KEY])  # a DELETE while the original is decoded
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "make_variants", deleting)
    outcome = reprocess_upload(old, KEY)
    assert outcome.status == "missing"
    assert folder(old) == set()
