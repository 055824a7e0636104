"""Signup: the customer and their holder profile."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, Api


def _body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "email": "grace@example.com",
        "password": PASSWORD,
        "first_name": "Grace",
        "last_name": "Hopper",
        "dob": "1906-12-09",
    }
    body.update(overrides)
    return body


class TestSignup:
    def test_creates_user_and_holder_without_tokens(self, client: TestClient) -> None:
        response = client.post("/v1/auth/signup", json=_body(phone="+971 58 594 9014"))
        assert response.status_code == 201
        data = response.json()
        assert set(data) == {"user", "account_holder"}
        assert data["user"]["email"] == "grace@example.com"
        assert data["user"]["role"] == "customer"
        assert data["user"]["firm"] == "firm_default"
        assert data["user"]["created_at"].endswith("Z")
        assert data["account_holder"]["user_id"] == data["user"]["id"]
        assert data["account_holder"]["phone"] == "+971585949014"
        assert "access_token" not in response.text
        assert PASSWORD not in response.text

    def test_email_is_case_insensitive_and_unique(self, client: TestClient) -> None:
        assert client.post("/v1/auth/signup", json=_body()).status_code == 201
        again = client.post("/v1/auth/signup", json=_body(email="GRACE@Example.com"))
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "email_taken"

    def test_password_length_is_checked(self, client: TestClient) -> None:
        short = client.post("/v1/auth/signup", json=_body(password="short"))
        assert short.status_code == 422
        assert short.json()["error"]["code"] == "validation_error"
        assert short.json()["error"]["details"]["fields"][0]["field"] == "password"
        long = client.post("/v1/auth/signup", json=_body(password="x" * 129))
        assert long.status_code == 422

    def test_date_of_birth_must_be_in_the_past(self, client: TestClient) -> None:
        response = client.post("/v1/auth/signup", json=_body(dob="2999-01-01"))
        assert response.status_code == 422
        assert response.json()["error"]["details"]["fields"] == [
            {"field": "dob", "message": "Date of birth must be in the past.", "rule": "past_date"}
        ]

    def test_bad_email_and_phone_are_refused(self, client: TestClient) -> None:
        assert client.post("/v1/auth/signup", json=_body(email="nope")).status_code == 422
        phone = client.post("/v1/auth/signup", json=_body(phone="9.71535E+11"))
        assert phone.status_code == 422
        assert phone.json()["error"]["details"]["fields"][0]["field"] == "phone"

    def test_unknown_firm_is_refused_and_known_firm_is_joined(self, api: Api) -> None:
        unknown = api.client.post("/v1/auth/signup", json=_body(firm="no-such-firm"))
        assert unknown.status_code == 422
        firm = api.create_firm("acme")
        joined = api.client.post("/v1/auth/signup", json=_body(firm="acme"))
        assert joined.status_code == 201
        assert joined.json()["user"]["firm"] == firm.id

    def test_unknown_fields_are_refused(self, client: TestClient) -> None:
        response = client.post("/v1/auth/signup", json=_body(role="platform_admin"))
        assert response.status_code == 422
        assert response.json()["error"]["details"]["fields"][0]["field"] == "role"

    def test_password_is_stored_as_argon2id(self, api: Api) -> None:
        created = api.signup(email="hash@example.com")
        from tessera.auth import repository

        with api.runtime.db.session_scope(write=False) as session:
            user = repository.get_user(session, created["user"]["id"])
            assert user is not None
            assert user.password_hash is not None
            assert user.password_hash.startswith("$argon2id$")
            assert PASSWORD not in user.password_hash
