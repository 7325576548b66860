"""Prism: turn one uploaded image into web-ready variants."""

__version__ = "0.1.0"
