"""Serving the browser app's build at ``/``, with client-side routes falling back to it.

There is no catch-all route (it would turn every unknown API path into a 405); instead the 404
handler asks ``web_response`` whether a GET for a non-API path is a file of the build or a
client-side route, which gets ``index.html``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response

API_PREFIXES = ("/v1/", "/api/", "/docs", "/openapi.json", "/metrics", "/register", "/status/")


def web_dist_dir() -> Path:
    """The built app: packaged beside the code (``tessera/_web``, as the container image has
    it), or where ``make web`` puts it in a checkout (``web/dist``)."""
    packaged = Path(__file__).resolve().parent / "_web"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "web" / "dist"


_NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Tessera</title></head><body><main><h1>Tessera</h1>
<p>The web app has not been built. Run <code>make web</code> (or <code>make run</code>).</p>
<p>The API is documented at <a href="/docs">/docs</a>.</p></main></body></html>"""


_DOCS = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera API</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/swagger-ui/init.js"></script></body></html>"""

_DOCS_NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Tessera API</title></head><body><main><h1>Tessera API</h1>
<p>The interactive documentation comes with the web build: run <code>make web</code>.</p>
<p>The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</p></main></body></html>"""


def docs_page(dist: Path | None = None) -> HTMLResponse:
    """``/docs``: Swagger UI from the web build (swagger-ui-dist), with no inline script."""
    root = dist or web_dist_dir()
    built = (root / "swagger-ui" / "swagger-ui-bundle.js").is_file()
    return HTMLResponse(_DOCS if built else _DOCS_NOT_BUILT, headers={"Cache-Control": "no-cache"})


def web_response(request: Request, dist: Path | None = None) -> Response | None:
    """The web app's answer for an unmatched GET, or None when it is not the web app's path."""
    if request.method not in ("GET", "HEAD"):
        return None
    path = request.url.path
    if path.startswith(API_PREFIXES) or path in {"/v1", "/api"}:
        return None
    root = (dist or web_dist_dir()).resolve()
    index = root / "index.html"
    if not index.is_file():
        return HTMLResponse(_NOT_BUILT) if path == "/" else None
    relative = path.lstrip("/")
    candidate = (root / relative).resolve()
    if relative and candidate.is_file() and candidate.is_relative_to(root):
        cache = "public, max-age=31536000, immutable" if "/assets/" in path else "no-cache"
        return FileResponse(candidate, headers={"Cache-Control": cache})
    if "." in Path(relative).name:
        return None
    return FileResponse(index, headers={"Cache-Control": "no-cache"})
