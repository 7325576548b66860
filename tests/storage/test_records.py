"""Manifest records: the size and placeholder fields round-trip, and a manifest written before
they existed still reads (its size from the source, no placeholder)."""

from __future__ import annotations

from prism.storage.records import ManifestRecord, SourceRecord, VariantRecord

OLD = {  # a manifest as Prism wrote it before issue 27
    "id": "0000abc",
    "status": "processed",
    "processed_at": "2026-01-02T03:04:05Z",
    "source": {
        "key": "uploads/0000abc",
        "etag": "e",
        "format": "JPEG",
        "width": 40,
        "height": 30,
        "mode": "RGB",
        "frames": 1,
        "bytes": 1234,
    },
    "variants": [
        {
            "name": "thumb",
            "format": "jpeg",
            "content_type": "image/jpeg",
            "width": 40,
            "height": 30,
            "bytes": 321,
            "key": "0000abc/thumb.jpg",
        }
    ],
    "fingerprint": "sha256:00",
}


def test_an_old_manifest_reads_with_its_size_and_no_placeholder() -> None:
    record = ManifestRecord.from_json(OLD)
    assert (record.width, record.height) == (40, 30)
    assert (record.placeholder, record.color) == (None, None)


def test_size_placeholder_and_colour_round_trip() -> None:
    record = ManifestRecord(
        id="0000abc",
        processed_at="2026-01-02T03:04:05Z",
        source=SourceRecord("uploads/0000abc", "e", "JPEG", 30, 40, "RGB", 1, 10),
        variants=(VariantRecord("thumb", "jpeg", "image/jpeg", 30, 40, 3, "0000abc/t.jpg"),),
        width=30,
        height=40,
        placeholder="1QcSHQRnh493V4dIh4eXh1h4kJUI",
        color="#a1b2c3",
    )
    doc = record.to_json()
    assert {k: doc[k] for k in ("width", "height", "placeholder", "color")} == {
        "width": 30,
        "height": 40,
        "placeholder": "1QcSHQRnh493V4dIh4eXh1h4kJUI",
        "color": "#a1b2c3",
    }
    assert ManifestRecord.from_json(doc) == record
