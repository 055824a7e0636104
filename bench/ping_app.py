"""The reference for `make bench`: bare FastAPI routes with no work, under the same server."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/ping-sync")
def ping_sync() -> dict[str, str]:
    """A plain ``def`` route: FastAPI runs it on the thread pool."""
    return {"status": "ok"}


@app.get("/ping-async")
async def ping_async() -> dict[str, str]:
    """An ``async def`` route: it runs on the event loop."""
    return {"status": "ok"}
