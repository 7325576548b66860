"""Service layer: what Prism does with an upload (ingest, look up, delete, S3 events).
Imports image, storage and core."""
