"""The role hierarchy, and one table that every user-management route is held to.

The sweep calls each route that manages users, staff, machine clients, firms or their declared
domains as every kind of caller (each role and a machine client) against every kind of target
(each role, the caller itself; a narrow and a broad client), in the caller's firm and in another
firm, and compares
each answer with the tables below. A route or a role missing from the tables fails the test, so
a new one cannot slip through without someone deciding what it may do.

Reading the tables: 404 means the target is invisible to the caller (another firm, or for a
customer anyone but themselves); 403 means visible but not the caller's to manage (no right at
all, or a target that outranks the caller); ``-`` means the case does not exist. Every refused
case is also checked to have changed nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute

from tessera.auth.service import create_staff_user
from tessera.errors import Forbidden, NotFound
from tessera.models import DEFAULT_FIRM_ID, DEFAULT_FIRM_SLUG, Role
from tessera.models.user import ROLE_HIERARCHY
from tessera.principal import ALL_SCOPES, ROLE_SCOPES, Principal
from tessera.routers import ROUTERS
from tests.support.api import PASSWORD, Api, Caller
from tests.support.firms import machine_client, platform_admin

_names = itertools.count(1)

# The caller kinds of the sweep: every role, and a firm's machine client holding clients:manage
# and cards:read only (so that a broader client outranks it).
ACTORS = ("customer", "firm_operator", "firm_admin", "platform_admin", "client")
USER_TARGETS = ("customer", "firm_operator", "firm_admin", "platform_admin", "self")
CLIENT_TARGETS = ("narrow_client", "broad_client", "self")
DOMAIN_TARGETS = ("domain",)
ACTOR_CLIENT_SCOPES = ["clients:manage", "cards:read"]


def table(text: str) -> dict[tuple[str, str], int | None]:
    """``{(actor, target): status}`` from a table whose first row names the targets."""
    lines = [line.split() for line in text.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    parsed: dict[tuple[str, str], int | None] = {}
    for actor, *cells in rows:
        assert len(cells) == len(header), f"row {actor} has {len(cells)} cells"
        for target, cell in zip(header, cells, strict=True):
            parsed[(actor, target)] = None if cell == "-" else int(cell)
    assert sorted({a for a, _ in parsed}) == sorted(ACTORS), "every actor needs a row"
    return parsed


@dataclass
class Target:
    """What a case acts on: a user or a client (``id``), and the firm the route names."""

    kind: str
    firm_id: str
    firm_slug: str
    id: str = ""
    email: str = ""


@dataclass
class World:
    """The caller's firm (the default firm, where platform admins live) and another firm."""

    api: Api
    setup: Caller
    other_id: str
    other_slug: str
    actors: dict[str, Caller] = field(default_factory=dict)

    def actor(self, kind: str) -> Caller:
        """A new caller of this kind in the default firm, logged in."""
        if kind == "client":
            return machine_client(self.setup, DEFAULT_FIRM_ID, ACTOR_CLIENT_SCOPES)
        if kind == "customer":
            return self.api.customer()
        return self.api.staff(Role(kind))

    def firm(self, same: bool) -> tuple[str, str]:
        return (DEFAULT_FIRM_ID, DEFAULT_FIRM_SLUG) if same else (self.other_id, self.other_slug)

    def user(self, role: str, *, same: bool) -> Target:
        """A new user with ``role`` in the caller's firm or the other firm."""
        firm_id, slug = self.firm(same)
        if role == "customer":
            created = self.api.signup(firm=slug)
            return Target(role, firm_id, slug, created["user"]["id"], created["user"]["email"])
        email = self.api.unique_email(role.replace("_", "-"))
        with self.api.runtime.db.session_scope() as session:
            user = create_staff_user(
                session,
                self.api.runtime.passwords,
                email=email,
                password=PASSWORD,
                firm_id=firm_id,
                role=Role(role),
                now=self.api.runtime.now(),
            )
            return Target(role, firm_id, slug, user.id, email)

    def client(self, kind: str, *, same: bool) -> Target:
        """A new machine client with cards:read only, or with every scope."""
        firm_id, slug = self.firm(same)
        scopes = ["cards:read"] if kind == "narrow_client" else sorted(s.value for s in ALL_SCOPES)
        body = {"name": f"target {next(_names)}", "scopes": scopes}
        created = self.setup.post(f"/v1/firms/{firm_id}/clients", json=body)
        assert created.status_code == 201, created.text
        return Target(kind, firm_id, slug, created.json()["client_id"])

    def domain(self, *, same: bool) -> Target:
        """A domain newly declared for the caller's firm or the other firm."""
        firm_id, slug = self.firm(same)
        created = self.setup.post(
            f"/v1/firms/{firm_id}/domains", json={"domain": f"d{next(_names)}.sweep.example"}
        )
        assert created.status_code == 201, created.text
        return Target("domain", firm_id, slug, created.json()["id"])


