"""The source documents' paths: same services, same auth, same envelope, their field names."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from tests.support.api import Api, Caller
from tests.support.cards import AMEX, CVV, MASTERCARD, VISA, card_data_in, register
from tests.support.firms import create_tenant
from tests.support.logs import LogView


class TestCreditCardApi:
    def test_stores_a_card_with_the_documents_fields(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            "/api/v1/credit-card",
            json={
                "exp_date": "2029-05-10",
                "holder_name": "Ada Lovelace",
                "card_number": VISA,
                "cvv": CVV,
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["message"] == "Credit card stored successfully"
        assert body["card"]["card_number"] == "411111******1111"
        assert body["card"]["exp_date"] == "2029-05-31"
        assert body["card"]["holder_name"] == "Ada Lovelace"
        assert body["id"] == body["card"]["id"]
        assert card_data_in(response.text, numbers=(VISA,), cvvs=(CVV,)) == []
        # The same registration, seen through the main API.
        registration = tenant.admin.get(f"/v1/card-registrations/{body['id']}").json()
        assert registration["card"]["token"] == body["card"]["token"]

    def test_errors_use_the_documents_field_names_and_our_codes(self, api: Api) -> None:
        tenant = create_tenant(api)
        base = {"exp_date": "2029-05-10", "holder_name": "Ada Lovelace", "card_number": VISA}
        cases = [
            ({"exp_date": "05/29"}, "validation_error", "exp_date"),
            ({"holder_name": "Al"}, "validation_error", "holder_name"),
            ({"card_number": "4111111111111112"}, "invalid_card_number", None),
            ({"exp_date": "2020-05-10"}, "card_expired", None),
            ({"cvv": "12"}, "invalid_cvv", None),
        ]
        for change, code, field in cases:
            response = tenant.admin.post("/api/v1/credit-card", json={**base, **change})
            assert response.status_code == 422, change
            error = response.json()["error"]
            assert error["code"] == code
            if field is not None:
                assert error["details"]["fields"][0]["field"] == field

    def test_a_duplicate_is_409(self, api: Api) -> None:
        tenant = create_tenant(api)
        first = register(tenant.admin, VISA)
        response = tenant.admin.post(
            "/api/v1/credit-card",
            json={"exp_date": "2029-05-10", "holder_name": "Ada Lovelace", "card_number": VISA},
        )
        assert response.status_code == 409
        assert response.json()["error"]["details"]["registration_id"] == first["id"]

    def test_lists_the_firms_cards_masked(self, api: Api) -> None:
        tenant, other = create_tenant(api), create_tenant(api)
        register(tenant.admin, VISA)
        register(tenant.admin, AMEX)
        register(other.admin, MASTERCARD)
        response = tenant.admin.get("/api/v1/credit-card")
        assert response.status_code == 200
        cards = response.json()["items"]
        assert sorted(c["card_number"] for c in cards) == ["378282*****0005", "411111******1111"]
        assert card_data_in(response.text, numbers=(VISA, AMEX, MASTERCARD)) == []

    def test_finds_a_card_by_its_number_without_logging_it(self, api: Api, logs: LogView) -> None:
        tenant = create_tenant(api)
        stored = register(tenant.admin, VISA)
        for written in (VISA, "4111-1111-1111-1111"):
            response = tenant.admin.get(f"/api/v1/credit-card/{written}")
            assert response.status_code == 200, response.text
            assert response.json()["id"] == stored["id"]
            assert response.json()["card_number"] == "411111******1111"
        assert tenant.admin.get(f"/api/v1/credit-card/{MASTERCARD}").status_code == 404
        assert tenant.admin.get("/api/v1/credit-card/not-a-number").status_code == 404
        access = [r for r in logs.records() if r.get("event") == "request"]
        assert "/api/v1/credit-card/{card_number}" in {r["route"] for r in access}
        for line in logs.lines:
            assert card_data_in(line, numbers=(VISA, MASTERCARD)) == [], line

    def test_needs_a_token(self, api: Api) -> None:
        response = api.client.get("/api/v1/credit-card")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


class TestRegistrationSystemPaths:
    def test_register_then_status(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            "/register",
            json={
                "card_number": MASTERCARD,
                "expiry_date": "12/29",
                "cvv": CVV,
                "cardholder_name": "John Doe",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == {"registration_id", "status"}
        assert body["status"] == "pending"
        status = tenant.admin.get(f"/status/{body['registration_id']}")
        assert status.json() == {"registration_id": body["registration_id"], "status": "pending"}
        tenant.admin.post(f"/v1/card-registrations/{body['registration_id']}/approve")
        status = tenant.admin.get(f"/status/{body['registration_id']}")
        assert status.json()["status"] == "approved"

    def test_all_four_fields_are_required(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            "/register",
            json={"card_number": MASTERCARD, "expiry_date": "12/29", "cardholder_name": "John Doe"},
        )
        assert response.status_code == 422
        assert response.json()["error"]["details"]["fields"][0]["field"] == "cvv"

    def test_rules_and_duplicates_as_in_the_main_api(self, api: Api) -> None:
        tenant = create_tenant(api)
        body = {
            "card_number": VISA,
            "expiry_date": "12/29",
            "cvv": "1234",
            "cardholder_name": "Jo Doe",
        }
        assert tenant.admin.post("/register", json=body).json()["error"]["code"] == "invalid_cvv"
        first = tenant.admin.post("/register", json={**body, "cvv": CVV}).json()
        again = tenant.admin.post("/register", json={**body, "cvv": CVV})
        assert again.status_code == 409
        assert again.json()["error"]["details"]["registration_id"] == first["registration_id"]

    def test_unknown_status_is_404_in_the_envelope(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.get("/status/creg_nope")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def _store_legacy_card(admin: Caller, number: str, cvv: object) -> httpx.Response:
    """``POST /api/v1/credit-card`` as the seed's clients send it, with ``cvv`` as given."""
    return admin.post(
        "/api/v1/credit-card",
        json={
            "exp_date": "2029-05-10",
            "holder_name": "Ada Lovelace",
            "card_number": number,
            "cvv": cvv,
        },
    )


