"""Each firm's certificates are signed by that firm's own intermediate, checked with openssl.

A relying party that trusts one firm pins that firm's intermediate (``/v1/pki/firms/{id}/ca.pem``)
or uses that firm's chain; another firm's certificate must then fail to verify, even when it
comes with its own intermediate, as a TLS peer would send it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tessera import migrations
from tessera.certificates import authority
from tessera.models import DEFAULT_FIRM_ID
from tessera.runtime import Runtime
from tests.support.api import Api
from tests.support.certificates import fetch_ca, fetch_crl, issue, load_certificate, openssl, write
from tests.support.firms import Tenant, create_tenant, platform_admin


def verify(workdir: Path, leaf: str, *options: str) -> tuple[bool, str]:
    """``openssl verify`` of one PEM certificate; whether it passed and what openssl said."""
    result = openssl(workdir, "verify", *options, write(workdir, "leaf.pem", leaf), check=False)
    return result.returncode == 0, result.stdout + result.stderr


def firm_ca(api: Api, firm_id: str) -> str:
    response = api.client.get(f"/v1/pki/firms/{firm_id}/ca.pem")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pem-certificate-chain"
    return response.text


def _intermediates(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, firm_id, status, certificate_pem FROM certificate_authorities "
                "WHERE kind = 'intermediate' ORDER BY generation"
            )
        )
        found = [dict(row._mapping) for row in rows]
        conn.rollback()
    return found


class TestFirmIntermediates:
    def test_one_firms_leaf_verifies_against_its_own_chain_only(
        self, api: Api, workdir: Path
    ) -> None:
        admin = platform_admin(api)
        a, b = create_tenant(api, admin), create_tenant(api, admin)
        leaf_a = issue(a.customer(), common_name="api.a-cards.example")
        leaf_b = issue(b.customer(), common_name="api.b-cards.example")
        chain_a = write(workdir, "chain-a.pem", leaf_a["chain_pem"])
        chain_b = write(workdir, "chain-b.pem", leaf_b["chain_pem"])

        # Trusting A's chain does not trust B's leaf; B's own chain does.
        b_against_a = verify(workdir, leaf_b["certificate_pem"], "-CAfile", chain_a)
        b_against_b = verify(workdir, leaf_b["certificate_pem"], "-CAfile", chain_b)
        assert not b_against_a[0], b_against_a[1]
        pinned_a = write(workdir, "pinned-a.pem", firm_ca(api, a.id))
        pinned_b = write(workdir, "pinned-b.pem", firm_ca(api, b.id))
        # Pinning A's intermediate rejects B's leaf even when B's intermediate comes with it.
        b_pinned_a = verify(
            workdir, leaf_b["certificate_pem"],
            "-partial_chain", "-CAfile", pinned_a, "-untrusted", chain_b,
        )  # fmt: skip
        b_pinned_b = verify(
            workdir, leaf_b["certificate_pem"], "-partial_chain", "-CAfile", pinned_b
        )
        a_pinned_a = verify(
            workdir, leaf_a["certificate_pem"], "-partial_chain", "-CAfile", pinned_a
        )

        assert "unable to get local issuer certificate" in b_against_a[1]
        assert b_against_b == (True, "leaf.pem: OK\n")
        assert not b_pinned_a[0], b_pinned_a[1]
        assert b_pinned_b[0], b_pinned_b[1]
        assert a_pinned_a[0], a_pinned_a[1]
        # Both chains end at the one deployment root, which the public bundle verifies.
        bundle = fetch_ca(api.client, workdir)
        assert verify(workdir, leaf_a["certificate_pem"], "-CAfile", bundle)[0]
        assert verify(workdir, leaf_b["certificate_pem"], "-CAfile", bundle)[0]
        issuer_a, issuer_b = load_certificate(leaf_a).issuer, load_certificate(leaf_b).issuer
        assert issuer_a != issuer_b
        assert a.slug in issuer_a.rfc4514_string()

    def test_a_firms_intermediate_is_made_once_on_its_first_issuance(
        self, api: Api, runtime: Runtime
    ) -> None:
        tenant = create_tenant(api)
        assert [ca["firm_id"] for ca in _intermediates(runtime)] == [DEFAULT_FIRM_ID]
        assert api.client.get(f"/v1/pki/firms/{tenant.id}/ca.pem").status_code == 404

        for _ in range(3):
            issue(tenant.customer())

        firms = [ca["firm_id"] for ca in _intermediates(runtime)]
        assert firms == [DEFAULT_FIRM_ID, tenant.id]
        created = [
            e for e in tenant.admin.get("/v1/audit-events").json()["items"]
            if e["action"] == "pki.firm_intermediate_created"
        ]  # fmt: skip
        assert len(created) == 1

    def test_renewals_stay_with_the_firms_intermediate(self, api: Api, workdir: Path) -> None:
        admin = platform_admin(api)
        a, b = create_tenant(api, admin), create_tenant(api, admin)
        issue(a.customer())
        original = issue(b.admin, common_name="api.b-cards.example")

        renewed = b.admin.post(f"/v1/certificates/{original['id']}/renew")

        assert renewed.status_code == 201, renewed.text
        pinned_a = write(workdir, "pinned-a.pem", firm_ca(api, a.id))
        pinned_b = write(workdir, "pinned-b.pem", firm_ca(api, b.id))
        leaf = renewed.json()["certificate_pem"]
        assert verify(workdir, leaf, "-partial_chain", "-CAfile", pinned_b)[0]
        assert not verify(workdir, leaf, "-partial_chain", "-CAfile", pinned_a)[0]
        assert renewed.json()["chain_pem"] == original["chain_pem"]


class TestUpgradeKeepsCertificatesValid:
    def test_certificates_of_the_shared_intermediate_stay_valid_and_revocable(
        self, api: Api, runtime: Runtime, database_url: str, workdir: Path
    ) -> None:
        """A deployment from before firms had their own intermediates, migrated to 0006."""
        admin = platform_admin(api)
        other: Tenant = create_tenant(api, admin)
        customer = api.customer()
        legacy = issue(customer, common_name="legacy.acme-cards.example")
        runtime.db.dispose()
        # Back to 0005, where one active intermediate signed every firm's certificates...
        migrations.downgrade(database_url, "0005")
        engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE certificate_authorities SET status = 'active'"))
        engine.dispose()
        # ...and up again, as an upgrade would run.
        migrations.upgrade(database_url)
        shared = _intermediates(runtime)

        assert [(ca["firm_id"], ca["status"]) for ca in shared] == [(None, "retired")]
        assert api.client.get("/v1/pki/ca.pem").status_code == 200
        # The service starts again: the default firm gets an intermediate of its own.
        with runtime.db.session_scope() as session:
            authority.ensure_authority(session, runtime.keyring, now=runtime.now())
        ca_bundle = fetch_ca(api.client, workdir)
        assert verify(workdir, legacy["certificate_pem"], "-CAfile", ca_bundle)[0]
        # The name stayed the firm's: migration 0006 recorded it.
        refused = other.admin.post(
            "/v1/certificates", json={"common_name": "legacy.acme-cards.example"}
        )
        assert refused.status_code == 409, refused.text
        # Renewing moves the certificate to the firm's own intermediate.
        renewed = customer.post(f"/v1/certificates/{legacy['id']}/renew")
        assert renewed.status_code == 201, renewed.text
        pinned = write(workdir, "pinned.pem", firm_ca(api, DEFAULT_FIRM_ID))
        assert verify(
            workdir, renewed.json()["certificate_pem"], "-partial_chain", "-CAfile", pinned
        )[0]
        assert not verify(workdir, legacy["certificate_pem"], "-partial_chain", "-CAfile", pinned)[
            0
        ]
        # The retired intermediate still signs the CRL that revokes what it issued.
        revoked = customer.patch(
            f"/v1/certificates/{legacy['id']}",
            json={"status": "revoked", "revocation_reason": "superseded"},
        )
        assert revoked.status_code == 200, revoked.text
        crl = fetch_crl(api.client, workdir)
        ca_bundle = fetch_ca(api.client, workdir)
        checked = verify(
            workdir, legacy["certificate_pem"], "-crl_check", "-CAfile", ca_bundle, "-CRLfile", crl
        )
        assert not checked[0]
        assert "certificate revoked" in checked[1]
        crls = openssl(workdir, "storeutl", "-noout", "-text", "-crls", crl).stdout
        assert legacy["serial_number"].upper() in crls.upper()
