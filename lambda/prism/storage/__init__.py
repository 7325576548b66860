"""Storage layer: one interface (S3, local directory), the key layout and the stored records.
Imports prism.core only."""
