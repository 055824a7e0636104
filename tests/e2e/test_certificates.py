"""Certificates: issued with a key the service generates (shown once, downloadable, then gone),
deactivated and activated again, revoked with a reason (final), and the list by status."""

from __future__ import annotations

import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Locator, Page, expect

from tests.e2e.api_setup import call, login
from tests.e2e.screens import check_accessibility, heading, log_in, nav
from tests.e2e.service import PASSWORD, LiveService

pytestmark = pytest.mark.e2e

PUBLIC_DER = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def issue(page: Page, common_name: str, passphrase: str = "") -> None:
    page.get_by_label("Common name").fill(common_name)
    if passphrase:
        page.get_by_label("Passphrase for the private key (optional)").fill(passphrase)
    page.get_by_role("button", name="Issue certificate").click()
    expect(page.get_by_test_id("issued-certificate")).to_contain_text(
        f"Certificate for {common_name} issued"
    )


def row(page: Page, common_name: str) -> Locator:
    return (
        page.get_by_test_id("certificates-table")
        .locator("tbody tr")
        .filter(has=page.get_by_role("rowheader", name=common_name, exact=True))
    )


def show(page: Page, status: str) -> None:
    page.get_by_label("Status").select_option(label=status)
    page.get_by_role("button", name="Show").click()


class TestCertificates:
    def test_issue_with_a_generated_key_shown_once(
        self, page: Page, live_service: LiveService
    ) -> None:
        email = live_service.signup()["user"]["email"]
        log_in(page, live_service.base_url, email)
        nav(page, "Certificates")
        heading(page, "Certificates")
        expect(page.get_by_text("No certificates yet.")).to_be_visible()

        issue(page, "keys.e2e.example")
        issued = page.get_by_test_id("issued-certificate")
        expect(issued).to_be_focused()
        key_box = issued.get_by_label("Private key (PEM)")
        expect(key_box).to_have_value(
            re.compile(r"^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$")
        )
        shown_key = key_box.input_value()
        check_accessibility(page, "certificates: private key shown once")

        with page.expect_download() as key_download:
            issued.get_by_role("button", name="Download private key").click()
        assert key_download.value.suggested_filename == "keys.e2e.example.key.pem"
        key_pem = key_download.value.path().read_bytes()
        assert key_pem.decode() == shown_key
        with page.expect_download() as cert_download:
            issued.get_by_role("button", name="Download certificate and chain").click()
        chain = x509.load_pem_x509_certificates(cert_download.value.path().read_bytes())
        assert chain[0].subject.rfc4514_string() == "CN=keys.e2e.example"
        assert len(chain) >= 2  # the certificate, then its issuing CA and root
        # The downloaded key is the certificate's key.
        private_key = serialization.load_pem_private_key(key_pem, password=None)
        assert private_key.public_key().public_bytes(*PUBLIC_DER) == chain[
            0
        ].public_key().public_bytes(*PUBLIC_DER)

        # Hiding it forgets it; the service never sends it again.
        issued.get_by_role("button", name="I have saved the key: hide it").click()
        expect(page.get_by_test_id("issued-certificate")).to_have_count(0)
        expect(page.get_by_label("Common name")).to_be_focused()
        assert "PRIVATE KEY" not in page.content()
        stored = page.evaluate(
            "async () => JSON.stringify([Object.entries(localStorage),"
            " Object.entries(sessionStorage), document.cookie, await indexedDB.databases()])"
        )
        assert stored == '[[],[],"",[]]'
        listed = call(
            live_service,
            "GET",
            "/v1/certificates",
            login(live_service, email, PASSWORD),
            expect=200,
        )
        assert "private_key_pem" not in listed["items"][0]

        # With a passphrase the key comes encrypted.
        issue(page, "locked.e2e.example", passphrase="a long passphrase")
        locked = page.get_by_test_id("issued-certificate").get_by_label("Private key (PEM)")
        expect(locked).to_have_value(re.compile(r"^-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        serialization.load_pem_private_key(
            locked.input_value().encode(), password=b"a long passphrase"
        )

        # Leaving the page forgets it too.
        nav(page, "Accounts")
        nav(page, "Certificates")
        expect(page.get_by_test_id("issued-certificate")).to_have_count(0)
        assert "PRIVATE KEY" not in page.content()

    def test_deactivate_activate_revoke_and_filter_by_status(
        self, page: Page, live_service: LiveService
    ) -> None:
        email = live_service.signup()["user"]["email"]
        customer = login(live_service, email, PASSWORD)
        call(
            live_service,
            "POST",
            "/v1/certificates",
            customer,
            expect=201,
            json={"common_name": "kept.e2e.example"},
        )
        log_in(page, live_service.base_url, email)
        nav(page, "Certificates")
        issue(page, "life.e2e.example")
        outcome = page.get_by_test_id("certs-outcome")
        life = row(page, "life.e2e.example")
        badge = life.locator(".badge")
        expect(badge).to_have_text("active")
        expect(life.get_by_role("button")).to_have_text(
            [
                "Deactivate the certificate for life.e2e.example",
                "Revoke the certificate for life.e2e.example",
            ]
        )

        life.get_by_role("button", name="Deactivate the certificate for life.e2e.example").click()
        expect(outcome).to_be_focused()
        expect(outcome).to_have_text("The certificate for life.e2e.example is now inactive.")
        expect(badge).to_have_text("inactive")
        life.get_by_role("button", name="Activate the certificate for life.e2e.example").click()
        expect(outcome).to_have_text("The certificate for life.e2e.example is now active.")
        expect(badge).to_have_text("active")

        revoke = life.get_by_role("button", name="Revoke the certificate for life.e2e.example")
        revoke.click()
        dialog = page.get_by_role("dialog", name="Revoke the certificate for life.e2e.example?")
        expect(dialog).to_contain_text("Revoking is final")
        expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
        check_accessibility(page, "certificates: revoke dialog")
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).not_to_be_visible()
        expect(revoke).to_be_focused()
        expect(badge).to_have_text("active")

        revoke.click()
        dialog.get_by_label("Reason").select_option(label="The private key was compromised")
        dialog.get_by_role("button", name="Revoke certificate").click()
        expect(outcome).to_be_focused()
        expect(outcome).to_have_text("The certificate for life.e2e.example is now revoked.")
        expect(badge).to_have_text("revoked")
        expect(life).to_contain_text("The private key was compromised")
        expect(life.get_by_role("button")).to_have_count(0)  # final: nothing more to do
        check_accessibility(page, "certificates: list")

        certificates = call(live_service, "GET", "/v1/certificates", customer, expect=200)["items"]
        revoked = next(c for c in certificates if c["common_name"] == "life.e2e.example")
        assert (revoked["status"], revoked["revocation_reason"]) == ("revoked", "key_compromise")

        table = page.get_by_test_id("certificates-table")
        show(page, "Revoked")
        expect(table.get_by_role("rowheader")).to_have_text(["life.e2e.example"])
        expect(table.get_by_role("caption")).to_have_text("1 revoked certificate, newest first")
        show(page, "Active")
        expect(table.get_by_role("rowheader")).to_have_text(["kept.e2e.example"])
        show(page, "Inactive")
        expect(page.get_by_text("No inactive certificates.")).to_be_visible()
        expect(table).to_have_count(0)
        show(page, "All")
        expect(table.get_by_role("rowheader")).to_have_text(
            ["life.e2e.example", "kept.e2e.example"]
        )
