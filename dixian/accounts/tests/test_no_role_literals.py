"""The permission map stays the one place that names roles, and masking stays in its one module.

A grep over the code and the templates: no role name, `Role.<MEMBER>`, `has_role(` or `.roles` outside the
map (dixian/accounts) and the fixtures that create accounts (demo accounts, test personas); every
`can.<name>` a template asks for is a capability of the map (a misspelt name would read as false and hide a
menu silently); and nothing outside dixian/common/masking.py masks a value by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

from dixian.accounts.capabilities import Capability
from dixian.accounts.models import Role

ROOT = Path(__file__).resolve().parents[3]
# The map itself, the account admin and pages that assign roles, and the fixtures that create accounts with roles.
MAY_NAME_ROLES = {
    "dixian/accounts/models.py",
    "dixian/accounts/capabilities.py",
    "dixian/accounts/admin.py",
    # The account pages that give roles (docs/security.md §6).
    "dixian/accounts/web/forms.py",
    "dixian/accounts/web/services.py",
    "dixian/accounts/web/selectors.py",
    "dixian/accounts/templates/accounts/_account_fields.html",
    "dixian/synthetic/demo.py",
    "dixian/synthetic/demo_lines.py",
    "dixian/synthetic/demo_rectification.py",  # the demo accounts named as the plan's joint reviewers
    "dixian/synthetic/rectification_loading.py",  # the generated counties' reviewer accounts
    "dixian/synthetic/loading.py",  # the generated counties' helper accounts (lifecycle_load)
    "dixian/common/testing.py",
    "dixian/registry/testing.py",
    "dixian/funds/testing.py",  # the finance and sector offices' personas (funds_personas)
}


def source_files() -> list[tuple[str, str]]:
    """(path relative to the repository, text) of every module and template, tests and migrations aside."""
    found = []
    for base, pattern in (("dixian", "*.py"), ("dixian", "*.html"), ("templates", "*.html")):
        for path in sorted((ROOT / base).rglob(pattern)):
            rel = path.relative_to(ROOT).as_posix()
            if "/tests/" in rel or "/migrations/" in rel:
                continue
            found.append((rel, path.read_text(encoding="utf-8")))
    return found


# "helper" is also a field (HelperAssignment.helper): in Python code a role shows itself by `Role.`,
# `has_role(` or `.roles`; templates name no field so.
_NAMES = sorted(Role.values)
ROLE_LITERAL = {
    ".py": re.compile("[\"']({})[\"']".format("|".join(n for n in _NAMES if n != Role.HELPER))),
    ".html": re.compile("[\"']({})[\"']".format("|".join(_NAMES))),
}
# The two registry shorthands of the User model are older spellings of can(...): one way of asking.
ROLE_USE = re.compile(r"\bRole\.[A-Z_]+\b|\bhas_role\(|\.roles\b|\.is_registry_(editor|reader)\b")


def test_the_walk_sees_the_code_and_the_templates():
    paths = {rel for rel, _ in source_files()}
    assert {"templates/base.html", "dixian/cases/views.py", "dixian/feeds/api.py"} <= paths


def test_no_role_is_named_outside_the_permission_map():
    problems = [
        f"{rel}:{n}: {line.strip()}"
        for rel, text in source_files()
        if rel not in MAY_NAME_ROLES
        for n, line in enumerate(text.splitlines(), 1)
        if ROLE_LITERAL[Path(rel).suffix].search(line) or ROLE_USE.search(line)
    ]
    assert not problems, (
        "Ask for a capability (dixian.accounts.capabilities: user_can, capability_required, {% if can.x %}) "
        "instead of naming roles:\n" + "\n".join(problems)
    )


CAN = re.compile(r"\bcan\.([a-z_]+)")


def test_every_capability_a_template_asks_for_exists():
    known = set(Capability.values)
    asked = [
        (rel, name) for rel, text in source_files() if rel.endswith(".html") for name in CAN.findall(text)
    ]
    assert asked, "no template asks for a capability: the menus of base.html should"
    unknown = [f"{rel}: can.{name}" for rel, name in asked if name not in known]
    assert not unknown, "\n".join(unknown)


BY_HAND = re.compile(r"\bmask_(id_number|phone|numbers|bank_account)\(|\bif pii else\b|\bif may_view_pii\(")


def test_nothing_masks_personal_data_by_hand_outside_the_masking_module():
    problems = [
        f"{rel}:{n}: {line.strip()}"
        for rel, text in source_files()
        if rel != "dixian/common/masking.py"
        for n, line in enumerate(text.splitlines(), 1)
        if BY_HAND.search(line)
    ]
    assert not problems, (
        "Show personal data through dixian.common.masking (id_number_shown, phone_shown, health_shown, "
        "text_shown, ... with pii=) or the template filters of {% load access %}:\n" + "\n".join(problems)
    )
