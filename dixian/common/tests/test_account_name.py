"""An account's name on a page, also when the account is gone (dixian/common/templatetags/people.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template import Context, Template, VariableDoesNotExist

from dixian.accounts.models import User

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.django_db


def render(text: str, **context: object) -> str:
    return Template("{% load people %}" + text).render(Context(context))


def test_full_name_then_user_name_then_fallback():
    named = User(username="zhang", first_name="三", last_name="张")
    plain = User(username="li")
    assert render("{{ u|account_name }}", u=named) == named.get_full_name()
    assert render("{{ u|account_name }}", u=plain) == "li"
    assert render("{{ u|account_name }}", u=None) == "—"
    assert render('{{ u|account_name:"命令行" }}', u=None) == "命令行"


def test_the_old_pattern_fails_on_a_deleted_author_and_no_template_uses_it():
    # The pattern this filter replaces: a name looked up on None inside a filter's argument raises.
    with pytest.raises(VariableDoesNotExist):
        Template("{{ b.by.get_full_name|default:b.by.username }}").render(Context({"b": {"by": None}}))
    users = [
        str(path.relative_to(ROOT))
        for folder in ("dixian", "templates")
        for path in (ROOT / folder).rglob("*.html")
        if ".get_full_name|default:" in path.read_text(encoding="utf-8")
        and ".username" in path.read_text(encoding="utf-8").split(".get_full_name|default:", 1)[1][:80]
    ]
    assert not users, f"use {{{{ x|account_name }}}} instead: {users}"
