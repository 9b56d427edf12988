"""Imports point one way: an app imports only the apps below it (docs/architecture.md).

Every module under dixian/ (migrations aside) is parsed, imports inside functions included, and each
import of another dixian package is checked against the layers below. An upper app reaches into a lower
one freely; a lower app that needs to tell an upper one something sends a signal or offers a
registration hook (feeds.signals, cases.signals, registry.panels) that the upper app connects in its
AppConfig.ready().

Tests (`tests/` folders, conftest.py) are not checked: they exercise the apps together on purpose — the
walk of every URL for every persona (common/tests/test_no_leak.py), a delivery that must end as an alert,
the browser journeys — and no production module imports them (checked below).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "dixian"

# Lowest first. A module may import its own package and any package of a lower layer, nothing else
# (packages of one layer, such as declarations and visits, do not import each other). The longest
# prefix decides a module's package: the screening engine is a pure library (no Django, see
# screening/tests/test_engine_is_django_free.py) that any app may call, so it sits just above the
# vocabulary and below every Django app, including screening itself.
LAYERS: dict[str, int] = {
    "dixian.domain": 0,  # the vocabulary: no Django, no app
    "dixian.regions": 1,
    "dixian.accounts": 2,
    # The account pages (sign-in, password, second factor, account management) and their services: above
    # common, whose audit, rate limits and paging they use; beside registry, which they never import.
    "dixian.accounts.web": 4,
    "dixian.common": 3,
    "dixian.registry": 4,
    "dixian.feeds": 5,
    "dixian.cases": 6,  # below screening: a screening run files its findings as cases' alerts
    # The engine knows no Django (its own isolation test); only screening, which runs it, and the
    # tools above screening use it. feeds and cases take the ID, record-key and risk vocabulary from
    # dixian.domain instead.
    "dixian.screening.engine": 7,
    "dixian.screening": 8,
    # Monitoring cases: above cases (alerts feed cases), below declarations and visits (a declaration's
    # status and a helper's follow-up visit read the case).
    "dixian.monitoring": 7,
    "dixian.declarations": 9,
    "dixian.visits": 9,
    # 衔接资金, projects and assets: read the registry's households and persons; read by reports.
    "dixian.funds": 9,
    # Employment monitoring: reads the registry's persons and the departments' deliveries (docs/domain.md §23).
    "dixian.employment": 9,
    # Relocation follow-up: a site's households' workers (employment) and its special funds (funds), §24.
    "dixian.relocation": 10,
    # The work ledgers (docs/domain.md §25–§29). Rectification keeps the findings that supervision visits and
    # governance checks raise; the living environment links to funds; dispatch reads what every ledger offers
    # through dixian.common.due.
    "dixian.rectification": 10,
    "dixian.environment": 10,
    "dixian.supervision": 11,
    "dixian.governance": 11,
    "dixian.dispatch": 12,
    # Figures for leaders: read every app, read by none but the demo, which refreshes them after loading.
    "dixian.reports": 13,
    "dixian.synthetic": 14,
}


def package_of(module: str) -> str | None:
    best = None
    for prefix in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best)
        ):
            best = prefix
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, *, module: str, is_package: bool = False) -> list[tuple[int, str, str]]:
    """(line, module, name) for every import in `source` (the text of `module`), relative ones resolved,
    those inside functions too. `name` is what decides the layer: for `from a import b` it is `a.b`, since
    b may be a submodule (`from dixian.screening import engine` imports the engine, not screening).
    """
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found += [
                (node.lineno, name, name if alias.name == "*" else f"{name}.{alias.name}")
                for alias in node.names
            ]
    return found


def imports_of(path: Path) -> list[tuple[int, str, str]]:
    return imported_modules(
        path.read_text(encoding="utf-8"), module=module_name(path), is_package=path.name == "__init__.py"
    )


def production_modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if "migrations" not in p.parts and "tests" not in p.parts and p.name != "conftest.py"
    )


def wrong_way_imports() -> list[tuple[str, int, str, str]]:
    """(file, line, imported module, rule broken) for every import that points the wrong way."""
    problems = []
    for path in production_modules():
        importer = package_of(module_name(path))
        if importer is None:  # dixian/__init__.py and dixian/__main__.py, the entry points (see below)
            continue
        rel = path.relative_to(ROOT).as_posix()
        seen: set[tuple[int, str]] = set()
        for line, module, name in imports_of(path):
            target = package_of(name)
            if "tests" in name.split("."):
                rule = "production code never imports tests"
            elif target is None or target == importer or LAYERS[target] < LAYERS[importer]:
                continue
            else:
                rule = (
                    f"{importer} (layer {LAYERS[importer]}) may not import {target} (layer {LAYERS[target]})"
                )
            if (line, module) in seen:
                continue
            seen.add((line, module))
            problems.append((rel, line, module, rule))
    return problems


def test_every_import_points_down_the_layers() -> None:
    problems = wrong_way_imports()
    assert not problems, "imports pointing the wrong way (docs/architecture.md):\n" + "\n".join(
        f"  {file}:{line}: imports {module}: {rule}" for file, line, module, rule in problems
    )


def test_every_package_has_a_layer() -> None:
    # A new app is placed in LAYERS (and docs/architecture.md) before its imports can be checked.
    unplaced = sorted(
        module_name(path)
        for path in production_modules()
        if package_of(module_name(path)) is None and path.parent != PACKAGE
    )
    assert not unplaced, f"modules of a package without a layer (add it to LAYERS): {unplaced}"


def test_the_check_sees_imports_inside_functions_and_relative_ones() -> None:
    source = "def f():\n    from dixian.screening.services import x\n    from ..cases import y\n"
    found = imported_modules(source, module="dixian.feeds.probe")
    assert (2, "dixian.screening.services", "dixian.screening.services.x") in found
    assert (3, "dixian.cases", "dixian.cases.y") in found
    assert package_of("dixian.screening.services.x") == "dixian.screening"
    assert package_of("dixian.screening.engine.core") == "dixian.screening.engine"
