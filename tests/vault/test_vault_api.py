"""The vault over HTTP: the masked card, and the reveal that only some callers get, audited."""

from __future__ import annotations

from tests.support.api import Api
from tests.support.cards import AMEX, CVV, VISA, card_data_in, register
from tests.support.firms import create_tenant, platform_admin


class TestGetVaultCard:
    def test_shows_the_masked_card(self, api: Api) -> None:
        tenant = create_tenant(api)
        token = register(tenant.admin, AMEX)["card"]["token"]
        response = tenant.staff("firm_operator").get(f"/v1/vault/cards/{token}")
        assert response.status_code == 200, response.text
        card = response.json()
        assert card["masked_number"] == "378282*****0005"
        assert (card["brand"], card["bin"], card["last4"]) == ("amex", "378282", "0005")
        assert card["source"] == "registration"
        assert card_data_in(response.text, numbers=(AMEX,)) == []

    def test_unknown_token_is_404(self, api: Api) -> None:
        tenant = create_tenant(api)
        assert tenant.admin.get("/v1/vault/cards/tok_nope").status_code == 404

    def test_customers_see_their_own_cards_only(self, api: Api) -> None:
        tenant = create_tenant(api)
        alice, bob = tenant.customer(), tenant.customer()
        token = register(alice, VISA)["card"]["token"]
        assert alice.get(f"/v1/vault/cards/{token}").status_code == 200
        assert bob.get(f"/v1/vault/cards/{token}").status_code == 404


class TestRevealVaultCard:
    def test_firm_admin_reveals_and_the_reveal_is_audited(self, api: Api) -> None:
        tenant = create_tenant(api)
        token = register(tenant.admin, VISA)["card"]["token"]
        response = tenant.admin.post(f"/v1/vault/cards/{token}/reveal")
        assert response.status_code == 200, response.text
        assert response.json() == {"card_number": VISA}
        assert response.headers["cache-control"] == "no-store"
        entries = tenant.admin.get(
            "/v1/audit-events", params={"action": "vault.card_revealed"}
        ).json()["items"]
        assert len(entries) == 1
        assert entries[0]["target_id"] == token
        assert entries[0]["actor_id"] == tenant.admin.user_id
        assert entries[0]["request_id"] == response.headers["x-request-id"]
        assert card_data_in(str(entries), numbers=(VISA,), cvvs=(CVV,)) == []

    def test_each_reveal_is_audited(self, api: Api) -> None:
        tenant = create_tenant(api)
        token = register(tenant.admin, VISA)["card"]["token"]
        for _ in range(3):
            assert tenant.admin.post(f"/v1/vault/cards/{token}/reveal").status_code == 200
        entries = tenant.admin.get(
            "/v1/audit-events", params={"action": "vault.card_revealed"}
        ).json()
        assert entries["total"] == 3

    def test_a_client_with_cards_reveal_may_reveal(self, api: Api) -> None:
        tenant = create_tenant(api)
        token = register(tenant.admin, VISA)["card"]["token"]
        client = tenant.client("cards:read", "cards:reveal")
        response = client.post(f"/v1/vault/cards/{token}/reveal")
        assert response.json() == {"card_number": VISA}
        entry = tenant.admin.get(
            "/v1/audit-events", params={"action": "vault.card_revealed"}
        ).json()["items"][0]
        assert (entry["actor_type"], entry["actor_id"]) == ("client", client.user_id)

    def test_operators_customers_and_clients_without_the_scope_get_403(self, api: Api) -> None:
        tenant = create_tenant(api)
        customer = tenant.customer()
        token = register(customer, VISA)["card"]["token"]
        for caller in (
            tenant.staff("firm_operator"),
            customer,
            tenant.client("cards:read", "cards:write"),
        ):
            response = caller.post(f"/v1/vault/cards/{token}/reveal")
            assert response.status_code == 403, response.text
            assert VISA not in response.text
        audit = tenant.admin.get("/v1/audit-events", params={"action": "vault.card_revealed"})
        assert audit.json()["total"] == 0

    def test_a_platform_admin_reveals_any_firms_card(self, api: Api) -> None:
        admin = platform_admin(api)
        tenant = create_tenant(api, admin)
        token = register(tenant.admin, VISA)["card"]["token"]
        assert admin.post(f"/v1/vault/cards/{token}/reveal").json() == {"card_number": VISA}
