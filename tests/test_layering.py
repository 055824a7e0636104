"""Imports flow one way: the kernels know no feature, and no tessera modules import each other.

What counts, decided once:

- The direction rules (a kernel, ``deps.py`` and ``runtime.py`` included, imports no feature;
  a service, repository, rules or domain module imports no API schema) count every import in
  the file: at module level, inside a function, and under
  ``if TYPE_CHECKING:``. A back arrow is a back arrow whether or not it runs at import time.
- The cycle rule counts only the imports that run when a module is imported: module level,
  outside ``if TYPE_CHECKING:``. An import inside a function or under TYPE_CHECKING cannot make
  an import fail or depend on the order modules load in, so it may point back (the CLI imports
  its services inside each command, so that ``tessera --help`` stays fast).

The checker reads the source with ``ast`` (nothing is imported), so it also runs on the fake
packages below, which show that it notices a planted back-import and a planted cycle.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# One package per feature (router -> service -> repository), and the CLI, worker and demo that
# drive them. Everything else under src/tessera is the platform the features stand on.
FEATURES = frozenset(
    {
        "accounts",
        "audit",
        "auth",
        "cards",
        "certificates",
        "cli",
        "clients",
        "compat",
        "deliveries",
        "demo",
        "events",
        "firms",
        "health",
        "holders",
        "ledger",
        "registrations",
        "staff",
        "vault",
        "webhooks",
        "worker",
    }
)
# What assembles the features into an application: these may import any of them.
ASSEMBLY = frozenset({"app", "routers", "startup", "openapi", "openapi_docs", "web"})
# Low modules that import no feature at all. ``deps.py`` and ``runtime.py`` are among them:
# what every request and every command depends on must not reach into a feature's service.
KERNELS = frozenset(
    {
        "kit",
        "crypto",
        "identity",
        "models",
        "principal",
        "visibility",
        "errors",
        "config",
        "rawsql",
        "db",
        "observability",
        "writer",
        "overload",
        "http",
        "migrations",
        "runtime",
        "deps",
    }
)
# A feature's modules below its router: none of them knows the API's request and response bodies.
BELOW_THE_API = frozenset({"service", "repository", "rules", "domain"})


MAX_LINES = 600
# Files allowed past MAX_LINES while a change splits them; remove each one as it drops under.
AWAITING_A_SPLIT: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Import:
    """One import of a tessera module by another."""

    target: str
    at_import_time: bool  # module level and outside ``if TYPE_CHECKING:``


def modules(src: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``src``, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, known: Mapping[str, Path]) -> list[Import]:
    """The imports of known modules in one file, each marked as run at import time or not."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def targets(node: ast.Import | ast.ImportFrom) -> Iterable[str]:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
            return
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, node.module] if node.module else base)
        else:
            module = node.module or ""
        for alias in node.names:
            submodule = f"{module}.{alias.name}"
            yield submodule if submodule in known else module

    def visit(nodes: Iterable[ast.stmt], *, at_import_time: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for named in targets(node):
                    # ``import a.b.c`` loads the deepest module it names that we know.
                    target = named
                    while target and target not in known:
                        target = target.rpartition(".")[0]
                    if target and target != name:
                        found.append(Import(target, at_import_time))
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.body, at_import_time=False)
                visit(node.orelse, at_import_time=at_import_time)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                nested = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
                visit(nested, at_import_time=False)
            elif isinstance(node, ast.ClassDef | ast.If | ast.Try | ast.With | ast.For):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, field, [])
                    for child in children:
                        if isinstance(child, ast.ExceptHandler):
                            visit(child.body, at_import_time=at_import_time)
                        else:
                            visit([child], at_import_time=at_import_time)

    visit(ast.parse(path.read_text(encoding="utf-8")).body, at_import_time=True)
    return found


def import_graph(src: Path, package: str) -> dict[str, list[Import]]:
    """Each module's imports of the package's own modules."""
    known = modules(src, package)
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(graph: Mapping[str, list[Import]]) -> list[list[str]]:
    """The groups of modules that import one another at import time (Tarjan's algorithm)."""
    edges = {
        name: sorted({i.target for i in found if i.at_import_time}) for name, found in graph.items()
    }
    counter = itertools.count()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = next(counter)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, []):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return sorted(groups)


