"""The demo client of seed 003: the banking flow over HTTP, as any client of the API runs it.

It knows the API only through HTTP (``httpx``): sign up, log in, open accounts, deposit,
withdraw, transfer and read a statement. A plan is a JSON sequence of steps (config mode) or is
built from the answers to a few questions (interactive mode). Accounts are named in the plan
(``"main"``, ``"savings"``) and the client remembers the ids the API gave them. Each step's
outcome is a row of a table; a statement is a table of its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import httpx
import typer
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from rich.console import Console
from rich.table import Table

from tessera.kit.money import currency_exponent, format_amount

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
TIMEOUT_SECONDS = 10.0


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Signup(_Step):
    """Create the customer (an email already taken is fine: the plan logs in next)."""

    action: Literal["signup"]
    email: str
    password: str
    first_name: str
    last_name: str
    dob: date
    phone: str | None = None
    firm: str | None = None


class Login(_Step):
    """Log in; later steps use the access token."""

    action: Literal["login"]
    email: str
    password: str


class OpenAccount(_Step):
    """Open an account and remember it under ``name``."""

    action: Literal["open_account"]
    name: str
    type: Literal["checking", "savings"] = "checking"
    currency: str = "USD"


class Movement(_Step):
    """A deposit to or withdrawal from a named account (``amount`` in minor units)."""

    action: Literal["deposit", "withdraw"]
    account: str
    amount: int = Field(gt=0)
    description: str | None = None


class Transfer(_Step):
    """Money from one named account to another (``amount`` in minor units)."""

    action: Literal["transfer"]
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    amount: int = Field(gt=0)
    description: str | None = None


class Statement(_Step):
    """A named account's statement, optionally for a period (dates inclusive)."""

    action: Literal["statement"]
    account: str
    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="to")


Step = Annotated[
    Signup | Login | OpenAccount | Movement | Transfer | Statement, Field(discriminator="action")
]


class Plan(BaseModel):
    """What config mode reads: where the API is, and the steps to run in order."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = DEFAULT_BASE_URL
    steps: list[Step] = Field(min_length=1)

    def with_base_url(self, base_url: str) -> Plan:
        """The same steps against another server."""
        return self.model_copy(update={"base_url": base_url})


_PLAN = TypeAdapter(Plan)


def load_plan(data: Any) -> Plan:
    """A plan from parsed JSON; ValueError naming the first problem otherwise."""
    try:
        return _PLAN.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the plan"
        raise ValueError(f"{where}: {first['msg']}") from exc


def to_minor_units(text: str, currency: str) -> int:
    """``"100.50"`` USD as 10050; ValueError for a malformed or over-precise amount."""
    exponent = currency_exponent(currency.upper())
    if exponent is None:
        raise ValueError(f"{currency} is not a currency")
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not an amount") from exc
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value() or minor <= 0:
        raise ValueError(f"{text!r} is not a positive amount in {currency}")
    return int(minor)


def ask_plan(base_url: str | None) -> Plan:
    """Interactive mode: ask for the server, the customer and the amounts."""
    url = base_url or typer.prompt("Base URL of the API", default=DEFAULT_BASE_URL)
    email = typer.prompt("Email")
    password = typer.prompt("Password (8 characters or more)", hide_input=True)
    first_name = typer.prompt("First name")
    last_name = typer.prompt("Last name")
    dob = typer.prompt("Date of birth (YYYY-MM-DD)", value_proc=date.fromisoformat)
    phone = typer.prompt("Phone (optional)", default="", show_default=False) or None
    firm = typer.prompt("Firm slug (optional)", default="", show_default=False) or None
    currency = typer.prompt("Currency", default="USD").upper()

    def amount(question: str, default: str) -> int:
        return int(
            typer.prompt(
                f"{question} ({currency})",
                default=default,
                value_proc=lambda text: to_minor_units(text, currency),
            )
        )

    deposit = amount("Deposit into checking", "100.00")
    moved = amount("Transfer to savings", "25.00")
    steps: list[Any] = [
        {"action": "signup", "email": email, "password": password, "first_name": first_name,
         "last_name": last_name, "dob": dob.isoformat(), "phone": phone, "firm": firm},
        {"action": "login", "email": email, "password": password},
        {"action": "open_account", "name": "checking", "type": "checking", "currency": currency},
        {"action": "open_account", "name": "savings", "type": "savings", "currency": currency},
        {"action": "deposit", "account": "checking", "amount": deposit},
        {"action": "transfer", "from": "checking", "to": "savings", "amount": moved},
        {"action": "statement", "account": "checking"},
        {"action": "statement", "account": "savings"},
    ]  # fmt: skip
    return load_plan({"base_url": url, "steps": steps})


@dataclass
class _Session:
    """What the client learnt while running: the token and the named accounts."""

    http: httpx.Client
    token: str | None = None
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    statements: list[Table] = field(default_factory=list)

    def headers(self, *, idempotent: bool = False) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if idempotent:
            # A retry of this request would replay the first answer instead of moving money twice.
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return headers

    def account(self, name: str) -> dict[str, Any]:
        if name not in self.accounts:
            raise _StepFailed(f"no account named {name!r} was opened before this step")
        return self.accounts[name]


class _StepFailed(Exception):
    """A step that cannot go on; its message is the table's result."""


