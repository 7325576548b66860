"""Prism's Pulumi program: resources grouped by what they do. `__main__.py` stays thin."""
