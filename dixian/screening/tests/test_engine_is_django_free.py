"""The engine and the domain vocabulary (feed catalogue included) must run where Django is not installed
(Spark executors, the benchmark)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_engine_and_catalogue_import_and_screen_without_django() -> None:
    # A fresh interpreter: under pytest-django, Django is already in this process's sys.modules.
    code = textwrap.dedent("""
        import sys
        assert not any(m == "django" or m.startswith("django.") for m in sys.modules), "django preloaded"
        import dixian.domain.catalogue
        import dixian.screening.engine as engine
        # Nor Polars: the vocabulary's Polars forms import it when used, so a screening process does not
        # carry its 24 MB for nothing (the engine benchmark's peak RSS).
        assert "polars" not in sys.modules, "polars imported with the engine"
        from dixian.screening.tests.data import World, feed
        w = World()
        h = w.household("H1", kind="ex_poor", income=8000)
        pid = w.person(h, "张三")
        med = feed("medical", [{"settlement_no": "S1", "name": "张三", "id_number": pid, "visit_type": "住院",
                                "settlement_date": __import__("datetime").date(2026, 9, 1), "total_cost": 9000,
                                "out_of_pocket": 6000}])
        result = engine.screen(w.registry(), {"medical": med}, engine.default_rules(), "2026-10")
        assert result.alerts.num_rows >= 1
        leaked = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
        assert not leaked, leaked
        assert "pyspark" not in sys.modules, "pyspark is imported only for backend='spark'"
        print("ok")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_the_domain_vocabulary_imports_neither_django_nor_any_app() -> None:
    # Every module of dixian.domain, in a fresh interpreter: it may use polars, duckdb and stdnum, and
    # nothing of Django or of the apps above it (registry, feeds, screening, cases … import the domain).
    code = textwrap.dedent("""
        import importlib, pkgutil, sys
        import dixian.domain as domain
        for module in pkgutil.iter_modules(domain.__path__):
            if module.name != "tests":
                importlib.import_module(f"dixian.domain.{module.name}")
        leaked = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
        assert not leaked, leaked
        apps = sorted(m for m in sys.modules if m.startswith("dixian.") and not m.startswith("dixian.domain"))
        assert not apps, apps
        print("ok")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
