"""Bad input is a 4xx in the envelope, never a 500 nor stored: far dates, control characters,
card numbers typed into free text, and error details that would echo what was sent."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest

from tests.support.api import Api, Caller
from tests.support.cards import CVV, VISA, registration_body
from tests.support.firms import create_tenant

SPACED_VISA = "4111 1111 1111 1111"
DASHED_VISA = "4111-1111-1111-1111"


def _fields(response: httpx.Response) -> list[dict[str, str]]:
    return list(response.json()["error"]["details"]["fields"])


def _refused(response: httpx.Response, *, code: str, field: str, rule: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert {"field": field, "rule": rule} in [
        {"field": f["field"], "rule": f["rule"]} for f in _fields(response)
    ], response.text


class TestFarDates:
    def test_statement_periods_reaching_the_ends_of_the_calendar(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        customer.deposit(account, 1000)
        whole = customer.get(f"/v1/statements/{account}?from=0001-01-01&to=9999-12-31")
        assert whole.status_code == 200, whole.text
        assert whole.json()["total_credits"] == 1000
        assert whole.json()["to"] == "9999-12-31"
        csv = customer.get(
            f"/v1/statements/{account}?to=9999-12-31", headers={"Accept": "text/csv"}
        )
        assert csv.status_code == 200
        assert customer.get(f"/v1/statements/{account}?to=10000-01-01").status_code == 422

    def test_registration_reports_up_to_the_last_day(self, api: Api) -> None:
        tenant = create_tenant(api)
        tenant.admin.post("/v1/card-registrations", json=registration_body())
        for query in ("to=9999-12-31", "from=0001-01-01&to=9999-12-31"):
            listed = tenant.admin.get(f"/v1/card-registrations?{query}")
            assert listed.status_code == 200, listed.text
            assert listed.json()["total"] == 1
            report = tenant.admin.get(
                f"/v1/card-registrations?{query}", headers={"Accept": "text/csv"}
            )
            assert report.status_code == 200

    @pytest.mark.parametrize("expiry", ["12/9999", "9999-12-31", "01/2099"])
    def test_card_expiries_far_ahead_are_refused(self, api: Api, expiry: str) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            "/v1/card-registrations", json=registration_body(expiry_date=expiry)
        )
        _refused(response, code="validation_error", field="expiry_date", rule="too_far_ahead")
        register = tenant.admin.post(
            "/register",
            json={**registration_body(), "expiry_date": expiry, "cvv": CVV},
        )
        _refused(register, code="validation_error", field="expiry_date", rule="too_far_ahead")

    def test_the_legacy_expiry_in_year_9999(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            "/api/v1/credit-card",
            json={"exp_date": "9999-12-31", "holder_name": "Ada Lovelace", "card_number": VISA},
        )
        _refused(response, code="validation_error", field="exp_date", rule="too_far_ahead")


class TestControlCharacters:
    @pytest.mark.parametrize("text", ["a\x00b", "tab\tinside", "bell\x07", "del\x7f"])
    def test_a_description_with_a_control_character_is_refused_not_stored(
        self, api: Api, text: str
    ) -> None:
        customer = api.customer()
        account = customer.open_account()
        response = customer.post(
            "/v1/transactions",
            json={
                "account_id": account,
                "type": "deposit",
                "amount": 100,
                "currency": "USD",
                "description": text,
            },
        )
        _refused(response, code="validation_error", field="description", rule="control_character")
        assert customer.get(f"/v1/transactions?account_id={account}").json()["total"] == 0

    def test_names_ids_and_lists_refuse_them_too(self, api: Api) -> None:
        tenant = create_tenant(api)
        signup = api.client.post(
            "/v1/auth/signup",
            json={
                "email": api.unique_email(),
                "password": "correct horse battery",
                "first_name": "Ada\x00",
                "last_name": "Lovelace",
                "dob": "1990-01-01",
            },
        )
        _refused(signup, code="validation_error", field="first_name", rule="control_character")
        hook = tenant.admin.post(
            "/v1/webhook-endpoints",
            json={"url": "https://example.com/hook", "events": ["card.issued\x00"]},
        )
        _refused(hook, code="validation_error", field="events.0", rule="control_character")
        account = tenant.admin.post("/v1/accounts", json={"type": "checking", "currency": "US\x00"})
        _refused(account, code="validation_error", field="currency", rule="control_character")

    def test_multi_line_reasons_keep_their_line_breaks(self, api: Api) -> None:
        tenant = create_tenant(api)
        first = tenant.admin.post("/v1/card-registrations", json=registration_body()).json()
        refused = tenant.admin.post(
            f"/v1/card-registrations/{first['id']}/reject", json={"reason": "no\x00"}
        )
        _refused(refused, code="validation_error", field="reason", rule="control_character")
        rejected = tenant.admin.post(
            f"/v1/card-registrations/{first['id']}/reject",
            json={"reason": "Name mismatch.\r\nAsked the customer\tagain."},
        )
        assert rejected.status_code == 200, rejected.text
        assert rejected.json()["reason"] == "Name mismatch.\r\nAsked the customer\tagain."

    @pytest.mark.parametrize(
        ("url", "field"),
        [
            ("/v1/audit-events?action=login%00", "action"),
            ("/v1/cards?account_id=acc%01", "account_id"),
            ("/v1/accounts/acc_%00x", "path"),
            ("/v1/card-status?phone=%0A585949014", "phone"),
            ("/get_card_status?card_id=ZYW%008827", "card_id"),
        ],
    )
    def test_paths_and_query_strings_refuse_them(self, api: Api, url: str, field: str) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.get(url)
        _refused(response, code="validation_error", field=field, rule="control_character")

    def test_form_fields_refuse_them(self, api: Api) -> None:
        response = api.client.post(
            "/v1/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "cl\x00", "client_secret": "s"},
        )
        _refused(response, code="validation_error", field="client_id", rule="control_character")


def _issue_card(caller: Caller, account: str, **body: Any) -> httpx.Response:
    return caller.post("/v1/cards", json={"account_id": account, "type": "virtual", **body})


class TestCardNumbersInFreeText:
    @pytest.mark.parametrize("typed", [VISA, SPACED_VISA, DASHED_VISA, f"rent {SPACED_VISA} ok"])
    def test_a_transfer_description_holding_a_card_number_is_refused(
        self, api: Api, typed: str
    ) -> None:
        customer = api.customer()
        source = customer.open_account()
        target = customer.open_account()
        customer.deposit(source, 1000)
        response = customer.post(
            "/v1/transfers",
            json={
                "from_account_id": source,
                "to_account_id": target,
                "amount": 100,
                "currency": "USD",
                "description": typed,
            },
        )
        _refused(
            response, code="card_number_in_text", field="description", rule="card_number_in_text"
        )
        assert customer.balance(source) == 1000
        assert "1111" not in response.text

    def test_every_free_text_field_refuses_one(self, api: Api) -> None:
        tenant = create_tenant(api)
        customer = tenant.customer()
        account = customer.open_account()
        pending = tenant.admin.post("/v1/card-registrations", json=registration_body()).json()["id"]
        attempts = {
            "first_name": api.client.post(
                "/v1/auth/signup",
                json={
                    "email": api.unique_email(),
                    "password": "correct horse battery",
                    "first_name": SPACED_VISA,
                    "last_name": "Lovelace",
                    "dob": "1990-01-01",
                },
            ),
            "name": customer.patch(f"/v1/accounts/{account}", json={"name": f"card {VISA}"}),
            "cardholder_name": _issue_card(customer, account, cardholder_name=DASHED_VISA),
            "description": tenant.admin.post(
                "/v1/webhook-endpoints",
                json={"url": "https://example.com/h", "events": ["*"], "description": VISA},
            ),
            "labels.note": tenant.admin.post(
                "/v1/certificates",
                json={"common_name": "api.example.com", "labels": {"note": SPACED_VISA}},
            ),
            "reason": tenant.admin.post(
                f"/v1/card-registrations/{pending}/reject",
                json={"reason": f"customer wrote\n{SPACED_VISA}"},
            ),
            "holder_name": tenant.admin.post(
                "/api/v1/credit-card",
                json={"exp_date": "2030-01-31", "holder_name": VISA, "card_number": VISA},
            ),
        }
        for field, response in attempts.items():
            _refused(response, code="card_number_in_text", field=field, rule="card_number_in_text")
        names = customer.get(f"/v1/accounts/{account}").json()
        assert VISA not in str(names)

    def test_digits_that_are_not_a_card_number_are_kept(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        for text in (
            "Invoice 4111 1111 1111 1112",
            "Order 2026-12-04 ref 123456789012",
            "+971 58 594 9014",
        ):
            response = customer.post(
                "/v1/transactions",
                json={
                    "account_id": account,
                    "type": "deposit",
                    "amount": 1,
                    "currency": "USD",
                    "description": text,
                },
            )
            assert response.status_code == 201, response.text
            assert response.json()["description"] == text


NUMBERS = (VISA, SPACED_VISA.replace(" ", "%20"), DASHED_VISA)


class TestErrorsDoNotEchoInput:
    def test_a_card_number_as_a_path_id_query_value_or_body_field_is_never_repeated(
        self, api: Api
    ) -> None:
        tenant = create_tenant(api)
        customer = tenant.customer()
        account = customer.open_account()
        staff = tenant.admin
        answers: list[httpx.Response] = []
        for number in NUMBERS:
            answers += [
                customer.get(f"/v1/accounts/{number}"),
                customer.get(f"/v1/statements/{number}"),
                customer.get(f"/v1/transfers/{number}"),
                customer.get(f"/v1/cards/{number}"),
                staff.get(f"/v1/card-registrations/{number}"),
                staff.get(f"/v1/vault/cards/{number}"),
                staff.get(f"/status/{number}"),
                staff.get(f"/v1/webhook-endpoints/{number}"),
                staff.get(f"/v1/firms/{number}"),
                customer.patch(f"/v1/accounts/{number}", json={"status": "closed"}),
                customer.get(f"/v1/transactions?account_id={number}"),
                customer.get(f"/v1/cards?account_id={number}&status={number}"),
                customer.get(f"/v1/statements/{account}?from={number}&to={number}"),
                staff.get(f"/v1/card-registrations?status={number}&from={number}"),
                staff.get(f"/v1/card-status?card_id={number}"),
                staff.get(f"/v1/audit-events?action={number}&limit={number}"),
                staff.get(f"/v1/events?type={number}"),
                staff.get(f"/v1/certificates?owner_id={number}"),
            ]
        for number in (VISA, SPACED_VISA, DASHED_VISA):
            answers += [
                customer.post(
                    "/v1/transactions",
                    json={
                        "account_id": number,
                        "type": number,
                        "amount": number,
                        "currency": number,
                    },
                ),
                customer.post(
                    "/v1/transactions",
                    json={"account_id": number, "type": "deposit", "amount": 5, "currency": "USD"},
                ),
                customer.post(
                    "/v1/transfers",
                    json={
                        "from_account_id": account,
                        "to_account_id": number,
                        "amount": 5,
                        "currency": "USD",
                    },
                ),
                customer.post("/v1/cards", json={"account_id": number, "type": "virtual"}),
                customer.post("/v1/accounts", json={"type": number, "currency": number}),
                staff.post(
                    "/v1/certificates", json={"common_name": "a.example.com", "owner_id": number}
                ),
                staff.post("/v1/firms/x/clients", json={"name": "n", "scopes": [number]}),
                api.client.post(
                    "/v1/oauth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": number,
                        "client_secret": number,
                        "scope": number,
                    },
                ),
                staff.post(
                    "/v1/card-registrations",
                    json={**registration_body(), "cvv": number, "unknown": number},
                ),
                staff.post("/api/v1/credit-card", json={"exp_date": number, "cvv": number}),
                api.client.post(
                    "/v1/auth/signup",
                    json={"email": number, "password": number, "dob": number, "phone": number},
                ),
            ]
        errors = [r for r in answers if r.status_code >= 400]
        assert len(errors) >= len(answers) - 3  # a filter matching nothing is a 200
        for response in answers:
            assert response.status_code < 500, (response.request.url, response.text)
            if response.status_code >= 400:
                assert set(response.json()) == {"error", "request_id"}
            text = response.text
            for shown in (VISA, SPACED_VISA, DASHED_VISA, "411111", "1111 1111"):
                assert shown not in text, (str(response.request.url), text)


class TestMessagesForPeople:
    def test_pydantic_wording_never_reaches_the_client(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        responses = [
            api.client.post(
                "/v1/auth/signup",
                json={"email": "nope", "password": "short", "first_name": "", "dob": "soon"},
            ),
            customer.post(
                "/v1/transactions",
                json={"account_id": account, "type": "gift", "amount": "ten", "currency": "US"},
            ),
            customer.post("/v1/accounts", json={"type": "checking", "currency": "USD", "x": 1}),
            customer.get("/v1/accounts?limit=0&offset=-1"),
        ]
        for response in responses:
            assert response.status_code == 422, response.text
            for field in _fields(response):
                message = field["message"]
                assert message[0].isupper(), field
                assert message.endswith("."), field
                for raw in ("Input should", "String should", "Value error", "Field required"):
                    assert raw not in message, field
                assert field["rule"]

    def test_each_error_type_has_its_sentence_and_rule(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        signup = api.client.post(
            "/v1/auth/signup",
            json={"email": "nope", "password": "short", "first_name": "A", "dob": "soon"},
        )
        by_field = {f["field"]: f for f in _fields(signup)}
        assert by_field["password"] == {
            "field": "password",
            "message": "Must be at least 8 characters.",
            "rule": "min_length",
        }
        assert by_field["last_name"]["message"] == "This field is required."
        assert by_field["last_name"]["rule"] == "required"
        assert by_field["dob"]["message"] == "Must be a date written as YYYY-MM-DD."
        assert by_field["email"]["message"] == "Must be an email address."
        money = customer.post(
            "/v1/transactions",
            json={"account_id": account, "type": "gift", "amount": "ten", "currency": "USD"},
        )
        by_field = {f["field"]: f for f in _fields(money)}
        assert by_field["amount"]["message"] == "Must be a whole number."
        assert by_field["amount"]["rule"] == "whole_number"
        assert by_field["type"]["rule"] == "choice"
        assert by_field["type"]["message"].startswith("Must be one of 'deposit'")
        page = customer.get("/v1/accounts?limit=500")
        assert _fields(page) == [
            {"field": "limit", "message": "Must be at most 200.", "rule": "maximum"}
        ]
        extra = customer.post("/v1/accounts", json={"type": "checking", "currency": "USD", "x": 1})
        assert _fields(extra) == [
            {
                "field": "x",
                "message": "Is not a field this request accepts.",
                "rule": "unknown_field",
            }
        ]
