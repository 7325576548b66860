"""Shared constants for the API-key tests (a uniquely named module: conftest names clash)."""

KEYS = ("first-key-0123456789abcdef0123456789", "second-key-for-rotation-abcdef012345")
