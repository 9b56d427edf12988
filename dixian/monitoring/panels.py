"""Panels of the case page (监测帮扶档案): each part of the lifecycle (the plan of measures, the elimination
criteria, 回头看, notices, consistency findings) registers its panel here in MonitoringConfig.ready(), as
the household page's panels do (registry/panels.py). The case view computes every panel's context before
it renders, so their queries are the view's, counted by the page's query-count tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dixian.accounts.models import User

    from .models import MonitoringCase

CasePanelContext = Callable[["User", "MonitoringCase"], dict[str, Any]]


@dataclass(frozen=True)
class CasePanel:
    name: str
    order: int
    template: str
    context: CasePanelContext


@dataclass(frozen=True)
class CasePanelRender:
    name: str
    template: str
    context: dict[str, Any]


_panels: dict[str, CasePanel] = {}


def case_panel_register(*, name: str, order: int, template: str, context: CasePanelContext) -> None:
    """Add (or replace, when ready() runs again) the panel called `name`."""
    _panels[name] = CasePanel(name=name, order=order, template=template, context=context)


def case_panels_for(user: User, case: MonitoringCase) -> list[CasePanelRender]:
    """Each registered panel's template with its context for this account and case, in order."""
    return [
        CasePanelRender(p.name, p.template, p.context(user, case))
        for p in sorted(_panels.values(), key=lambda p: (p.order, p.name))
    ]
