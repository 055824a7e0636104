"""HTTP routes for courier file imports and card delivery statuses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from tessera.deliveries.imports import orchestrator, reports
from tessera.deliveries.imports.parsing import DeliveryKind
from tessera.deliveries.schemas import (
    CardStatusList,
    CardStatusRead,
    ImportErrorRead,
    ImportRead,
    ImportWarningRead,
)
from tessera.deliveries.status import service as delivery_status
from tessera.deps import (
    CurrentPrincipal,
    PageDep,
    RuntimeDep,
    SessionDep,
    TransactionalRoute,
    require_scope,
)
from tessera.errors import UnsupportedMediaType
from tessera.kit.pagination import PageRead
from tessera.kit.text import PlainText
from tessera.principal import Principal, Scope

router = APIRouter(tags=["deliveries"], route_class=TransactionalRoute)

_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "The file is larger than MAX_UPLOAD_BYTES (`payload_too_large`)."},
    415: {"description": "The body is not multipart/form-data (`unsupported_media_type`)."},
    422: {
        "description": "The file as a whole cannot be imported: `unrecognised_header` (details "
        "name the expected columns), `undetermined_kind`, `empty_file`, `unreadable_file` "
        "(not UTF-8), or `validation_error`."
    },
}


def require_multipart(request: Request) -> None:
    """415 unless the body is multipart/form-data."""
    content_type = request.headers.get("content-type", "").lower()
    if not content_type.startswith("multipart/form-data"):
        raise UnsupportedMediaType("Send the file as multipart/form-data, in the `file` field.")


@router.post(
    "/v1/deliveries/imports",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportRead,
    responses={
        202: {"model": ImportRead, "description": "A large file, queued: poll its report."},
        **_ERRORS,
    },
)
def create_import(
    file: Annotated[UploadFile, File(description="The courier's CSV file (UTF-8).")],
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require_scope(Scope.DELIVERIES_WRITE))],
    _multipart: Annotated[None, Depends(require_multipart)],
    partner: Annotated[
        PlainText | None,
        Form(
            max_length=64,
            description="The courier partner; its phone region and time zone apply "
            "(the firm's defaults when it has none configured).",
        ),
    ] = None,
    kind: Annotated[
        DeliveryKind | None,
        Form(description="The file's kind; detected from its header or name when absent."),
    ] = None,
) -> JSONResponse:
    """Import a courier CSV file: 201 with the report, or 202 `queued` for a large file."""
    submitted = orchestrator.submit_upload(
        runtime,
        principal=principal,
        upload=file.file,
        file_name=file.filename or "upload.csv",
        partner=partner,
        kind=kind,
    )
    return JSONResponse(
        jsonable_encoder(ImportRead.of(submitted.report)),
        status_code=status.HTTP_202_ACCEPTED if submitted.queued else status.HTTP_201_CREATED,
    )


@router.get("/v1/deliveries/imports", response_model=PageRead[ImportRead])
def list_imports(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> PageRead[ImportRead]:
    """List the firm's import reports, newest first."""
    result = reports.list_imports(session, principal=principal, page=page)
    return PageRead[ImportRead].of(result, ImportRead.of)


@router.get("/v1/deliveries/imports/{import_id}", response_model=ImportRead)
def get_import(import_id: str, session: SessionDep, principal: CurrentPrincipal) -> ImportRead:
    """Get one import report (poll it until `status` is `completed` or `failed`)."""
    return ImportRead.of(reports.get_import(session, principal=principal, import_id=import_id))


@router.get("/v1/deliveries/imports/{import_id}/errors", response_model=PageRead[ImportErrorRead])
def list_import_errors(
    import_id: str, session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> PageRead[ImportErrorRead]:
    """Every rejected line of an import, by line number (the report shows the first 100)."""
    result = reports.list_import_errors(
        session, principal=principal, import_id=import_id, page=page
    )
    return PageRead[ImportErrorRead].of(
        result, lambda error: ImportErrorRead(row=error.row, message=error.message)
    )


@router.get(
    "/v1/deliveries/imports/{import_id}/warnings", response_model=PageRead[ImportWarningRead]
)
def list_import_warnings(
    import_id: str, session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> PageRead[ImportWarningRead]:
    """Every line imported with a warning, by line number (the report shows the first 100)."""
    result = reports.list_import_warnings(
        session, principal=principal, import_id=import_id, page=page
    )
    return PageRead[ImportWarningRead].of(
        result, lambda warning: ImportWarningRead(row=warning.row, message=warning.message)
    )


@router.get(
    "/v1/card-status",
    response_model=CardStatusRead | CardStatusList,
    responses={
        404: {"description": "No delivery is known for this card or phone."},
        422: {"description": "Neither `card_id` nor `phone`, or a malformed one."},
    },
)
def get_card_status(
    session: SessionDep,
    principal: CurrentPrincipal,
    card_id: Annotated[
        str | None, Query(max_length=64, description="The courier's card id (ZYW8827).")
    ] = None,
    phone: Annotated[
        str | None,
        Query(max_length=32, description="Any common format: 585949014, +971 58 594 9014..."),
    ] = None,
) -> CardStatusRead | CardStatusList:
    """A card's delivery status and history; `{items}` when a phone has several cards."""
    views = delivery_status.card_status(session, principal=principal, card_id=card_id, phone=phone)
    if len(views) == 1:
        return CardStatusRead.of(views[0])
    return CardStatusList(items=[CardStatusRead.of(v) for v in views])