def user_state(api: Api, user_id: str) -> tuple[str, str] | None:
    with api.runtime.db.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT status, role FROM users WHERE id = :id"), {"id": user_id}
        ).first()
        conn.rollback()
    return None if row is None else (row[0], row[1])


def client_state(api: Api, client_id: str) -> str | None:
    with api.runtime.db.engine.connect() as conn:
        status = conn.execute(
            sa.text("SELECT status FROM api_clients WHERE id = :id"), {"id": client_id}
        ).scalar()
        conn.rollback()
    return None if status is None else str(status)


def firm_state(api: Api, firm_id: str) -> tuple[Any, ...]:
    with api.runtime.db.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT name, allow_ip_sans, (SELECT count(*) FROM firms), "
                "(SELECT count(*) FROM firm_domains WHERE firm_id = :id) FROM firms WHERE id = :id"
            ),
            {"id": firm_id},
        ).one()
        conn.rollback()
    return tuple(row)


def domain_state(api: Api, domain_id: str) -> bool:
    with api.runtime.db.engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT count(*) FROM firm_domains WHERE id = :id"), {"id": domain_id}
        ).scalar_one()
        conn.rollback()
    return bool(found)


Call = Callable[[Caller, Target], httpx.Response]


@dataclass(frozen=True)
class Sweep:
    """One user-management route (``route`` as FastAPI names it) and what each caller gets."""

    route: str
    variant: str
    targets: tuple[str, ...]
    same_firm: str
    other_firm: str
    call: Call

    @property
    def name(self) -> str:
        return f"{self.route} ({self.variant})" if self.variant else self.route


def _grant(role: str) -> Call:
    def call(caller: Caller, target: Target) -> httpx.Response:
        email = target.email or caller.email
        return caller.post(f"/v1/firms/{target.firm_id}/staff", json={"email": email, "role": role})

    return call


