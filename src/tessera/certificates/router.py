"""HTTP routes for the firms' certificates and the deployment's public PKI documents."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, Response

from tessera.certificates import authority, issuance, names, service
from tessera.certificates.schemas import (
    CertificateCreate,
    CertificateCreated,
    CertificateRead,
    CertificateRenew,
    CertificateUpdate,
    DomainCreate,
    DomainRead,
)
from tessera.crypto.pki import RevocationReason
from tessera.deps import (
    CurrentPrincipal,
    IdempotentDep,
    PageDep,
    RuntimeDep,
    SessionDep,
    TransactionalRoute,
)
from tessera.kit.pagination import PageRead
from tessera.models.certificate import CertificateStatus

router = APIRouter(tags=["certificates"], route_class=TransactionalRoute)
domains_router = APIRouter(
    prefix="/v1/firms/{firm_id}/domains", tags=["firms"], route_class=TransactionalRoute
)

# The generated private key is shown once and never stored, not even for idempotent replays.
SENT_ONCE: Final = frozenset({"private_key_pem"})
PEM_CHAIN_TYPE: Final = "application/pem-certificate-chain"
PEM_FILE_TYPE: Final = "application/x-pem-file"

_NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: {"description": "No such certificate, or one the caller may not see."}
}
_ISSUE_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    403: {"description": "A customer named another owner, or the scope is missing."},
    404: {"description": "`owner_id` is not an active user of the firm."},
    409: {
        "description": "`name_owned_by_another_firm` (a DNS name, or a wildcard covering it, "
        "is certified to or declared by another firm), `idempotency_key_reused` or "
        "`idempotency_key_in_use`."
    },
    422: {
        "description": "`validation_error`, `ip_san_not_allowed`, or a refused CSR: "
        "`invalid_csr`, `csr_signature_invalid`, `weak_key`, `csr_requests_ca`."
    },
    503: {"description": "`pki_not_initialised` or `issuing_ca_expired`."},
}


def _read(view: service.CertificateView) -> CertificateRead:
    row = view.certificate
    return CertificateRead(
        id=row.id,
        owner_id=row.owner_id,
        serial_number=row.serial_number,
        common_name=row.common_name,
        subject_alt_names=list(row.subject_alt_names),
        not_before=row.not_before,
        not_after=row.not_after,
        status=CertificateStatus(row.status),
        fingerprint_sha256=row.fingerprint_sha256,
        certificate_pem=row.certificate_pem,
        chain_pem=view.chain_pem,
        key_algorithm=row.key_algorithm,
        revocation_reason=RevocationReason(row.revocation_reason)
        if row.revocation_reason
        else None,
        revoked_at=row.revoked_at,
        labels=dict(row.labels),
        notify_days_before_expiry=list(row.notify_days_before_expiry),
        renewal_of=row.renewal_of_id,
        created_at=row.created_at,
    )


def _created(view: service.CertificateView) -> CertificateCreated:
    return CertificateCreated(**_read(view).model_dump(), private_key_pem=view.private_key_pem)


@router.post(
    "/v1/certificates",
    status_code=status.HTTP_201_CREATED,
    response_model=CertificateCreated,
    responses=_ISSUE_ERRORS,
)
def create_certificate(
    body: CertificateCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    idempotent: IdempotentDep,
) -> Response:
    """Issue a certificate: sign a CSR, or generate a key pair (its private key is shown once)."""
    now = runtime.now()
    request = issuance.IssueRequest(
        common_name=body.common_name,
        subject_alt_names=body.subject_alt_names,
        validity_days=body.validity_days,
        owner_id=body.owner_id,
        csr_pem=body.csr,
        key_algorithm=body.key_algorithm,
        key_passphrase=body.key_passphrase.get_secret_value() if body.key_passphrase else None,
        labels=body.labels,
        notify_days_before_expiry=body.notify_days_before_expiry,
    )
    return idempotent.run(
        body,
        status.HTTP_201_CREATED,
        lambda: _created(
            issuance.issue_certificate(
                runtime.db.session_scope,
                session,
                runtime.keyring,
                principal=principal,
                request=request,
                now=now,
            )
        ),
        sent_once=SENT_ONCE,
        slow=True,
    )


@router.get("/v1/certificates", response_model=PageRead[CertificateRead])
def list_certificates(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    owner_id: Annotated[str | None, Query(max_length=40, description="Only this owner's.")] = None,
    status: Annotated[CertificateStatus | None, Query(description="Only this status.")] = None,
) -> PageRead[CertificateRead]:
    """List certificates, newest first (a customer sees only their own)."""
    result = service.list_certificates(
        session, principal=principal, owner_id=owner_id, status=status, page=page
    )
    return PageRead[CertificateRead].of(result, _read)


@router.get(
    "/v1/certificates/{certificate_id}", response_model=CertificateRead, responses=_NOT_FOUND
)
def get_certificate(
    certificate_id: str, session: SessionDep, principal: CurrentPrincipal
) -> CertificateRead:
    """Get one certificate (never its private key)."""
    return _read(
        service.get_certificate(session, principal=principal, certificate_id=certificate_id)
    )


@router.patch(
    "/v1/certificates/{certificate_id}",
    response_model=CertificateRead,
    responses={
        **_NOT_FOUND,
        409: {"description": "`invalid_status_transition`: a revoked certificate stays revoked."},
        422: {"description": "`validation_error`."},
    },
)
def update_certificate(
    certificate_id: str,
    body: CertificateUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> CertificateRead:
    """Activate, deactivate or revoke a certificate; set its labels or expiry notices."""
    return _read(
        service.update_certificate(
            session,
            runtime.keyring,
            principal=principal,
            certificate_id=certificate_id,
            status=body.status,
            revocation_reason=body.revocation_reason,
            labels=body.labels,
            notify_days_before_expiry=body.notify_days_before_expiry,
            now=runtime.now(),
        )
    )


@router.post(
    "/v1/certificates/{certificate_id}/renew",
    status_code=status.HTTP_201_CREATED,
    response_model=CertificateCreated,
    responses={
        **_NOT_FOUND,
        409: {
            "description": "`certificate_revoked`, `name_owned_by_another_firm`, or an "
            "idempotency conflict."
        },
        422: {"description": "`ip_san_not_allowed`: the firm no longer allows IP SANs."},
        503: {"description": "`pki_not_initialised` or `issuing_ca_expired`."},
    },
)
def renew_certificate(
    certificate_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    idempotent: IdempotentDep,
    body: CertificateRenew | None = None,
) -> Response:
    """Issue a new certificate for the same subject, names and public key."""
    now = runtime.now()
    return idempotent.run(
        body,
        status.HTTP_201_CREATED,
        lambda: _created(
            issuance.renew_certificate(
                runtime.db.session_scope,
                session,
                runtime.keyring,
                principal=principal,
                certificate_id=certificate_id,
                validity_days=body.validity_days if body else None,
                now=now,
            )
        ),
        sent_once=SENT_ONCE,
        slow=True,
    )


@router.get(
    "/v1/pki/ca.pem",
    tags=["pki"],
    response_class=Response,
    responses={
        200: {
            "content": {PEM_CHAIN_TYPE: {}},
            "description": "PEM certificates: each live issuing intermediate, newest first, "
            "then the root. Public, like any CA certificate.",
        },
        503: {"description": "`pki_not_initialised`."},
    },
)
def get_ca_chain(session: SessionDep, runtime: RuntimeDep) -> Response:
    """The CA chain to trust (`openssl verify -CAfile`); no authentication needed."""
    return Response(
        authority.ca_bundle_pem(session, now=runtime.now()),
        media_type=PEM_CHAIN_TYPE,
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get(
    "/v1/pki/firms/{firm_id}/ca.pem",
    tags=["pki"],
    response_class=Response,
    responses={
        200: {
            "content": {PEM_CHAIN_TYPE: {}},
            "description": "PEM certificates: the firm's own live issuing intermediates, newest "
            "first, without the root. Pin them as trust anchors (`openssl verify "
            "-partial_chain`) to accept this firm's certificates and no other firm's. Public.",
        },
        404: {"description": "No such firm, or it has issued no certificate yet."},
    },
)
def get_firm_ca(firm_id: str, session: SessionDep, runtime: RuntimeDep) -> Response:
    """One firm's issuing CAs, to trust that firm alone; no authentication needed."""
    return Response(
        authority.firm_ca_pem(session, firm_id=firm_id, now=runtime.now()),
        media_type=PEM_CHAIN_TYPE,
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get(
    "/v1/pki/crl.pem",
    tags=["pki"],
    response_class=Response,
    responses={
        200: {
            "content": {PEM_FILE_TYPE: {}},
            "description": "One PEM CRL per live issuing intermediate, the active one first. "
            "Re-signed on every revocation and before each nextUpdate. Public.",
        },
        503: {"description": "`pki_not_initialised`."},
    },
)
def get_crl(session: SessionDep, runtime: RuntimeDep) -> Response:
    """The current certificate revocation lists; no authentication needed."""
    return Response(
        authority.crl_bundle_pem(session, now=runtime.now()),
        media_type=PEM_FILE_TYPE,
        headers={"Cache-Control": "public, max-age=60"},
    )


# --- declared domains -------------------------------------------------------------------------


@domains_router.post(
    "",
    status_code=status.HTTP_200_OK,
    response_model=DomainRead,
    responses={
        201: {"model": DomainRead, "description": "The domain was declared."},
        409: {
            "description": "`name_owned_by_another_firm`: another firm declared this domain "
            "(or one above or below it) or holds a live certificate under it."
        },
    },
)
def declare_domain(
    firm_id: str,
    body: DomainCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> Response:
    """Declare a DNS domain as the firm's (firm admins); 200 when it already was."""
    domain, created = names.declare_domain(
        session, principal=principal, firm_id=firm_id, domain=body.domain, now=runtime.now()
    )
    return JSONResponse(
        DomainRead.model_validate(domain).model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


@domains_router.get("", response_model=PageRead[DomainRead])
def list_domains(
    firm_id: str, session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> PageRead[DomainRead]:
    """List the domains the firm declared (firm admins)."""
    result = names.list_domains(session, principal=principal, firm_id=firm_id, page=page)
    return PageRead[DomainRead].of(result, DomainRead.model_validate)


@domains_router.delete("/{domain_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_domain(
    firm_id: str,
    domain_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> Response:
    """Withdraw a declared domain (firm admins); certificates already issued are untouched."""
    names.remove_domain(
        session, principal=principal, firm_id=firm_id, domain_id=domain_id, now=runtime.now()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
