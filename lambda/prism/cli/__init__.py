"""The `prism` command. Top layer: may import anything below."""
