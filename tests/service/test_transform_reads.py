"""A cold transform reads what it needs once: the original is read, never checked first."""

from pathlib import Path

import pytest

from prism.core.settings import load_settings
from prism.service.transforms import NotAvailable, find_or_make
from prism.storage.layout import new_image_id, upload_key
from prism.storage.local import LocalStorage
from tests.images import photo_like


class Counting(LocalStorage):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: list[tuple[str, str]] = []

    def head(self, bucket, key):
        self.calls.append(("head", bucket))
        return super().head(bucket, key)

    def get(self, bucket, key):
        self.calls.append(("get", bucket))
        return super().get(bucket, key)


def test_a_pending_upload_is_read_once_and_checked_only_after_the_render(tmp_path):
    """Read once, never hashed first; one HEAD after the result is stored, which is how a
    pending image deleted meanwhile is told apart (issue 22 item 2)."""
    settings = load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path)})
    storage = Counting(tmp_path)
    image_id = new_image_id()
    storage.put(
        "uploads", upload_key(settings.uploads_prefix, image_id), photo_like(320, 240), "image/jpeg"
    )
    answer = find_or_make(storage, settings, (), image_id, "width=100&format=webp", None)
    assert answer.made
    assert answer.size > 0
    # Local storage's HEAD is a read (counted as a get too): one read besides it.
    assert storage.calls.count(("head", "uploads")) == 1
    assert storage.calls.count(("get", "uploads")) == 2
    assert storage.calls.index(("get", "uploads")) < storage.calls.index(("head", "uploads"))


def test_an_unknown_id_is_404(tmp_path):
    settings = load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path)})
    with pytest.raises(NotAvailable) as caught:
        find_or_make(Counting(tmp_path), settings, (), new_image_id(), "width=100", None)
    assert caught.value.status == 404