SWEEPS: list[Sweep] = [
    Sweep(
        "DELETE /v1/users/{user_id}",
        "",
        USER_TARGETS,
        same_firm="""
                         customer firm_operator firm_admin platform_admin self
            customer       404       404          404         404        204
            firm_operator  403       403          403         403        204
            firm_admin     204       204          204         403        204
            platform_admin 204       204          204         204        403
            client         403       403          403         403         -
        """,
        other_firm="""
                         customer firm_operator firm_admin platform_admin self
            customer       404       404          404         404         -
            firm_operator  404       404          404         404         -
            firm_admin     404       404          404         404         -
            platform_admin 204       204          204         204         -
            client         404       404          404         404         -
        """,
        call=lambda caller, target: caller.delete(f"/v1/users/{target.id or caller.user_id}"),
    ),
    *(
        Sweep(
            "POST /v1/firms/{firm_id}/staff",
            f"an existing user becomes {role}",
            USER_TARGETS,
            same_firm="""
                             customer firm_operator firm_admin platform_admin self
                customer       403       403          403         403        403
                firm_operator  403       403          403         403        403
                firm_admin     200       200          200         403        403
                platform_admin 200       200          200         403        403
                client         403       403          403         403         -
            """,
            other_firm="""
                             customer firm_operator firm_admin platform_admin self
                customer       404       404          404         404         -
                firm_operator  404       404          404         404         -
                firm_admin     404       404          404         404         -
                platform_admin 200       200          200         403         -
                client         404       404          404         404         -
            """,
            call=_grant(role),
        )
        for role in ("firm_operator", "firm_admin")
    ),
    Sweep(
        "DELETE /v1/firms/{firm_id}/staff/{user_id}",
        "",
        USER_TARGETS,
        same_firm="""
                         customer firm_operator firm_admin platform_admin self
            customer       403       403          403         403        403
            firm_operator  403       403          403         403        403
            firm_admin     404       204          204         403        403
            platform_admin 404       204          204         404        403
            client         403       403          403         403         -
        """,
        other_firm="""
                         customer firm_operator firm_admin platform_admin self
            customer       404       404          404         404         -
            firm_operator  404       404          404         404         -
            firm_admin     404       404          404         404         -
            platform_admin 404       204          204         404         -
            client         404       404          404         404         -
        """,
        call=lambda caller, target: caller.delete(
            f"/v1/firms/{target.firm_id}/staff/{target.id or caller.user_id}"
        ),
    ),
    Sweep(
        "POST /v1/firms/{firm_id}/staff",
        "a new user",
        ("firm",),
        same_firm="""
                           firm
            customer       403
            firm_operator  403
            firm_admin     201
            platform_admin 201
            client         403
        """,
        other_firm="""
                           firm
            customer       404
            firm_operator  404
            firm_admin     404
            platform_admin 201
            client         404
        """,
        call=lambda caller, target: caller.post(
            f"/v1/firms/{target.firm_id}/staff",
            json={
                "email": caller.api.unique_email("new-staff"),
                "role": "firm_admin",
                "password": PASSWORD,
            },
        ),
    ),
    Sweep(
        "GET /v1/firms/{firm_id}/staff",
        "",
        ("firm",),
        same_firm="""
                           firm
            customer       403
            firm_operator  403
            firm_admin     200
            platform_admin 200
            client         403
        """,
        other_firm="""
                           firm
            customer       404
            firm_operator  404
            firm_admin     404
            platform_admin 200
            client         404
        """,
        call=lambda caller, target: caller.get(f"/v1/firms/{target.firm_id}/staff"),
    ),
    Sweep(
        "POST /v1/firms/{firm_id}/clients",
        "",
        ("firm",),
        same_firm="""
                           firm
            customer       403
            firm_operator  403
            firm_admin     201
            platform_admin 201
            client         201
        """,
        other_firm="""
                           firm
            customer       404
            firm_operator  404
            firm_admin     404
            platform_admin 201
            client         404
        """,
        call=lambda caller, target: caller.post(
            f"/v1/firms/{target.firm_id}/clients",
            json={"name": f"made {next(_names)}", "scopes": ["cards:read"]},
        ),
    ),
    Sweep(
        "GET /v1/firms/{firm_id}/clients",
        "",
        ("firm",),
        same_firm="""
                           firm
            customer       403
            firm_operator  403
            firm_admin     200
            platform_admin 200
            client         200
        """,
        other_firm="""
                           firm
            customer       404
            firm_operator  404
            firm_admin     404
            platform_admin 200
            client         404
        """,
        call=lambda caller, target: caller.get(f"/v1/firms/{target.firm_id}/clients"),
    ),
    Sweep(
        "DELETE /v1/firms/{firm_id}/clients/{client_id}",
        "",
        CLIENT_TARGETS,
        same_firm="""
                           narrow_client broad_client self
            customer           403           403        -
            firm_operator      403           403        -
            firm_admin         204           204        -
            platform_admin     204           204        -
            client             204           403       204
        """,
        other_firm="""
                           narrow_client broad_client self
            customer           404           404        -
            firm_operator      404           404        -
            firm_admin         404           404        -
            platform_admin     204           204        -
            client             404           404        -
        """,
        call=lambda caller, target: caller.delete(
            f"/v1/firms/{target.firm_id}/clients/{target.id or caller.user_id}"
        ),
    ),
    Sweep(
        "GET /v1/firms/{firm_id}",
        "",
        ("firm",),
        same_firm="""
                           firm
            customer       200
            firm_operator  200
            firm_admin     200
            platform_admin 200
            client         200
        """,
        other_firm="""
                           firm
            customer       404
            firm_operator  404
            firm_admin     404
            platform_admin 200
            client         404
        """,
        call=lambda caller, target: caller.get(f"/v1/firms/{target.firm_id}"),
    ),
    Sweep(
        "PATCH /v1/firms/{firm_id}",
        "",
        ("firm",),
        same_firm="""
                           firm
            customer       403
            firm_operator  403
            firm_admin     200
            platform_admin 200
            client         403
        """,
        other_firm="""
                           firm
            customer       404
            firm_operator  404
            firm_admin     404
            platform_admin 200
            client         404
        """,
        call=lambda caller, target: caller.patch(
            f"/v1/firms/{target.firm_id}", json={"name": f"Renamed {next(_names)}"}
        ),
    ),
    Sweep(
        "PATCH /v1/firms/{firm_id}",
        "allowing IP SANs",
        ("firm",),
        same_firm="""
                           firm
            customer       403
            firm_operator  403
            firm_admin     403
            platform_admin 200
            client         403
        """,
        other_firm="""
                           firm
            customer       404
            firm_operator  404
            firm_admin     404
            platform_admin 200
            client         404
        """,
        call=lambda caller, target: caller.patch(
            f"/v1/firms/{target.firm_id}", json={"allow_ip_sans": True}
        ),
    ),
    Sweep(
        "POST /v1/firms/{firm_id}/domains",
        "",
        ("firm",),
        same_firm="""
                           firm
            customer       403
            firm_operator  403
            firm_admin     201
            platform_admin 201
            client         403
        """,
        other_firm="""
                           firm
            customer       404
            firm_operator  404
            firm_admin     404
            platform_admin 201
            client         404
        """,
        call=lambda caller, target: caller.post(
            f"/v1/firms/{target.firm_id}/domains",
            json={"domain": f"made{next(_names)}.sweep.example"},
        ),
    ),
    Sweep(
        "GET /v1/firms/{firm_id}/domains",
        "",
        ("firm",),
        same_firm="""
                           firm
            customer       403
            firm_operator  403
            firm_admin     200
            platform_admin 200
            client         403
        """,
        other_firm="""
                           firm
            customer       404
            firm_operator  404
            firm_admin     404
            platform_admin 200
            client         404
        """,
        call=lambda caller, target: caller.get(f"/v1/firms/{target.firm_id}/domains"),
    ),
    Sweep(
        "DELETE /v1/firms/{firm_id}/domains/{domain_id}",
        "",
        DOMAIN_TARGETS,
        same_firm="""
                           domain
            customer       403
            firm_operator  403
            firm_admin     204
            platform_admin 204
            client         403
        """,
        other_firm="""
                           domain
            customer       404
            firm_operator  404
            firm_admin     404
            platform_admin 204
            client         404
        """,
        call=lambda caller, target: caller.delete(
            f"/v1/firms/{target.firm_id}/domains/{target.id}"
        ),
    ),
    Sweep(
        "POST /v1/firms",
        "",
        ("firm",),
        same_firm="""
                           firm
            customer       403
            firm_operator  403
            firm_admin     403
            platform_admin 201
            client         403
        """,
        other_firm="""
                           firm
            customer       -
            firm_operator  -
            firm_admin     -
            platform_admin -
            client         -
        """,
        call=lambda caller, target: caller.post(
            "/v1/firms", json={"name": "Made", "slug": f"made-{next(_names)}"}
        ),
    ),
    Sweep(
        "GET /v1/firms",
        "",
        ("firm",),
        same_firm="""
                           firm
            customer       403
            firm_operator  403
            firm_admin     403
            platform_admin 200
            client         403
        """,
        other_firm="""
                           firm
            customer       -
            firm_operator  -
            firm_admin     -
            platform_admin -
            client         -
        """,
        call=lambda caller, target: caller.get("/v1/firms"),
    ),
]

