"""`tessera deliveries ...`: import courier files, watch a folder for them, configure partners."""

from __future__ import annotations

import glob
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from tessera.cli.common import cli_runtime, fail, fail_from, out
from tessera.models import DEFAULT_FIRM_SLUG

if TYPE_CHECKING:
    from tessera.deliveries.imports.orchestrator import LocalImport
    from tessera.deliveries.imports.parsing import DeliveryKind
    from tessera.runtime import Runtime

app = typer.Typer(help="Courier delivery files: import, watch, partners.", no_args_is_help=True)
partners_app = typer.Typer(help="Partners and how their files are read.", no_args_is_help=True)
app.add_typer(partners_app, name="partners")
# Rejected lines shown under the summary, per file; the rest are in the import's report.
SHOWN_REJECTIONS = 3

FirmOption = Annotated[
    str, typer.Option("--firm", help="The firm's slug (the default firm otherwise).")
]
PartnerOption = Annotated[
    str | None,
    typer.Option(help="The courier partner; its phone region and time zone apply."),
]
KindOption = Annotated[
    str | None,
    typer.Option(help="pickup, delivery_exception, delivered or returned (detected when absent)."),
]


def _kind(value: str | None) -> DeliveryKind | None:
    from tessera.deliveries.imports.parsing import DeliveryKind

    if value is None:
        return None
    try:
        return DeliveryKind(value)
    except ValueError:
        fail(f"unknown kind {value!r}: use pickup, delivery_exception, delivered or returned", 2)


@dataclass(frozen=True, slots=True)
class FirmName:
    """The firm a command works in, as it is named to the operator."""

    id: str
    slug: str
    name: str

    def __str__(self) -> str:
        return f"{self.slug} ({self.name})"


def _firm(runtime: Runtime, slug: str) -> FirmName:
    from tessera.firms import repository as firms

    with runtime.db.session_scope(write=False) as session:
        found = firms.get_by_slug(session, slug)
        if found is None:
            fail(f"no firm has the slug {slug!r} (check --firm)", 2)
        return FirmName(found.id, found.slug, found.name)


