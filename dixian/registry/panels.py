"""Panels on the household page (农户画像) that other apps contribute.

Registry sits below cases and visits (docs/architecture.md), so the page cannot import them. Instead an
app registers a panel in its AppConfig.ready(): a template and a function that computes the panel's
context from the account and the household (fetched through the scoped selector, so the function need
not check scope again). The page computes every panel's context before it renders, so a panel's queries
are made by the view, counted by the page's query-count tests, and never from inside a template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dixian.accounts.models import User

    from .models import Household

PanelContext = Callable[["User", "Household"], dict[str, Any]]


@dataclass(frozen=True)
class HouseholdPanel:
    name: str
    order: int  # panels are shown by ascending order, after the household's facts
    template: str  # rendered with the page's context plus the panel's own
    context: PanelContext


@dataclass(frozen=True)
class PanelRender:
    template: str
    context: dict[str, Any]


_panels: dict[str, HouseholdPanel] = {}


def household_panel_register(*, name: str, order: int, template: str, context: PanelContext) -> None:
    """Add (or replace, when AppConfig.ready() runs again) the panel called `name`."""
    _panels[name] = HouseholdPanel(name=name, order=order, template=template, context=context)


def household_panels() -> list[HouseholdPanel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.name))


def household_panels_for(user: User, household: Household) -> list[PanelRender]:
    """Each registered panel's template with its context for this account and household, in order."""
    return [PanelRender(p.template, p.context(user, household)) for p in household_panels()]
