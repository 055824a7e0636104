"""``Visibility``: the one value that says which tenant rows a caller sees."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera.models import DEFAULT_FIRM_ID, AccountHolder, Role
from tessera.principal import ROLE_SCOPES, Principal
from tessera.visibility import Visibility
from tests.support.api import Api


def _principal(role: Role, *, firm_id: str = "firm_a", holder_id: str | None = None) -> Principal:
    return Principal(
        kind="user",
        id="usr_1",
        firm_id=firm_id,
        scopes=ROLE_SCOPES[role],
        role=role,
        holder_id=holder_id,
    )


class TestFromPrincipal:
    def test_platform_admin_sees_everything(self) -> None:
        principal = _principal(Role.PLATFORM_ADMIN)
        assert principal.visibility == Visibility.everything()
        assert principal.firm_visibility == Visibility.everything()

    @pytest.mark.parametrize("role", [Role.FIRM_ADMIN, Role.FIRM_OPERATOR])
    def test_staff_see_their_firm(self, role: Role) -> None:
        principal = _principal(role)
        assert principal.visibility == Visibility.firm("firm_a")
        assert principal.firm_visibility == Visibility.firm("firm_a")

    def test_machine_client_sees_its_firm(self) -> None:
        client = Principal(kind="client", id="cli_1", firm_id="firm_a", scopes=frozenset())
        assert client.visibility == Visibility.firm("firm_a")

    def test_customer_sees_their_holder_and_firm_objects_of_their_firm(self) -> None:
        principal = _principal(Role.CUSTOMER, holder_id="hld_1")
        assert principal.visibility == Visibility.holder("firm_a", "hld_1")
        assert principal.firm_visibility == Visibility.firm("firm_a")

    def test_customer_without_a_holder_sees_nothing(self) -> None:
        principal = _principal(Role.CUSTOMER)
        assert principal.visibility == Visibility.nothing()
        assert principal.visibility.is_nothing
        assert not principal.visibility.sees(firm_id="firm_a", holder_id=None)


class TestSees:
    def test_everything(self) -> None:
        assert Visibility.everything().sees(firm_id="firm_b", holder_id="hld_9")

    def test_firm(self) -> None:
        firm = Visibility.firm("firm_a")
        assert firm.sees(firm_id="firm_a", holder_id="hld_9")
        assert not firm.sees(firm_id="firm_b", holder_id="hld_9")

    def test_holder(self) -> None:
        holder = Visibility.holder("firm_a", "hld_1")
        assert holder.sees(firm_id="firm_a", holder_id="hld_1")
        assert not holder.sees(firm_id="firm_a", holder_id="hld_2")
        assert not holder.sees(firm_id="firm_b", holder_id="hld_1")

    def test_nothing(self) -> None:
        assert not Visibility.nothing().sees(firm_id="firm_a", holder_id="hld_1")
        assert not Visibility.nothing().sees(firm_id="firm_a", holder_id=None)


class TestNarrowing:
    def test_firm_wide_drops_the_holder_and_keeps_nothing(self) -> None:
        assert Visibility.holder("firm_a", "hld_1").firm_wide() == Visibility.firm("firm_a")
        assert Visibility.firm("firm_a").firm_wide() == Visibility.firm("firm_a")
        assert Visibility.everything().firm_wide() == Visibility.everything()
        assert Visibility.nothing().firm_wide() == Visibility.nothing()

    def test_in_firm(self) -> None:
        assert Visibility.everything().in_firm("firm_a") == Visibility.firm("firm_a")
        assert Visibility.firm("firm_a").in_firm("firm_a") == Visibility.firm("firm_a")
        assert Visibility.firm("firm_a").in_firm("firm_b") == Visibility.nothing()
        holder = Visibility.holder("firm_a", "hld_1")
        assert holder.in_firm("firm_a") == holder
        assert Visibility.nothing().in_firm("firm_a") == Visibility.nothing()


class TestWhere:
    """The clauses, run on each database against real holders of two firms."""

    def _visible(self, api: Api, visibility: Visibility) -> set[str]:
        with api.runtime.db.session_scope() as session:
            query = sa.select(AccountHolder.id).where(
                *visibility.where(AccountHolder.firm_id, AccountHolder.id)
            )
            return set(session.scalars(query))

    def test_each_case(self, api: Api) -> None:
        other = api.create_firm()
        mine = {api.customer().holder_id, api.customer().holder_id}
        theirs = {api.customer(firm=other.slug).holder_id}
        one = next(iter(mine))
        assert None not in mine | theirs

        assert self._visible(api, Visibility.everything()) >= mine | theirs
        firm = self._visible(api, Visibility.firm(DEFAULT_FIRM_ID))
        assert firm >= mine
        assert not firm & theirs
        assert one is not None
        assert self._visible(api, Visibility.holder(DEFAULT_FIRM_ID, one)) == {one}
        assert self._visible(api, Visibility.holder(other.id, one)) == set()

    def test_nothing_matches_no_row(self, api: Api) -> None:
        api.customer()
        assert self._visible(api, Visibility.everything())
        assert self._visible(api, Visibility.nothing()) == set()

    def test_a_holder_scope_on_a_table_without_holders_is_refused(self) -> None:
        with pytest.raises(ValueError, match="holder column"):
            Visibility.holder("firm_a", "hld_1").where(AccountHolder.firm_id)
