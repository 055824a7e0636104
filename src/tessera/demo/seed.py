"""``tessera demo seed``: a firm with staff, customers, money history, cards, registrations,
delivery files, a certificate and a webhook endpoint, made through the services.

Every step first looks for what it would create, so running the seed twice changes nothing the
second time. Dates are relative to today: the history covers the past six weeks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from tessera.accounts import service as accounts
from tessera.accounts.domain import AccountType
from tessera.audit.service import CLI
from tessera.auth import repository as users
from tessera.auth import service as auth
from tessera.cards import service as cards
from tessera.cards.domain import CardType
from tessera.certificates import issuance
from tessera.certificates import service as certificates
from tessera.deliveries.imports import reports as deliveries
from tessera.deliveries.imports.orchestrator import file_digest, import_local_file
from tessera.errors import NotFound
from tessera.firms import repository as firm_rows
from tessera.firms import service as firms
from tessera.kit.pagination import PageParams
from tessera.ledger import service as ledger
from tessera.ledger.domain import MovementType
from tessera.models import DEFAULT_FIRM_ID, Firm, Role, User
from tessera.principal import Principal
from tessera.registrations import service as registrations
from tessera.registrations.domain import RegistrationStatus
from tessera.runtime import Runtime
from tessera.staff import service as staff
from tessera.staff.domain import StaffRole
from tessera.webhooks import service as webhooks

FIRM_SLUG = "demo-bank"
FIRM_NAME = "Demo Bank"
ADMIN = ("platform admin", "admin@tessera.example", "demo-platform")
FIRM_ADMIN = ("firm admin", "admin@demobank.example", "demo-staff")
OPERATOR = ("firm operator", "operator@demobank.example", "demo-staff")
CUSTOMER_PASSWORD = "demo-customer"
CERTIFICATE_NAME = "payments.demobank.example"
WEBHOOK_URL = "https://hooks.demobank.example/tessera"
EVERYTHING = PageParams(limit=200, offset=0)


@dataclass(frozen=True, slots=True)
class Customer:
    """A demo customer; the phones are the ones in the courier's sample files."""

    first_name: str
    last_name: str
    email: str
    phone: str
    dob: date


CUSTOMERS = (
    Customer("Ada", "Lovelace", "ada@demobank.example", "0585949014", date(1990, 12, 10)),
    Customer("Grace", "Hopper", "grace@demobank.example", "0545576586", date(1986, 12, 9)),
    Customer("Alan", "Turing", "alan@demobank.example", "0534534534", date(1992, 6, 23)),
)


@dataclass(frozen=True, slots=True)
class Login:
    """A login the seed made, to print."""

    role: str
    email: str
    password: str
    firm: str


@dataclass(slots=True)
class SeedReport:
    """What the seed made (``created``) and what was already there (``kept``), by kind."""

    firm_slug: str = FIRM_SLUG
    logins: list[Login] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, *, made: bool, n: int = 1) -> None:
        target = self.created if made else self.kept
        target[kind] = target.get(kind, 0) + n


def samples_dir() -> Path:
    """The courier partner's four sample files, shipped inside the package."""
    return Path(str(resources.files("tessera.demo") / "samples"))


def principal_of(session: Session, user: User) -> Principal:
    """The principal the API would resolve for this user's access token."""
    return auth.principal_of_user(session, user)


def _at(today: date, days_ago: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour, minute), tzinfo=UTC)


