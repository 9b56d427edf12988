"""The screening page: runs (newest first), one run's record and findings, and starting a monthly run."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dixian.accounts.capabilities import Capability, capability_required, user_can
from dixian.common.http import AuthenticatedHttpRequest
from dixian.common.paging import paginate

from .forms import RunStartForm
from .selectors import may_see_runs, run_findings_for_user, run_get_for_user, runs_for_user
from .services import screening_enqueue_for_period

NO_REGION = "您的账号尚未分配区划,不能查看筛查运行。"
PHASES = (
    ("load_registry", "读取农户信息库"),
    ("link", "概率匹配"),
    ("load_other", "读取规则和报送"),
    # An incremental run's parts of load_other (docs/scale.md §3).
    ("scope_read", "增量:读取报送的证件号码"),
    ("scope_closure", "增量:确定涉及的农户"),
    ("scope_rows", "增量:读取这些农户的记录"),
    ("engine", "筛查引擎"),
    ("store", "写入结果"),
    ("total", "合计"),
)


def _require_reader(request: AuthenticatedHttpRequest) -> None:
    if not may_see_runs(request.user):
        raise PermissionDenied(NO_REGION)


@capability_required(Capability.RUNS_VIEW)
@require_GET
def run_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_reader(request)
    may_start = user_can(request.user, Capability.RUNS_START)
    return _run_list_page(request, RunStartForm(), may_start=may_start, page_number=request.GET.get("page"))


def _run_list_page(
    request: AuthenticatedHttpRequest,
    form: RunStartForm,
    *,
    may_start: bool,
    page_number: str | None = None,
    status: int = 200,
) -> HttpResponse:
    page = paginate(runs_for_user(request.user), page_number, per_page=30)
    context = {
        "page": page,
        "form": form,
        "may_start": may_start,
        "monthly_day": settings.DIXIAN_MONTHLY_RUN_DAY,
    }
    return render(request, "screening/run_list.html", context, status=status)


# The engines a run may use (`screening_run(backend=...)`: the DuckDB default or Spark), as people read them.
BACKEND_LABELS = {"duckdb": "单机计算(DuckDB)", "spark": "集群计算(Spark)"}
RULE_VERSION_KEY = re.compile(r"^(R\d+)v(\d+)$")


def rule_version_text(key: str) -> str:
    """'R01v1', as a run records the versions it ran → 'R01 第1版'."""
    return RULE_VERSION_KEY.sub(r"\1 第\2版", key)


@capability_required(Capability.RUNS_VIEW)
@require_GET
def run_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    run = run_get_for_user(request.user, pk)
    timings = [(label, run.timings[key]) for key, label in PHASES if key in run.timings]
    return render(
        request,
        "screening/run_detail.html",
        {
            "run": run,
            "backend": BACKEND_LABELS.get(run.backend, run.backend),
            "rules_run": [rule_version_text(r) for r in run.rules_run],
            "timings": timings,
            "skipped": sorted(run.rules_skipped.items()),
            "findings": run_findings_for_user(request.user, run),
        },
    )


@capability_required(Capability.RUNS_START)
@require_POST
def run_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_reader(request)
    form = RunStartForm(request.POST)
    if not form.is_valid():
        return _run_list_page(request, form, may_start=True, status=400)
    screening_enqueue_for_period(period=form.cleaned_data["period"], actor=request.user)
    messages.success(request, f"已提交 {form.cleaned_data['period']} 的筛查,后台完成后会出现在下面的列表中。")
    return redirect("screening:run_list")
