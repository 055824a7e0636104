"""The refresh-token cookies of the web app, and the checks that keep other sites out.

One cookie per signed-in user, ``tessera_rt_<user id>``, holding that user's refresh token:
``HttpOnly`` (no script reads it), ``Secure``, ``SameSite=Strict`` and ``Path=/v1/auth/refresh``
(it is sent to the refresh routes only, never to the rest of the API). Chromium keeps ``Secure``
cookies on http://127.0.0.1 and http://localhost, which browsers treat as secure contexts, so
``make run`` and the browser tests work unchanged; ``REFRESH_COOKIE_SECURE=false`` exists only
for a plain-http deployment on another address.

Cross-site request forgery: a route that reads the cookie answers only a request that carries
``X-Tessera-Session: cookie`` (a custom header, which no form or cross-origin script can send
without a CORS preflight that this service does not grant) and whose ``Origin`` and
``Sec-Fetch-Site``, when the browser sends them, are this service's own or a configured
``CORS_ORIGINS`` origin. SECURITY.md explains why this rather than a double-submit token.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi import Request, Response

from tessera.config import Settings
from tessera.errors import Forbidden

SESSION_HEADER = "X-Tessera-Session"
SESSION_HEADER_VALUE = "cookie"
COOKIE_PATH = "/v1/auth/refresh"
COOKIE_PREFIX = "tessera_rt_"
# At most this many users' cookies are read from one request (each costs a rotation).
MAX_SESSIONS = 8
_USER_ID = re.compile(r"[A-Za-z0-9_]{1,40}")


class CrossSiteRequest(Forbidden):
    default_code = "csrf_rejected"
    default_message = (
        "This route answers only the Tessera web app on its own site "
        "(send X-Tessera-Session: cookie from the same origin)."
    )


def wants_cookie(request: Request) -> bool:
    """Whether the caller (the web app) asks for its refresh token in a cookie."""
    return request.headers.get(SESSION_HEADER) == SESSION_HEADER_VALUE


def check_same_site(request: Request, settings: Settings) -> None:
    """Refuse a request to a cookie route that another site could have made."""
    if not wants_cookie(request):
        raise CrossSiteRequest()
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise CrossSiteRequest()
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser's cross-origin request (browsers send Origin on every POST)
    if origin in settings.cors_origins:
        return
    host = request.headers.get("host")
    if host is None or urlsplit(origin).netloc != host:
        raise CrossSiteRequest()


def cookie_name(user_id: str) -> str:
    return f"{COOKIE_PREFIX}{user_id}"


def refresh_tokens(request: Request) -> dict[str, str]:
    """The refresh token of each user this browser holds a cookie for (at most MAX_SESSIONS)."""
    found: dict[str, str] = {}
    for name, value in sorted(request.cookies.items()):
        user_id = name.removeprefix(COOKIE_PREFIX)
        if name.startswith(COOKIE_PREFIX) and _USER_ID.fullmatch(user_id) and value:
            found[user_id] = value
        if len(found) == MAX_SESSIONS:
            break
    return found


def set_refresh_cookie(
    response: Response, settings: Settings, *, user_id: str, refresh_token: str
) -> None:
    response.set_cookie(
        cookie_name(user_id),
        refresh_token,
        max_age=settings.refresh_token_ttl_seconds,
        path=COOKIE_PATH,
        secure=settings.refresh_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def clear_refresh_cookie(response: Response, settings: Settings, *, user_id: str) -> None:
    response.delete_cookie(
        cookie_name(user_id),
        path=COOKIE_PATH,
        secure=settings.refresh_cookie_secure,
        httponly=True,
        samesite="strict",
    )