class TestCreditCardCvvAsANumber:
    """The seed's clients send ``cvv`` as a JSON number (its ``cvv INTEGER`` column)."""

    def test_an_integer_cvv_is_accepted_never_stored_logged_nor_echoed(
        self, api: Api, logs: LogView
    ) -> None:
        tenant = create_tenant(api)
        for number, cvv in ((VISA, 737), (AMEX, 7373)):
            response = _store_legacy_card(tenant.admin, number, cvv)
            assert response.status_code == 201, response.text
            assert str(cvv) not in response.text
        assert card_data_in("\n".join(logs.lines), numbers=(VISA, AMEX), cvvs=("737", "7373")) == []

    @pytest.mark.parametrize(
        ("number", "cvv"),
        [(VISA, 7), (VISA, 42), (VISA, 7373), (AMEX, 737), (VISA, -737), (VISA, 10**12)],
    )
    def test_an_integer_of_the_wrong_length_is_invalid_cvv(
        self, api: Api, number: str, cvv: int
    ) -> None:
        tenant = create_tenant(api)
        response = _store_legacy_card(tenant.admin, number, cvv)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] in {"invalid_cvv", "validation_error"}
        assert card_data_in(response.text, cvvs=(str(abs(cvv)),)) == []

    @pytest.mark.parametrize("cvv", [True, 737.0, [737]])
    def test_other_json_types_stay_refused(self, api: Api, cvv: object) -> None:
        tenant = create_tenant(api)
        response = _store_legacy_card(tenant.admin, VISA, cvv)
        assert response.status_code == 422
        assert response.json()["error"]["details"]["fields"][0]["field"] == "cvv"
