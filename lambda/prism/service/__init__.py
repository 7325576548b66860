"""Service: what Prism does with an upload, an event or a Batch Operations task."""