def seed_demo(runtime: Runtime) -> SeedReport:
    """Create the demo data that is not there yet; returns the logins and what was made."""
    report = SeedReport()
    admin = _platform_admin(runtime, report)
    firm = _firm(runtime, admin, report)
    firm_admin = _staff(runtime, firm, FIRM_ADMIN, StaffRole.FIRM_ADMIN, report)
    operator = _staff(runtime, firm, OPERATOR, StaffRole.FIRM_OPERATOR, report)
    customers = [_customer(runtime, firm, c, report) for c in CUSTOMERS]
    _banking(runtime, customers, report)
    _registrations(runtime, operator, customers, report)
    _courier_files(runtime, firm, operator, report)
    _certificate(runtime, firm_admin, report)
    _webhook_endpoint(runtime, firm_admin, report)
    report.logins = [
        Login(ADMIN[0], ADMIN[1], ADMIN[2], "(all)"),
        Login(FIRM_ADMIN[0], FIRM_ADMIN[1], FIRM_ADMIN[2], FIRM_SLUG),
        Login(OPERATOR[0], OPERATOR[1], OPERATOR[2], FIRM_SLUG),
        *(Login("customer", c.email, CUSTOMER_PASSWORD, FIRM_SLUG) for c in CUSTOMERS),
    ]
    return report


def _platform_admin(runtime: Runtime, report: SeedReport) -> str:
    _, email, password = ADMIN
    with runtime.db.session_scope() as session:
        user = users.get_user_by_email(session, email)
        report.count("users", made=user is None)
        if user is None:
            user = auth.create_staff_user(
                session,
                runtime.passwords,
                email=email,
                password=password,
                firm_id=DEFAULT_FIRM_ID,
                role=Role.PLATFORM_ADMIN,
                now=runtime.now(),
            )
        return user.id


def _firm(runtime: Runtime, admin_id: str, report: SeedReport) -> Firm:
    with runtime.db.session_scope() as session:
        firm = firm_rows.get_by_slug(session, FIRM_SLUG)
        report.count("firms", made=firm is None)
        if firm is None:
            firm = firms.create_firm(
                session,
                principal=principal_of(session, users_get(session, admin_id)),
                name=FIRM_NAME,
                slug=FIRM_SLUG,
                auto_approve_registrations=False,
                issuing_bin=None,
                issuing_bin_end=None,
                phone_region=runtime.settings.default_phone_region,
                timezone=runtime.settings.default_timezone,
                now=runtime.now(),
            )
        return firm


def _staff(
    runtime: Runtime, firm: Firm, login: tuple[str, str, str], role: StaffRole, report: SeedReport
) -> str:
    _, email, password = login
    with runtime.db.session_scope() as session:
        granted = staff.set_staff_role(
            runtime.db.read_scope,
            session,
            runtime.passwords,
            firm=firm,
            email=email,
            role=role,
            password=password,
            actor=CLI,
            now=runtime.now(),
        )
        report.count("users", made=granted.created)
        return granted.user.id


def _customer(runtime: Runtime, firm: Firm, customer: Customer, report: SeedReport) -> str:
    with runtime.db.session_scope() as session:
        user = users.get_user_by_email(session, customer.email)
        report.count("users", made=user is None)
        if user is None:
            user, _holder = auth.signup(
                runtime.db.read_scope,
                session,
                runtime.passwords,
                now=runtime.now(),
                email=customer.email,
                password=CUSTOMER_PASSWORD,
                first_name=customer.first_name,
                last_name=customer.last_name,
                dob=customer.dob,
                phone=customer.phone,
                firm_slug=firm.slug,
            )
        return user.id


@dataclass(frozen=True, slots=True)
class _Movement:
    days_ago: int
    hour: int
    customer: int
    kind: str  # deposit, withdrawal, or transfer
    amount: int
    description: str
    account: str = "checking"
    to: tuple[int, str] | None = None