# Where user-management routes live: every route under these prefixes must be in SWEEPS.
MANAGEMENT_PREFIXES = ("/v1/users", "/v1/firms")


def _world(api: Api) -> World:
    setup = platform_admin(api)
    created = setup.post("/v1/firms", json={"name": "Elsewhere", "slug": "elsewhere"})
    assert created.status_code == 201, created.text
    world = World(api, setup, created.json()["id"], created.json()["slug"])
    world.actors = {kind: world.actor(kind) for kind in ACTORS}
    return world


def _state(api: Api, target: Target, caller: Caller) -> Any:
    if target.kind == "firm":
        return firm_state(api, target.firm_id)
    if target.kind == "domain":
        return domain_state(api, target.id)
    if target.kind.endswith("client") or (target.kind == "self" and not caller.email):
        return client_state(api, target.id or caller.user_id)
    return user_state(api, target.id or caller.user_id)


def _case(world: World, actor_kind: str, target_kind: str, *, same: bool) -> tuple[Caller, Target]:
    """The caller and a fresh target of one case."""
    firm_id, slug = world.firm(same)
    if target_kind == "self":
        # A fresh caller, since acting on oneself may delete the caller.
        return world.actor(actor_kind), Target("self", firm_id, slug)
    caller = world.actors[actor_kind]
    if target_kind == "firm":
        return caller, Target("firm", firm_id, slug)
    if target_kind == "domain":
        return caller, world.domain(same=same)
    if target_kind.endswith("client"):
        return caller, world.client(target_kind, same=same)
    return caller, world.user(target_kind, same=same)