def _check(response: httpx.Response, *expected: int) -> dict[str, Any]:
    if response.status_code in expected:
        body: dict[str, Any] = response.json() if response.content else {}
        return body
    try:
        error = response.json()["error"]
        raise _StepFailed(f"{response.status_code} {error['code']}: {error['message']}")
    except (ValueError, KeyError, TypeError):
        raise _StepFailed(f"{response.status_code}: {response.text[:200]}") from None


def _money(amount: int, currency: str) -> str:
    return f"{format_amount(amount, currency)} {currency}"


def _run_step(state: _Session, step: Any) -> tuple[str, str]:  # noqa: PLR0911
    """Do one step; returns what it was and what came of it (raises _StepFailed)."""
    http = state.http
    if isinstance(step, Signup):
        body = step.model_dump(mode="json", exclude={"action"}, exclude_none=True)
        response = http.post("/v1/auth/signup", json=body)
        if response.status_code == 409 and response.json()["error"]["code"] == "email_taken":
            return f"sign up {step.email}", "already signed up"
        created = _check(response, 201)
        return f"sign up {step.email}", f"user {created['user']['id']}"
    if isinstance(step, Login):
        tokens = _check(
            http.post("/v1/auth/login", json={"email": step.email, "password": step.password}),
            200,
        )
        state.token = tokens["access_token"]
        return f"log in {step.email}", f"access token for {tokens['expires_in']} s"
    if isinstance(step, OpenAccount):
        account = _check(
            http.post(
                "/v1/accounts",
                json={"type": step.type, "currency": step.currency},
                headers=state.headers(idempotent=True),
            ),
            201,
        )
        state.accounts[step.name] = account
        return f"open {step.type} account {step.name!r}", f"{account['id']}"
    if isinstance(step, Movement):
        account = state.account(step.account)
        kind = "deposit" if step.action == "deposit" else "withdrawal"
        row = _check(
            http.post(
                "/v1/transactions",
                json={
                    "account_id": account["id"],
                    "type": kind,
                    "amount": step.amount,
                    "currency": account["currency"],
                    "description": step.description,
                },
                headers=state.headers(idempotent=True),
            ),
            201,
        )
        money = _money(step.amount, account["currency"])
        balance = _money(row["balance_after"], account["currency"])
        direction = "to" if kind == "deposit" else "from"
        return f"{kind} {money} {direction} {step.account!r}", f"balance {balance}"
    if isinstance(step, Transfer):
        source, target = state.account(step.source), state.account(step.target)
        moved = _check(
            http.post(
                "/v1/transfers",
                json={
                    "from_account_id": source["id"],
                    "to_account_id": target["id"],
                    "amount": step.amount,
                    "currency": source["currency"],
                    "description": step.description,
                },
                headers=state.headers(idempotent=True),
            ),
            201,
        )
        money = _money(step.amount, source["currency"])
        return f"transfer {money} {step.source!r} to {step.target!r}", f"transfer {moved['id']}"
    if isinstance(step, Statement):
        account = state.account(step.account)
        params = {k: v.isoformat() for k, v in (("from", step.start), ("to", step.end)) if v}
        statement = _check(
            http.get(f"/v1/statements/{account['id']}", params=params, headers=state.headers()),
            200,
        )
        state.statements.append(statement_table(step.account, statement))
        closing = _money(statement["closing_balance"], statement["currency"])
        count = len(statement["transactions"])
        return f"statement of {step.account!r}", f"{count} transactions, closing {closing}"
    raise _StepFailed(f"unknown step {step!r}")  # pragma: no cover - the plan is validated


