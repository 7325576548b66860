"""Image layer: bytes in, encoded variants out (Pillow). Imports prism.core only."""