def _run(world: World, sweep: Sweep) -> list[str]:
    """Every case of one route; returns the ones whose answer differs from the table."""
    mismatches: list[str] = []
    for same, text in ((True, sweep.same_firm), (False, sweep.other_firm)):
        expected = table(text)
        for actor_kind in ACTORS:
            for target_kind in sweep.targets:
                want = expected[(actor_kind, target_kind)]
                if want is None:
                    continue
                caller, target = _case(world, actor_kind, target_kind, same=same)
                before = _state(world.api, target, caller)
                response = sweep.call(caller, target)
                where = "same firm" if same else "other firm"
                case = f"{sweep.name}: {actor_kind} -> {target_kind} ({where})"
                if response.status_code != want:
                    mismatches.append(f"{case}: {response.status_code}, expected {want}")
                elif want >= 400:
                    assert response.json()["error"]["code"] == (
                        "not_found" if want == 404 else "forbidden"
                    ), case
                    if _state(world.api, target, caller) != before:
                        mismatches.append(f"{case}: refused with {want} but changed the target")
    return mismatches


class TestRoleHierarchy:
    def test_each_role_outranks_exactly_the_ones_below_it(self) -> None:
        assert [r.value for r in ROLE_HIERARCHY] == [
            "customer",
            "firm_operator",
            "firm_admin",
            "platform_admin",
        ]
        assert set(ROLE_HIERARCHY) == set(Role)
        for low, high in itertools.combinations(ROLE_HIERARCHY, 2):
            assert high.outranks(low)
            assert not low.outranks(high)
        assert not Role.FIRM_ADMIN.outranks(Role.FIRM_ADMIN)

    def test_nobody_grants_a_role_above_their_own(self) -> None:
        for role in Role:
            principal = Principal(
                kind="user", id="usr_x", firm_id="firm_x", scopes=ROLE_SCOPES[role], role=role
            )
            for granted in Role:
                allowed = principal.manages_users and not granted.outranks(role)
                if allowed:
                    principal.require_may_grant(granted)
                else:
                    with pytest.raises(Forbidden):
                        principal.require_may_grant(granted)

    def test_a_firm_admin_never_manages_a_platform_admin_nor_another_firm(self) -> None:
        admin = Principal(
            kind="user",
            id="usr_a",
            firm_id="firm_a",
            scopes=ROLE_SCOPES[Role.FIRM_ADMIN],
            role=Role.FIRM_ADMIN,
        )
        with pytest.raises(Forbidden):
            admin.require_manages(user_id="usr_p", firm_id="firm_a", role=Role.PLATFORM_ADMIN)
        with pytest.raises(NotFound):
            admin.require_manages(user_id="usr_c", firm_id="firm_b", role=Role.CUSTOMER)
        admin.require_manages(user_id="usr_c", firm_id="firm_a", role=Role.CUSTOMER)


class TestUserManagementSweep:
    def test_every_user_management_route_and_every_role_is_in_the_tables(self) -> None:
        routes = {
            f"{method} {route.path}"
            for router in ROUTERS
            for route in router.routes
            if isinstance(route, APIRoute) and route.path.startswith(MANAGEMENT_PREFIXES)
            for method in route.methods
        }
        assert routes == {sweep.route for sweep in SWEEPS}
        roles = {role.value for role in Role}
        assert roles <= set(ACTORS)
        assert roles <= set(USER_TARGETS)

    @pytest.mark.parametrize("sweep", SWEEPS, ids=lambda sweep: sweep.name)
    def test_each_caller_gets_what_the_table_says(self, api: Api, sweep: Sweep) -> None:
        world = _world(api)

        mismatches = _run(world, sweep)

        assert not mismatches, "\n".join(mismatches)
