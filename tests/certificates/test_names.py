"""DNS names belong to one firm: certified names, wildcards, declared domains, IP SANs, races."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest

from tessera import rawsql
from tessera.certificates import issuance
from tessera.config import Settings
from tessera.errors import TesseraError
from tessera.identity.service import resolve_principal
from tessera.principal import Principal
from tessera.runtime import Runtime, build_runtime
from tests.support.api import Api, Caller
from tests.support.certificates import issue, patch
from tests.support.firms import Tenant, create_tenant, platform_admin

OWNED = "name_owned_by_another_firm"


def refused(caller: Caller, **body: Any) -> dict[str, Any]:
    """Ask for a certificate that must be refused with 409; the error."""
    body.setdefault("common_name", "refused.example")
    response = caller.post("/v1/certificates", json=body)
    # Not the body: an issued certificate's answer holds its private key.
    assert response.status_code == 409, (response.status_code, response.json().get("error"))
    error: dict[str, Any] = response.json()["error"]
    return error


def declare(caller: Caller, firm_id: str, domain: str) -> httpx.Response:
    return caller.post(f"/v1/firms/{firm_id}/domains", json={"domain": domain})


@pytest.fixture
def firms(api: Api) -> tuple[Tenant, Tenant]:
    """Two firms, A and B, made by one platform admin."""
    admin = platform_admin(api)
    return create_tenant(api, admin), create_tenant(api, admin)


class TestCertifiedNames:
    def test_a_name_certified_to_one_firm_is_refused_to_another(
        self, firms: tuple[Tenant, Tenant]
    ) -> None:
        a, b = firms
        issue(a.customer(), common_name="api.acme-cards.example")

        error = refused(
            b.customer(),
            common_name="Acme API",
            subject_alt_names=["shop.b.example", "API.acme-cards.example"],
        )

        assert error["code"] == OWNED
        assert error["details"] == {
            "field": "subject_alt_names",
            "index": 1,
            "held_by": "certificate",
        }
        assert "acme-cards" not in error["message"]
        assert b.admin.get("/v1/certificates").json()["total"] == 0

    def test_a_common_name_that_becomes_the_dns_name_is_checked_too(
        self, firms: tuple[Tenant, Tenant]
    ) -> None:
        a, b = firms
        issue(a.admin, common_name="api.acme-cards.example")

        error = refused(b.admin, common_name="api.acme-cards.example")

        assert error["details"]["field"] == "common_name"

    def test_a_wildcard_conflicts_with_the_names_it_covers_both_ways(
        self, firms: tuple[Tenant, Tenant], api: Api
    ) -> None:
        a, b = firms
        issue(a.admin, common_name="api", subject_alt_names=["api.acme-cards.example"])
        issue(b.admin, common_name="wild", subject_alt_names=["*.other-cards.example"])

        # B asks for a wildcard covering A's name; A asks for a name under B's wildcard.
        assert refused(b.admin, subject_alt_names=["*.acme-cards.example"])["code"] == OWNED
        assert refused(a.admin, subject_alt_names=["pay.other-cards.example"])["code"] == OWNED
        assert refused(a.admin, subject_alt_names=["*.other-cards.example"])["code"] == OWNED
        # A wildcard covers one label only (RFC 6125): deeper names and the parent are free.
        issue(b.admin, common_name="deep", subject_alt_names=["x.api.acme-cards.example"])
        issue(a.admin, common_name="apex", subject_alt_names=["other-cards.example"])

    def test_the_owning_firm_keeps_issuing_and_revocation_frees_the_name(
        self, firms: tuple[Tenant, Tenant]
    ) -> None:
        a, b = firms
        first = issue(a.admin, common_name="api.acme-cards.example")
        second = issue(a.customer(), common_name="api.acme-cards.example")
        renewed = a.admin.post(f"/v1/certificates/{first['id']}/renew")
        assert renewed.status_code == 201, renewed.text

        for certificate in (first, second, renewed.json()):
            patch(a.admin, certificate["id"], status="inactive")
        # Inactive is reversible, so the names stay A's.
        assert refused(b.admin, common_name="api.acme-cards.example")["code"] == OWNED
        for certificate in (first, second, renewed.json()):
            patch(a.admin, certificate["id"], status="revoked", revocation_reason="superseded")

        issue(b.admin, common_name="api.acme-cards.example")
        assert refused(a.admin, common_name="api.acme-cards.example")["code"] == OWNED

    def test_an_expired_certificate_frees_its_names(
        self, firms: tuple[Tenant, Tenant], runtime: Runtime
    ) -> None:
        a, b = firms
        issue(a.admin, common_name="api.acme-cards.example", validity_days=1)
        start = runtime.now()
        runtime.clock = lambda: start + timedelta(days=2)
        b.admin.relogin()
        a.admin.relogin()

        issue(b.admin, common_name="api.acme-cards.example")
        assert refused(a.admin, common_name="api.acme-cards.example")["code"] == OWNED


class TestDeclaredDomains:
    def test_a_declared_domain_blocks_every_name_under_it_for_other_firms(
        self, firms: tuple[Tenant, Tenant]
    ) -> None:
        a, b = firms
        created = declare(a.admin, a.id, "Acme-Cards.example")
        assert created.status_code == 201, created.text
        assert created.json()["domain"] == "acme-cards.example"

        for name in ("acme-cards.example", "x.y.acme-cards.example", "*.acme-cards.example"):
            error = refused(b.admin, subject_alt_names=[name])
            assert error["details"]["held_by"] == "declared_domain", name
        issue(a.customer(), common_name="x.y.acme-cards.example")
        issue(b.admin, common_name="acme-cards.example.b.example")

    def test_a_wildcard_over_a_declared_domain_is_refused(
        self, firms: tuple[Tenant, Tenant]
    ) -> None:
        a, b = firms
        assert declare(a.admin, a.id, "pay.acme-cards.example").status_code == 201

        assert refused(b.admin, subject_alt_names=["*.acme-cards.example"])["code"] == OWNED
        issue(b.admin, common_name="shop.acme-cards.example")

    def test_declaring_what_another_firm_holds_or_declared_is_refused(
        self, firms: tuple[Tenant, Tenant]
    ) -> None:
        a, b = firms
        issue(a.admin, common_name="api.acme-cards.example")
        assert declare(a.admin, a.id, "acme-pay.example").status_code == 201

        held = declare(b.admin, b.id, "acme-cards.example")
        exact = declare(b.admin, b.id, "acme-pay.example")
        below = declare(b.admin, b.id, "eu.acme-pay.example")
        above_sub = declare(b.admin, b.id, "api.acme-cards.example")

        assert [r.status_code for r in (held, exact, below, above_sub)] == [409] * 4
        assert held.json()["error"]["details"] == {"field": "domain", "held_by": "certificate"}
        assert exact.json()["error"]["details"]["held_by"] == "declared_domain"
        assert below.json()["error"]["details"]["held_by"] == "declared_domain"
        assert declare(b.admin, b.id, "b-cards.example").status_code == 201
        assert declare(a.admin, a.id, "eu.b-cards.example").status_code == 409

    def test_declaring_is_idempotent_listed_and_withdrawn(
        self, firms: tuple[Tenant, Tenant]
    ) -> None:
        a, b = firms
        first = declare(a.admin, a.id, "acme-cards.example")
        again = declare(a.admin, a.id, "acme-cards.example")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]
        listed = a.admin.get(f"/v1/firms/{a.id}/domains").json()
        assert [d["domain"] for d in listed["items"]] == ["acme-cards.example"]

        removed = a.admin.delete(f"/v1/firms/{a.id}/domains/{first.json()['id']}")

        assert removed.status_code == 204
        issue(b.admin, common_name="api.acme-cards.example")
        actions = [e["action"] for e in a.admin.get("/v1/audit-events").json()["items"]]
        assert {"firm.domain_declared", "firm.domain_removed"} <= set(actions)

    @pytest.mark.parametrize(
        "domain", ["example", "*.acme.example", "10.0.0.1", "ops@acme.example", "not a domain"]
    )
    def test_only_a_plain_domain_of_two_labels_can_be_declared(
        self, firms: tuple[Tenant, Tenant], domain: str
    ) -> None:
        a, _ = firms

        response = declare(a.admin, a.id, domain)

        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"]["fields"][0]["field"] == "domain"


class TestIpSubjectAltNames:
    def test_ip_sans_are_refused_unless_a_platform_admin_allows_them(
        self, api: Api, firms: tuple[Tenant, Tenant]
    ) -> None:
        a, _ = firms
        body = {"common_name": "gateway", "subject_alt_names": ["gw.a.example", "127.0.0.1"]}

        for address in ("127.0.0.1", "10.0.0.1", "::1"):
            body["subject_alt_names"] = ["gw.a.example", address]
            response = a.admin.post("/v1/certificates", json=body)
            assert response.status_code == 422, response.text
            assert response.json()["error"]["code"] == "ip_san_not_allowed"
            assert response.json()["error"]["details"] == {
                "field": "subject_alt_names",
                "index": 1,
            }
        by_firm_admin = a.admin.patch(f"/v1/firms/{a.id}", json={"allow_ip_sans": True})
        assert by_firm_admin.status_code == 403
        allowed = platform_admin(api).patch(f"/v1/firms/{a.id}", json={"allow_ip_sans": True})
        assert allowed.status_code == 200
        assert allowed.json()["allow_ip_sans"] is True

        created = issue(a.admin, **body)

        assert created["subject_alt_names"] == ["gw.a.example", "::1"]


class TestRacingFirms:
    def test_two_firms_racing_for_one_name_exactly_one_wins(
        self, firms: tuple[Tenant, Tenant], runtime: Runtime, settings: Settings
    ) -> None:
        racers = [_principal(runtime, tenant) for tenant in firms]
        rounds = 4

        outcomes = [_race(settings, racers, f"race-{n}.acme-cards.example") for n in range(rounds)]

        assert outcomes == [["issued", OWNED]] * rounds
        totals = [tenant.admin.get("/v1/certificates").json()["total"] for tenant in firms]
        assert sum(totals) == rounds


def _race(settings: Settings, racers: list[Principal], name: str) -> list[str]:
    """Each racer signs a certificate for ``name``, then all record at once; the outcomes."""
    runtimes = [build_runtime(settings) for _ in racers]
    # Both sign before either records, so each early check passes: only the check made under
    # the name lock at record time can stop the second.
    signed = []
    for rt, principal in zip(runtimes, racers, strict=True):
        with rt.db.session_scope() as session:
            request = issuance.IssueRequest(common_name=name)
            signed.append(
                issuance.sign_new(
                    session, rt.keyring, principal=principal, request=request, now=rt.now()
                )
            )
    barrier = threading.Barrier(len(racers))
    results: list[str] = []

    def record(rt: Runtime, principal: Principal, one: issuance.SignedCertificate) -> None:
        try:
            barrier.wait(timeout=10)
            with rt.db.session_scope() as session:
                issuance.record(session, principal=principal, signed=one, now=rt.now())
            results.append("issued")
        except TesseraError as exc:
            results.append(exc.code)
        except BaseException as exc:  # reported by the caller's assertion
            results.append(repr(exc))

    threads = [
        threading.Thread(target=record, args=args)
        for args in zip(runtimes, racers, signed, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for rt in runtimes:
        rt.db.dispose()
    return sorted(results)


def _principal(runtime: Runtime, tenant: Tenant) -> Principal:
    with rawsql.read_cursor(runtime.db.engine) as cursor:
        claims = runtime.access_tokens.verify(tenant.admin.access_token, now=runtime.now())
        return resolve_principal(cursor, claims)