def statement_table(name: str, statement: dict[str, Any]) -> Table:
    """A statement's transactions, oldest first, with the period's totals."""
    currency = statement["currency"]
    period = f"{statement.get('from') or 'start'} to {statement.get('to') or 'today'}"
    table = Table(title=f"Statement of {name!r} ({currency}, {period})", title_justify="left")
    table.add_column("date")
    table.add_column("type")
    table.add_column("description")
    table.add_column("amount", justify="right")
    table.add_column("balance", justify="right")
    for line in statement["transactions"]:
        credit = line["type"] in {"deposit", "transfer_in"}
        amount = format_amount(line["amount"] if credit else -line["amount"], currency)
        table.add_row(
            line["created_at"][:10],
            line["type"],
            line["description"] or "",
            amount,
            format_amount(line["balance_after"], currency),
        )
    table.add_section()
    table.add_row("", "opening", "", "", format_amount(statement["opening_balance"], currency))
    table.add_row("", "closing", "", "", format_amount(statement["closing_balance"], currency))
    return table


def run_plan(plan: Plan, *, console: Console) -> bool:
    """Run every step in order and show the outcomes; False when a step failed."""
    results = Table(title=f"Demo client against {plan.base_url}", title_justify="left")
    results.add_column("#", justify="right")
    results.add_column("step")
    results.add_column("result")
    ok = True
    with httpx.Client(base_url=plan.base_url, timeout=TIMEOUT_SECONDS) as http:
        state = _Session(http)
        for number, step in enumerate(plan.steps, start=1):
            try:
                what, outcome = _run_step(state, step)
                results.add_row(str(number), what, f"[green]{outcome}[/]")
            except _StepFailed as exc:
                results.add_row(str(number), step.action, f"[red]{exc}[/]")
                ok = False
                break
            except httpx.HTTPError as exc:
                results.add_row(str(number), step.action, f"[red]cannot reach the API: {exc}[/]")
                ok = False
                break
    console.print(results)
    for statement in state.statements:
        console.print(statement)
    if state.accounts:
        console.print(_accounts_table(state, plan.base_url))
    return ok


def _accounts_table(state: _Session, base_url: str) -> Table:
    """The named accounts with their balances as the API reports them now."""
    table = Table(title="Accounts", title_justify="left")
    for column in ("name", "id", "type", "balance"):
        table.add_column(column, justify="right" if column == "balance" else "left")
    with httpx.Client(base_url=base_url, timeout=TIMEOUT_SECONDS) as http:
        for name, account in state.accounts.items():
            try:
                fresh = http.get(f"/v1/accounts/{account['id']}", headers=state.headers())
                current = fresh.json() if fresh.status_code == 200 else account
            except httpx.HTTPError:
                current = account
            table.add_row(
                name,
                current["id"],
                current["type"],
                _money(current["balance"], current["currency"]),
            )
    return table
