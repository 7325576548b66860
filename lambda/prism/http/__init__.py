"""HTTP layer: the FastAPI app, its routers and dependencies. Imports service and below."""
