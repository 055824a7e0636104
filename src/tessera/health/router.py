"""`GET /v1/health`: is the service up and does its database answer."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

import tessera
from tessera.deps import RuntimeDep, TransactionalRoute
from tessera.observability import get_logger

router = APIRouter(tags=["operations"], route_class=TransactionalRoute)
log = get_logger(__name__)


class HealthRead(BaseModel):
    """The service's health."""

    status: str
    database: str
    version: str
    timestamp: datetime


@router.get(
    "/v1/health",
    response_model=HealthRead,
    responses={503: {"model": HealthRead, "description": "The database does not answer."}},
)
def health(runtime: RuntimeDep) -> JSONResponse:
    """200 when the database answers `SELECT 1`, else 503."""
    try:
        runtime.db.ping()
        ok = True
    except (SQLAlchemyError, OSError):
        log.warning("health_check_failed", exc_info=True)
        ok = False
    body = HealthRead(
        status="ok" if ok else "unavailable",
        database="ok" if ok else "unavailable",
        version=tessera.__version__,
        timestamp=runtime.now(),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if ok else 503)
