"""The deployment CA: creation (also racing), sealed keys, rotation, public documents, CRLs."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tessera.certificates import authority, jobs, repository
from tessera.certificates.authority import AuthorityState
from tessera.config import Settings
from tessera.crypto.vault import Sealed, VaultError
from tessera.models import DEFAULT_FIRM_ID, CertificateAuthority
from tessera.runtime import Runtime, build_runtime
from tessera.worker.jobs import default_jobs
from tessera.worker.runner import Worker
from tests.support.api import Api
from tests.support.certificates import (
    fetch_ca,
    fetch_crl,
    issue,
    load_certificate,
    openssl,
    patch,
    write,
)


def _authorities(runtime: Runtime) -> list[CertificateAuthority]:
    with runtime.db.session_scope(write=False) as session:
        return authority.list_authorities(session)


class TestEnsureAuthority:
    @pytest.mark.bare_database  # the app's own start makes them, not the test template
    def test_first_start_creates_a_root_and_an_issuing_intermediate(
        self, api: Api, workdir: Path
    ) -> None:
        root, intermediate = _authorities(api.runtime)

        assert (root.kind, root.status, root.parent_id) == ("root", "active", None)
        assert (intermediate.kind, intermediate.status) == ("intermediate", "active")
        assert intermediate.parent_id == root.id
        write(workdir, "root.pem", root.certificate_pem)
        write(workdir, "intermediate.pem", intermediate.certificate_pem)
        verified = openssl(workdir, "verify", "-CAfile", "root.pem", "intermediate.pem")
        assert verified.stdout.strip() == "intermediate.pem: OK"

    def test_running_it_again_changes_nothing(self, api: Api, runtime: Runtime) -> None:
        before = [ca.id for ca in _authorities(runtime)]

        with runtime.db.session_scope() as session:
            state = authority.ensure_authority(session, runtime.keyring, now=runtime.now())

        assert not state.created
        assert [state.root.id, state.intermediate.id] == before
        assert [ca.id for ca in _authorities(runtime)] == before

    def test_two_processes_starting_at_once_create_one_hierarchy(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        # The vault's first master key is the foundation's to create; make it before the race.
        with runtime.db.session_scope() as session:
            runtime.keyring.active_version(session)
        runtimes = [build_runtime(settings) for _ in range(2)]
        barrier = threading.Barrier(len(runtimes))
        results: list[AuthorityState | BaseException] = []

        def start(rt: Runtime) -> None:
            try:
                barrier.wait(timeout=10)
                with rt.db.session_scope() as session:
                    results.append(authority.ensure_authority(session, rt.keyring, now=rt.now()))
            except BaseException as exc:  # reported below
                results.append(exc)

        threads = [threading.Thread(target=start, args=(rt,)) for rt in runtimes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for rt in runtimes:
            rt.db.dispose()

        states = [r for r in results if isinstance(r, AuthorityState)]
        assert len(states) == 2, results
        assert sorted(s.created for s in states) == [False, True]
        assert len({(s.root.id, s.intermediate.id) for s in states}) == 1
        kinds = sorted(ca.kind for ca in _authorities(runtime))
        assert kinds == ["intermediate", "root"]


class TestSealedCaKeys:
    def test_private_keys_are_stored_only_sealed_by_the_key_ring(
        self, api: Api, runtime: Runtime
    ) -> None:
        with runtime.db.session_scope(write=False) as session:
            for ca in authority.list_authorities(session):
                sealed = repository.sealed_private_key(session, ca.id)
                assert sealed is not None
                assert b"PRIVATE KEY" not in sealed
                assert b"-----" not in sealed
                with pytest.raises(ValueError, match="Could not deserialize"):
                    serialization.load_der_private_key(sealed, None)
                opened = runtime.keyring.open(
                    session,
                    Sealed.from_bytes(sealed),
                    aad=b"tessera/pki/ca-private-key/" + ca.id.encode(),
                )
                key = serialization.load_pem_private_key(opened, None)
                certificate = x509.load_pem_x509_certificate(ca.certificate_pem.encode())
                assert key.public_key() == certificate.public_key()

    def test_a_sealed_key_does_not_open_as_another_cas(self, api: Api, runtime: Runtime) -> None:
        root, intermediate = _authorities(runtime)

        with runtime.db.session_scope(write=False) as session:
            sealed = repository.sealed_private_key(session, root.id)
            assert sealed is not None
            with pytest.raises(VaultError):
                runtime.keyring.open(
                    session,
                    Sealed.from_bytes(sealed),
                    aad=b"tessera/pki/ca-private-key/" + intermediate.id.encode(),
                )


class TestPublicDocuments:
    def test_ca_and_crl_need_no_credentials(self, api: Api) -> None:
        ca = api.client.get("/v1/pki/ca.pem")
        crl = api.client.get("/v1/pki/crl.pem")

        assert ca.status_code == crl.status_code == 200
        assert ca.headers["content-type"] == "application/pem-certificate-chain"
        assert crl.headers["content-type"] == "application/x-pem-file"
        intermediate, root = x509.load_pem_x509_certificates(ca.content)
        assert root.subject == root.issuer
        assert intermediate.issuer == root.subject
        assert x509.load_pem_x509_crl(crl.content).issuer == intermediate.subject

    def test_certificate_chain_matches_the_published_ca(self, api: Api) -> None:
        created = issue(api.customer())

        published = api.client.get("/v1/pki/ca.pem").text

        assert created["chain_pem"] == published

    def test_before_initialisation_documents_and_issuance_are_503(self, runtime: Runtime) -> None:
        with runtime.db.session_scope(write=False) as session:
            for build in (
                lambda: authority.ca_bundle_pem(session, now=runtime.now()),
                lambda: authority.crl_bundle_pem(session, now=runtime.now()),
                lambda: authority.issuing_authority(
                    session, runtime.keyring, firm_id=DEFAULT_FIRM_ID, now=runtime.now()
                ),
            ):
                with pytest.raises(authority.PkiNotInitialised) as caught:
                    build()
                assert caught.value.status == 503
                assert caught.value.code == "pki_not_initialised"


class TestRotateIntermediate:
    def test_old_certificates_stay_verifiable_and_revocable_after_rotation(
        self, api: Api, runtime: Runtime, workdir: Path
    ) -> None:
        customer = api.customer()
        before = issue(customer)
        with runtime.db.session_scope() as session:
            rotation = authority.rotate_intermediate(
                session, runtime.keyring, firm_id=DEFAULT_FIRM_ID, now=runtime.now()
            )
        after = issue(customer)
        patch(customer, before["id"], status="revoked", revocation_reason="superseded")

        old_issuer = load_certificate(before).issuer
        new_issuer = load_certificate(after).issuer
        assert old_issuer != new_issuer
        assert rotation.retired is not None
        statuses = {ca.id: ca.status for ca in _authorities(runtime)}
        assert statuses[rotation.retired.id] == "retired"
        assert statuses[rotation.new.id] == "active"
        ca, crl = fetch_ca(api.client, workdir), fetch_crl(api.client, workdir)
        assert len(x509.load_pem_x509_certificates((workdir / ca).read_bytes())) == 3
        write(workdir, "before.pem", before["certificate_pem"])
        write(workdir, "after.pem", after["certificate_pem"])
        good = openssl(workdir, "verify", "-crl_check", "-CAfile", ca, "-CRLfile", crl, "after.pem")
        bad = openssl(
            workdir, "verify", "-crl_check", "-CAfile", ca, "-CRLfile", crl, "before.pem",
            check=False,
        )  # fmt: skip
        every_crl = openssl(workdir, "storeutl", "-noout", "-text", "-crls", crl).stdout
        assert good.stdout.strip() == "after.pem: OK"
        assert "certificate revoked" in bad.stdout + bad.stderr
        assert before["serial_number"].upper() in every_crl.upper()
        assert "Total found: 2" in every_crl


class TestCrlRefresh:
    def test_crls_are_re_signed_before_their_next_update(self, api: Api, runtime: Runtime) -> None:
        start = runtime.now()

        def current() -> x509.CertificateRevocationList:
            return x509.load_pem_x509_crl(api.client.get("/v1/pki/crl.pem").content)

        first = current()
        runtime.clock = lambda: start + timedelta(hours=1)
        early = jobs.refresh_crls(runtime)
        runtime.clock = lambda: start + timedelta(hours=13)
        due = jobs.refresh_crls(runtime)
        again = jobs.refresh_crls(runtime)
        refreshed = current()

        assert (early, due, again) == (0, 1, 0)
        assert refreshed.next_update_utc is not None
        assert first.next_update_utc is not None
        assert refreshed.next_update_utc - first.next_update_utc >= timedelta(hours=12)
        number = refreshed.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        first_number = first.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        assert number == first_number + 1

    def test_the_worker_runs_the_certificate_jobs(self, api: Api, runtime: Runtime) -> None:
        start = runtime.now()
        runtime.clock = lambda: start + timedelta(hours=20)
        names = [job.name for job in default_jobs()]

        Worker(runtime, default_jobs()).run_once()

        assert {"scan_expiring_certificates", "refresh_crls"} <= set(names)
        crl = x509.load_pem_x509_crl(api.client.get("/v1/pki/crl.pem").content)
        assert crl.last_update_utc >= start + timedelta(hours=20) - timedelta(seconds=1)