def _history() -> Iterator[_Movement]:
    """Six weeks of salaries, cash, savings and payments between the three customers."""
    for start in (41, 27, 13):
        yield _Movement(start, 8, 0, "deposit", 350_000, "Salary")
        yield _Movement(start, 9, 1, "deposit", 420_000, "Salary")
        yield _Movement(start - 1, 10, 0, "transfer", 50_000, "Monthly saving", to=(0, "savings"))
        yield _Movement(start - 2, 18, 1, "withdrawal", 12_000, "Cash withdrawal")
        yield _Movement(start - 3, 12, 2, "deposit", 120_000, "Freelance invoice")
        yield _Movement(start - 4, 19, 0, "withdrawal", 6_050, "Groceries")
        yield _Movement(start - 5, 20, 1, "transfer", 3_000, "Concert tickets", to=(0, "checking"))
        yield _Movement(start - 6, 20, 1, "transfer", 80_000, "Rent share", to=(2, "checking"))
        yield _Movement(start - 7, 13, 2, "transfer", 30_000, "Savings", to=(2, "savings"))
        yield _Movement(start - 9, 21, 0, "transfer", 4_550, "Dinner", to=(1, "checking"))
        yield _Movement(start - 10, 17, 2, "withdrawal", 2_500, "Coffee beans")


def _banking(runtime: Runtime, user_ids: list[str], report: SeedReport) -> None:
    """Accounts, their history and issued cards: one transaction, made once."""
    today = runtime.now().date()
    with runtime.db.session_scope() as session:
        principals = [principal_of(session, users_get(session, u)) for u in user_ids]
        if accounts.list_accounts(session, principal=principals[0], page=EVERYTHING).total:
            report.count("accounts", made=False, n=5)
            return
        opened: dict[tuple[int, str], str] = {}
        for index, principal in enumerate(principals):
            for kind in (AccountType.CHECKING, AccountType.SAVINGS):
                if index == 1 and kind is AccountType.SAVINGS:
                    continue  # Grace keeps one account
                account = accounts.create_account(
                    session,
                    principal=principal,
                    type=kind,
                    currency="USD",
                    holder_id=None,
                    now=_at(today, 42, 7),
                )
                opened[(index, kind.value)] = account.id
                report.count("accounts", made=True)
        for move in _history():
            principal = principals[move.customer]
            moment = _at(today, move.days_ago, move.hour)
            source = opened[(move.customer, move.account)]
            if move.to is None:
                ledger.post_movement(
                    session,
                    principal=principal,
                    account_id=source,
                    type=MovementType(move.kind),
                    amount=move.amount,
                    currency="USD",
                    description=move.description,
                    now=moment,
                )
            else:
                ledger.transfer_funds(
                    session,
                    ledger.TransferRequest(
                        principal=principal,
                        from_account_id=source,
                        to_account_id=opened[move.to],
                        amount=move.amount,
                        currency="USD",
                        description=move.description,
                    ),
                    now=moment,
                )
            report.count("movements", made=True)
        issued = ((0, CardType.VIRTUAL), (0, CardType.PHYSICAL), (1, CardType.PHYSICAL))
        for index, card_type in (*issued, (2, CardType.VIRTUAL)):
            cards.issue_card(
                session,
                runtime.keyring,
                principal=principals[index],
                account_id=opened[(index, "checking")],
                type=card_type,
                cardholder_name=None,
                now=_at(today, 30, 11),
            )
            report.count("cards", made=True)


def users_get(session: Session, user_id: str) -> User:
    """The user row of an id the seed made."""
    user = users.get_user(session, user_id)
    if user is None:  # pragma: no cover - made by an earlier step of the same seed
        raise LookupError(user_id)
    return user


# Test numbers of the card networks: Luhn-valid, never issued to anyone.
REGISTRATIONS = (
    (0, "4111 1111 1111 1111", "123", RegistrationStatus.APPROVED, None),
    (1, "5555 5555 5555 4444", "321", RegistrationStatus.PENDING, None),
    (2, "3782 822463 10005", "1234", RegistrationStatus.PENDING, None),
    (0, "4012 8888 8888 1881", "456", RegistrationStatus.REJECTED, "Reported lost by the holder."),
)


