"""Job status (polled by htmx) and result download. An account sees only its own jobs.

A result file is handed out only while it is fresh (DIXIAN_EXPORT_TTL_DAYS) and only if the account still
holds what making it took: the personal-data right for a file with full numbers, the region the file
covers, the capability of its page (docs/security.md §5). Every download is recorded in the access log.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers

from dixian.accounts.capabilities import Capability, user_can

from .access import code_in_scope, may_view_pii, user_prefix
from .access_log import Action, log_access
from .http import AuthenticatedHttpRequest
from .jobs import job_result_delete, job_result_expired, job_result_path
from .models import Job


@login_required
def job_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk, owner=request.user)
    template = "common/partials/_job.html" if request.htmx else "common/job_detail.html"
    context = {"job": job, "expired": job_result_expired(job), "ttl_days": settings.DIXIAN_EXPORT_TTL_DAYS}
    return render(request, template, context)


def download_refusal(user: object, job: Job) -> str | None:
    """Why the account may not have this result file now (None: it may)."""
    rights = job.params.get("rights") or {}
    if rights.get("pii") and not may_view_pii(user):  # type: ignore[arg-type]  # a signed-in account
        return (
            "该文件含完整的证件号码和电话,而您的账号现在没有“查看完整个人信息”权限,不能下载。"
            "如仍需要,请重新导出(将按脱敏方式生成)。"
        )
    region_code = rights.get("region_code")
    if region_code is not None and not code_in_scope(user, region_code):  # type: ignore[arg-type]  # idem
        return "该文件的范围已不在您账号现在的管辖区划内,不能下载。如仍需要,请按现在的辖区重新导出。"
    capability = rights.get("capability")
    if capability in Capability.values and not user_can(user, Capability(capability)):
        return "您的账号现在没有查看这些数据的权限,不能下载该文件。"
    return None


def _refused(request: AuthenticatedHttpRequest, job: Job, message: str, status: int) -> HttpResponse:
    response = render(
        request,
        "common/job_refused.html",
        {"job": job, "message": message, "again": job.params.get("again")},
        status=status,
    )
    add_never_cache_headers(response)
    return response


@login_required
def job_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    job = get_object_or_404(Job, pk=pk, owner=request.user, status=Job.Status.DONE)
    if not job.result_file and not job.result_name:
        raise Http404
    if job_result_expired(job):
        job_result_delete(job)  # the worker would soon; a stale file is not handed out meanwhile
        days = settings.DIXIAN_EXPORT_TTL_DAYS
        return _refused(
            request,
            job,
            f"该导出文件已过期并已删除(导出文件只保留 {days} 天)。请回到原页面,按相同条件重新导出。",
            410,
        )
    refusal = download_refusal(request.user, job)
    if refusal is not None:
        return _refused(request, job, refusal, 403)
    path = job_result_path(job)
    if path is None or not path.exists():
        raise Http404
    rights = job.params.get("rights") or {}
    log_access(
        request,
        action=Action.DOWNLOAD,
        count=job.total,
        scope=f"{job.title} #{job.pk}:{job.message}",
        region_code=rights.get("region_code", user_prefix(request.user) or ""),
        masked=not rights.get("pii", False),
    )
    response = FileResponse(path.open("rb"), as_attachment=True, filename=job.result_name or path.name)
    add_never_cache_headers(response)  # Cache-Control: no-store: no copy of personal data in any cache
    return response
