"""The documents in the repository: they link only inside it, and the README's configuration
table names every setting with its real default."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pydantic.fields import FieldInfo

from tessera.config import Settings
from tessera.events.types import EventType
from tessera.openapi_docs.errors import CATALOG
from tessera.principal import Scope

ROOT = Path(__file__).parents[1]
# [text](target) and ![alt](target), and reference definitions ([name]: target).
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
HTML_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def tracked_markdown() -> list[Path]:
    """Every Markdown file git tracks (outside a checkout: every one but dependencies')."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "*.md", "**/*.md"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout.decode()
        paths = {ROOT / name for name in listed.split("\0") if name}
    except (OSError, subprocess.CalledProcessError):
        skip = {"node_modules", ".venv", ".tools", "dist"}
        paths = {p for p in ROOT.rglob("*.md") if not skip & set(p.relative_to(ROOT).parts)}
    return sorted(p for p in paths if p.exists())


def links(path: Path) -> list[str]:
    """The link targets of a Markdown file, outside code blocks and code spans."""
    text = CODE.sub("", path.read_text(encoding="utf-8"))
    return [
        *INLINE_LINK.findall(text),
        *REFERENCE_LINK.findall(text),
        *HTML_LINK.findall(text),
    ]


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    text = CODE.sub("", path.read_text(encoding="utf-8"))
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def problem(source: Path, target: str) -> str | None:
    """Why a link from ``source`` leaves the repository or leads nowhere; None if it is fine."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # a URL: http(s), mailto...
        return "a file URL leaves the repository" if target.startswith("file:") else None
    if target.startswith("/"):
        return "an absolute path leaves the repository"
    file_part, _, anchor = target.partition("#")
    resolved = (source.parent / file_part).resolve() if file_part else source
    if not resolved.is_relative_to(ROOT.resolve()):
        return "it leaves the repository"
    if not resolved.exists():
        return "nothing is there"
    if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
        return f"{resolved.name} has no heading #{anchor}"
    return None


class TestMarkdownLinks:
    def test_the_scan_sees_the_documents(self) -> None:
        names = {p.relative_to(ROOT).as_posix() for p in tracked_markdown()}
        assert {"README.md", "SECURITY.md", "docs/API.md", "docs/integrators.md"} <= names
        assert "docs/API.md" in links(ROOT / "README.md")

    def test_no_link_leaves_the_repository_or_leads_nowhere(self) -> None:
        broken = [
            f"{path.relative_to(ROOT)}: {target} ({why})"
            for path in tracked_markdown()
            for target in links(path)
            if (why := problem(path, target)) is not None
        ]
        assert broken == []

    @pytest.mark.parametrize(
        ("target", "why"),
        [
            ("../shared/docs/API.md", "it leaves the repository"),
            ("/work/shared/seed-data/zywa/", "an absolute path leaves the repository"),
            ("docs/missing.md", "nothing is there"),
            ("SECURITY.md#no-such-heading", "SECURITY.md has no heading #no-such-heading"),
            ("file:///etc/passwd", "a file URL leaves the repository"),
        ],
    )
    def test_the_scan_catches_what_it_must(self, target: str, why: str) -> None:
        assert problem(ROOT / "README.md", target) == why

    def test_good_links_pass(self) -> None:
        for target in ("docs/API.md", "SECURITY.md", "https://example.com/x", "#a-tour-of-the-api"):
            assert problem(ROOT / "README.md", target) is None, target


def configuration_rows() -> dict[str, str]:
    """The README's configuration table: each variable with the default written for it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Configuration") :]
    section = section[: section.index("\n## ", 1)]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([A-Z0-9_]+)`", cells[0])
        defaults = re.findall(r"`([^`]*)`", cells[1])
        for index, name in enumerate(names):
            rows[name] = defaults[index] if len(defaults) == len(names) else cells[1]
    return rows


def variable(name: str, info: FieldInfo) -> str:
    return (info.alias or name).upper()


def shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


class TestConfigurationTable:
    def test_every_setting_is_in_the_table_and_nothing_else(self) -> None:
        documented = configuration_rows()
        settings = {variable(n, i) for n, i in Settings.model_fields.items()}
        assert sorted(settings - set(documented)) == []
        assert sorted(set(documented) - settings) == []

    def test_each_default_is_the_real_one(self) -> None:
        documented = configuration_rows()
        for name, info in Settings.model_fields.items():
            default = info.get_default(call_default_factory=True)
            written = documented[variable(name, info)]
            if default is None or default == []:
                # Generated, derived or empty: the table says so in words.
                assert written in {
                    "generated in dev",
                    "none",
                    "true in dev/test, false in prod",
                    "by database",
                }
            else:
                assert written == shown(default), name

    def test_the_regional_defaults_are_there(self) -> None:
        documented = configuration_rows()
        assert documented["DEFAULT_PHONE_REGION"] == "AE"
        assert documented["DEFAULT_TIMEZONE"] == "Asia/Dubai"


class TestIntegratorsGuide:
    """docs/integrators.md names every error code, scope and event type the service has."""

    def _guide(self) -> str:
        return (ROOT / "docs" / "integrators.md").read_text(encoding="utf-8")

    def test_every_error_code_is_in_the_table_with_its_status(self) -> None:
        rows = set(re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", self._guide(), re.MULTILINE))
        expected = {
            (str(doc.status), code)
            for code, doc in CATALOG.items()
            if code not in {"conflict", "rule_violation"}  # base classes, never answered
        }
        assert sorted(expected - rows) == []

    def test_every_scope_and_event_type_is_named(self) -> None:
        guide = self._guide()
        assert [s.value for s in Scope if f"| `{s.value}` |" not in guide] == []
        assert [e.value for e in EventType if f"`{e.value}`" not in guide] == []


class TestTheBenchTableInTheReadme:
    """The README quotes the latest `make bench` table, as `make bench` wrote it."""

    def test_the_readme_shows_the_latest_results(self) -> None:
        from bench.load import README, RESULTS, quote_in_readme

        readme = README.read_text()
        assert quote_in_readme(readme, RESULTS.read_text()) == readme

    def test_quoting_replaces_what_was_there(self) -> None:
        from bench.load import QUOTE_END, QUOTE_START, quote_in_readme

        readme = f"intro\n{QUOTE_START}\nold table\n{QUOTE_END}\nrest\n"
        results = "# title\n\nwhen\n\n## Embedded\n\n| a |\n"
        quoted = quote_in_readme(readme, results)
        assert quoted == f"intro\n{QUOTE_START}\nwhen\n\n### Embedded\n\n| a |\n{QUOTE_END}\nrest\n"