def _area(module: str) -> str:
    """``tessera.kit.money`` -> ``kit``; ``tessera.deps`` -> ``deps``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def back_imports(graph: Mapping[str, list[Import]]) -> list[str]:
    """Every import that points the wrong way, as ``importer -> imported``."""
    wrong: list[str] = []
    for name, found in sorted(graph.items()):
        for target in sorted({i.target for i in found}):
            if _area(name) in KERNELS and _area(target) in FEATURES:
                wrong.append(f"{name} -> {target} (a kernel imports no feature)")
            elif name.rpartition(".")[2] in BELOW_THE_API and target.endswith(".schemas"):
                wrong.append(f"{name} -> {target} (API schemas stay above the services)")
    return wrong


class TestTesseraLayering:
    def test_every_package_and_module_has_a_layer(self) -> None:
        areas = {_area(name) for name in modules(SRC, "tessera")} - {""}
        unplaced = areas - FEATURES - ASSEMBLY - KERNELS
        assert not unplaced, f"add these to FEATURES, ASSEMBLY or KERNELS: {sorted(unplaced)}"

    def test_no_import_points_back(self) -> None:
        assert back_imports(import_graph(SRC, "tessera")) == []

    def test_no_module_cycle(self) -> None:
        assert cycles(import_graph(SRC, "tessera")) == []

    def test_no_source_file_reaches_600_lines(self) -> None:
        lengths = {
            str(path.relative_to(SRC)): len(path.read_text(encoding="utf-8").splitlines())
            for path in (SRC / "tessera").rglob("*.py")
        }
        too_long = {
            path: length
            for path, length in lengths.items()
            if length >= MAX_LINES and path not in AWAITING_A_SPLIT
        }
        assert too_long == {}
        # Once split, a file leaves the list, so that it cannot grow back unnoticed.
        assert {path for path in AWAITING_A_SPLIT if lengths.get(path, 0) < MAX_LINES} == set()


def _fake_tessera(root: Path, files: Mapping[str, str]) -> Path:
    """A package named tessera under ``root`` with the given modules (path -> source)."""
    for relative, source in files.items():
        path = root / "tessera" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            if parent != Path("."):
                (root / parent / "__init__.py").touch()
        path.write_text(source, encoding="utf-8")
    return root


_CLEAN = {
    "kit/money.py": "from tessera.errors import ValidationFailed\n",
    "errors.py": "class ValidationFailed(Exception): ...\n",
    "cards/service.py": "from tessera.kit import money\nfrom tessera.cards import repository\n",
    "cards/repository.py": "from tessera import errors\n",
    "deps.py": "from tessera.kit.money import parse\n",
}


class TestTheChecker:
    def test_a_clean_package_passes(self, tmp_path: Path) -> None:
        graph = import_graph(_fake_tessera(tmp_path, _CLEAN), "tessera")
        assert graph["tessera.cards.service"] == [
            Import("tessera.kit.money", True),
            Import("tessera.cards.repository", True),
        ]
        assert back_imports(graph) == []
        assert cycles(graph) == []

    def test_a_kernel_importing_a_feature_fails(self, tmp_path: Path) -> None:
        planted = {**_CLEAN, "kit/money.py": "from tessera.cards.rules import Brand\n"}
        planted["cards/rules.py"] = "Brand = str\n"
        graph = import_graph(_fake_tessera(tmp_path, planted), "tessera")
        assert back_imports(graph) == [
            "tessera.kit.money -> tessera.cards.rules (a kernel imports no feature)"
        ]

    def test_a_back_import_inside_a_function_or_type_checking_still_fails(
        self, tmp_path: Path
    ) -> None:
        planted = {
            **_CLEAN,
            "crypto/pki.py": "def sign():\n    from tessera.cards import service\n",
            "kit/money.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    import tessera.cards.repository\n"
            ),
        }
        graph = import_graph(_fake_tessera(tmp_path, planted), "tessera")
        assert back_imports(graph) == [
            "tessera.crypto.pki -> tessera.cards.service (a kernel imports no feature)",
            "tessera.kit.money -> tessera.cards.repository (a kernel imports no feature)",
        ]

    def test_deps_importing_a_feature_service_fails(self, tmp_path: Path) -> None:
        planted = {**_CLEAN, "deps.py": "from tessera.cards import service as cards\n"}
        graph = import_graph(_fake_tessera(tmp_path, planted), "tessera")
        assert back_imports(graph) == [
            "tessera.deps -> tessera.cards.service (a kernel imports no feature)"
        ]

    def test_a_service_importing_api_schemas_fails(self, tmp_path: Path) -> None:
        planted = {**_CLEAN, "cards/schemas.py": "CardRead = dict\n"}
        planted["cards/service.py"] += "from tessera.cards.schemas import CardRead\n"
        graph = import_graph(_fake_tessera(tmp_path, planted), "tessera")
        assert back_imports(graph) == [
            "tessera.cards.service -> tessera.cards.schemas (API schemas stay above the services)"
        ]

    def test_a_cycle_at_import_time_fails(self, tmp_path: Path) -> None:
        planted = {**_CLEAN, "cards/repository.py": "from tessera.cards.service import x\n"}
        graph = import_graph(_fake_tessera(tmp_path, planted), "tessera")
        assert cycles(graph) == [["tessera.cards.repository", "tessera.cards.service"]]

    def test_a_cycle_through_a_function_or_type_checking_is_allowed(self, tmp_path: Path) -> None:
        planted = {
            **_CLEAN,
            "cards/repository.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from tessera.cards.service import x\n"
                "def late():\n    from tessera.cards import service\n"
            ),
        }
        graph = import_graph(_fake_tessera(tmp_path, planted), "tessera")
        assert cycles(graph) == []

    def test_the_real_tree_would_fail_on_a_planted_back_import(self, tmp_path: Path) -> None:
        copy = {
            str(path.relative_to(SRC / "tessera")): path.read_text(encoding="utf-8")
            for path in (SRC / "tessera").rglob("*.py")
        }
        copy["kit/money.py"] += "\nfrom tessera.ledger import service as _ledger\n"
        graph = import_graph(_fake_tessera(tmp_path, copy), "tessera")
        assert "tessera.kit.money -> tessera.ledger.service (a kernel imports no feature)" in (
            back_imports(graph)
        )
        assert any("tessera.kit.money" in group for group in cycles(graph))
