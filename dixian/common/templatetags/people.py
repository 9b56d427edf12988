"""`{% load people %}`: how an account is named on a page.

`{{ batch.uploaded_by|account_name:"命令行" }}` shows the account's full name, else its user name, else the
fallback (default —). The fallback matters: an author kept as SET_NULL after its account was deleted is None,
and a name looked up on None inside a filter's argument (`x.get_full_name|default:x.username`) raises
instead of falling back, which turned every such page into an error.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def account_name(account: Any, fallback: str = "—") -> str:
    if account is None or account == "":
        return fallback
    full = account.get_full_name() if hasattr(account, "get_full_name") else ""
    return full or getattr(account, "username", "") or fallback