def _registrations(
    runtime: Runtime, operator_id: str, user_ids: list[str], report: SeedReport
) -> None:
    """Cards the firm registered for its customers: approved, pending and rejected."""
    expiry = f"12/{(runtime.now().year + 3) % 100:02d}"
    for index, number, cvv, wanted, reason in REGISTRATIONS:
        with runtime.db.session_scope() as session:
            operator = principal_of(session, users_get(session, operator_id))
            customer = principal_of(session, users_get(session, user_ids[index]))
            name = f"{CUSTOMERS[index].first_name} {CUSTOMERS[index].last_name}"
            try:
                found = registrations.find_by_card_number(
                    session, runtime.keyring, principal=operator, card_number=number
                )
                report.count("registrations", made=False)
            except NotFound:
                found = registrations.register_card(
                    session,
                    runtime.keyring,
                    principal=operator,
                    submission=registrations.CardSubmission(
                        card_number=number,
                        expiry_date=expiry,
                        cvv=cvv,
                        cardholder_name=name,
                        holder_id=customer.holder_id,
                        external_ref=f"demo-{number[-4:]}",
                    ),
                    now=runtime.now(),
                )
                report.count("registrations", made=True)
            registration_id = found.registration.id
            status = found.registration.status
        if status == RegistrationStatus.PENDING.value and wanted is not RegistrationStatus.PENDING:
            with runtime.db.session_scope() as session:
                registrations.decide(
                    session,
                    principal=principal_of(session, users_get(session, operator_id)),
                    registration_id=registration_id,
                    decision=wanted,
                    reason=reason,
                    now=runtime.now(),
                )


def _courier_files(runtime: Runtime, firm: Firm, operator_id: str, report: SeedReport) -> None:
    """The partner's sample files, imported into the demo firm once each."""
    with runtime.db.session_scope(write=False) as session:
        operator = principal_of(session, users_get(session, operator_id))
        page = deliveries.list_imports(session, principal=operator, page=EVERYTHING)
        known = {r.job.file_hash for r in page.items if r.job.status == "completed"}
    for path in sorted(samples_dir().glob("*.csv")):
        with path.open("rb") as stream:
            digest, _size = file_digest(stream)
        if digest in known:
            report.count("courier files", made=False)
            continue
        import_local_file(runtime, path, firm_id=firm.id, partner=None, kind=None, actor=CLI)
        report.count("courier files", made=True)


def _certificate(runtime: Runtime, firm_admin_id: str, report: SeedReport) -> None:
    """A certificate for the firm's payments service, key generated here."""
    with runtime.db.session_scope() as session:
        admin = principal_of(session, users_get(session, firm_admin_id))
        existing = certificates.list_certificates(
            session, principal=admin, owner_id=None, status=None, page=EVERYTHING
        )
        if any(view.certificate.common_name == CERTIFICATE_NAME for view in existing.items):
            report.count("certificates", made=False)
            return
        now = runtime.now()
        signed = issuance.sign_new(
            session,
            runtime.keyring,
            principal=admin,
            request=issuance.IssueRequest(
                common_name=CERTIFICATE_NAME, labels={"environment": "demo"}
            ),
            now=now,
        )
        issuance.record(session, principal=admin, signed=signed, now=now)
        report.count("certificates", made=True)


def _webhook_endpoint(runtime: Runtime, firm_admin_id: str, report: SeedReport) -> None:
    """Where the firm's core banking would hear about every event (made last, so that the
    history above, dated in the past, is not sent to it)."""
    with runtime.db.session_scope() as session:
        admin = principal_of(session, users_get(session, firm_admin_id))
        existing = webhooks.list_endpoints(session, principal=admin, page=EVERYTHING)
        if any(endpoint.url == WEBHOOK_URL for endpoint in existing.items):
            report.count("webhook endpoints", made=False)
            return
        webhooks.create_endpoint(
            session,
            runtime.keyring,
            principal=admin,
            url=WEBHOOK_URL,
            events=["*"],
            description="Demo Bank's core banking",
            allow_private=runtime.settings.allow_private_webhooks,
            now=runtime.now(),
        )
        report.count("webhook endpoints", made=True)