def expand_paths(patterns: list[str]) -> list[Path]:
    """Files named directly, the CSV files in folders (recursively) and glob matches, in order."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*") if p.is_file() and _is_csv(p))
        elif path.is_file():
            matches = [path]
        else:
            matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
            matches = [p for p in matches if p.is_file()]
        for match in matches:
            found.setdefault(match.resolve(), None)
    return list(found)


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv" and not path.name.startswith(".")


@app.command("import")
def import_files(
    paths: Annotated[list[str], typer.Argument(help="Files, folders or glob patterns.")],
    firm: FirmOption = DEFAULT_FIRM_SLUG,
    partner: PartnerOption = None,
    kind: KindOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when any row was rejected, not only a file.")
    ] = False,
) -> None:
    """Import courier CSV files, with a progress bar and a summary table."""
    from tessera.deliveries.imports.orchestrator import import_local_file

    files = expand_paths(paths)
    if not files:
        fail("no file matches", 2)
    wanted_kind = _kind(kind)
    results: list[LocalImport] = []
    with cli_runtime() as runtime:
        into = _firm(runtime, firm)
        out.print(f"importing into firm {into}")
        sizes = {path: path.stat().st_size for path in files}
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=20),
            DownloadColumn(),
            TextColumn("{task.fields[rows]:>9,} rows"),
            TimeRemainingColumn(),
            console=out,
            transient=False,
        ) as progress:
            overall = progress.add_task("all files", total=sum(sizes.values()), rows=0)
            done_before = 0
            rows_before = 0
            for path in files:
                task = progress.add_task(_short(path.name, 24), total=sizes[path] or 1, rows=0)

                def on_progress(
                    read: int,
                    rows: int,
                    task: TaskID = task,
                    base: int = done_before,
                    base_rows: int = rows_before,
                ) -> None:
                    progress.update(task, completed=read, rows=rows)
                    progress.update(overall, completed=base + read, rows=base_rows + rows)

                result = import_local_file(
                    runtime,
                    path,
                    firm_id=into.id,
                    partner=partner,
                    kind=wanted_kind,
                    progress=on_progress,
                )
                results.append(result)
                done_before += sizes[path]
                rows_before += result.report.job.rows_total if result.report else 0
                progress.update(task, completed=sizes[path] or 1)
                progress.update(overall, completed=done_before, rows=rows_before)
    out.print(summary_table(results, firm=into))
    for line in problem_lines(results):
        out.print(line, soft_wrap=False)
    refused = any(
        r.error is not None or (r.report and r.report.job.status != "completed") for r in results
    )
    rejected = sum(r.report.job.rows_rejected for r in results if r.report)
    if refused:
        raise typer.Exit(1)
    if strict and rejected:
        out.print(f"[red]{rejected:,} rows rejected[/] (--strict)", soft_wrap=False)
        raise typer.Exit(1)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\N{HORIZONTAL ELLIPSIS}"


def summary_table(results: list[LocalImport], *, firm: FirmName | None = None) -> Table:
    """One line per file: its outcome and counts; sized to read well in 80 columns."""
    title = f"Delivery imports into {firm}" if firm else "Delivery imports"
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("file", overflow="fold", ratio=1)
    table.add_column("status", no_wrap=True)
    for column in ("rows", "imported", "duplicate", "rejected", "warned"):
        table.add_column(column, justify="right", no_wrap=True)
    totals = [0, 0, 0, 0, 0]
    for result in results:
        if result.report is None:
            table.add_row(result.path.name, "[red]refused[/]", "", "", "", "", "")
            continue
        job = result.report.job
        counts = [
            job.rows_total,
            job.rows_imported,
            job.rows_duplicate,
            job.rows_rejected,
            job.rows_warned,
        ]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        colour = "green" if job.status == "completed" else "red"
        table.add_row(job.file_name, f"[{colour}]{job.status}[/]", *(f"{c:,}" for c in counts))
    table.add_section()
    table.add_row("total", "", *(f"{c:,}" for c in totals))
    return table


def problem_lines(results: list[LocalImport]) -> list[str]:
    """Under the table: each file's import id and kind, why a file was refused, and its first
    rejected lines."""
    lines: list[str] = []
    for result in results:
        if result.report is None:
            message = result.error.message if result.error else "refused"
            lines.append(f"{result.path.name}: refused: {message}")
            continue
        job = result.report.job
        resumed = " (resumed)" if result.resumed else ""
        lines.append(f"{job.id}  {job.kind:<18}  {job.file_name}{resumed}")
        for row, message in result.report.errors[:SHOWN_REJECTIONS]:
            lines.append(f"  line {row}: {message}")
        hidden = job.rows_rejected - min(len(result.report.errors), SHOWN_REJECTIONS)
        if hidden > 0:
            lines.append(f"  and {hidden:,} more: GET /v1/deliveries/imports/{job.id}/errors")
        for row, message in result.report.warnings[:SHOWN_REJECTIONS]:
            lines.append(f"  line {row} (imported, warning): {message}")
        hidden = job.rows_warned - min(len(result.report.warnings), SHOWN_REJECTIONS)
        if hidden > 0:
            lines.append(
                f"  and {hidden:,} more warnings: GET /v1/deliveries/imports/{job.id}/warnings"
            )
    return lines


@app.command()
def watch(
    folder: Annotated[Path, typer.Argument(help="The folder couriers' files arrive in.")],
    firm: FirmOption = DEFAULT_FIRM_SLUG,
    partner: PartnerOption = None,
    kind: KindOption = None,
    interval: Annotated[float, typer.Option(help="Seconds between scans.")] = 2.0,
    settle: Annotated[
        float, typer.Option(help="A file must be unchanged this many seconds before import.")
    ] = 2.0,
    once: Annotated[bool, typer.Option(help="Process what is there, then exit.")] = False,
) -> None:
    """Import new files as they arrive; move each to processed/ or failed/ with its report."""
    from tessera.deliveries.imports.watch import FolderLocked, UnsafeFolder, Watcher

    if not folder.is_dir():
        fail(f"{folder} is not a folder", 2)
    wanted_kind = _kind(kind)
    with cli_runtime() as runtime:
        into = _firm(runtime, firm)
        watcher = Watcher(
            runtime,
            folder,
            firm_id=into.id,
            partner=partner,
            kind=wanted_kind,
            settle_seconds=settle,
            on_result=_print_result,
        )
        try:
            watcher.acquire()
        except (FolderLocked, UnsafeFolder) as exc:
            fail(str(exc))

        def _stop(signum: int, _frame: object) -> None:
            watcher.stop()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        out.print(f"watching {folder.resolve()} for firm {into}")
        if once:
            watcher.recover()
            watcher.scan_once(force=True)
        else:
            watcher.run(interval_seconds=interval)
        watcher.release()


def _print_result(result: LocalImport, destination: Path) -> None:
    if result.report is not None:
        job = result.report.job
        out.print(
            f"{job.file_name}: {job.status}, {job.rows_imported:,} imported, "
            f"{job.rows_duplicate:,} duplicate, {job.rows_rejected:,} rejected, "
            f"{job.rows_warned:,} warned -> {destination}",
        )
    else:
        message = result.error.message if result.error else "refused"
        out.print(f"{result.path.name}: refused ({message}) -> {destination}")


@partners_app.command("set")
def set_partner(
    name: Annotated[str, typer.Argument(help="The partner's name, as imports give it.")],
    region: Annotated[str, typer.Option(help="Phone region for numbers without +, e.g. AE.")],
    timezone: Annotated[str, typer.Option(help="IANA zone for timestamps without one.")],
    firm: FirmOption = DEFAULT_FIRM_SLUG,
) -> None:
    """Create or change a partner's phone region and time zone."""
    from tessera.deliveries import partners
    from tessera.errors import TesseraError

    with cli_runtime() as runtime:
        into = _firm(runtime, firm)
        try:
            with runtime.db.session_scope() as session:
                partner = partners.set_partner(
                    session,
                    firm_id=into.id,
                    name=name,
                    phone_region=region,
                    timezone=timezone,
                    now=runtime.now(),
                )
                line = f"partner {partner.name}: {partner.phone_region}, {partner.timezone}"
        except TesseraError as exc:
            flags = {"phone_region": "--region", "timezone": "--timezone", "name": "NAME"}
            fail_from(exc, flags=flags, code=2)
    out.print(line)


@partners_app.command("list")
def list_partners(firm: FirmOption = DEFAULT_FIRM_SLUG) -> None:
    """List the firm's partners."""
    from tessera.deliveries import partners

    with cli_runtime() as runtime:
        into = _firm(runtime, firm)
        with runtime.db.session_scope(write=False) as session:
            rows = [
                (p.name, p.phone_region, p.timezone)
                for p in partners.list_partners(session, firm_id=into.id)
            ]
    table = Table(title=f"Delivery partners of {into}")
    for column in ("partner", "phone region", "time zone"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    out.print(table)
