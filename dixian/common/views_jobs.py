"""Job status (polled by htmx) and result download. An account sees only its own jobs."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from .http import AuthenticatedHttpRequest
from .jobs import job_dir
from .models import Job


@login_required
def job_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk, owner=request.user)
    template = "common/partials/_job.html" if request.htmx else "common/job_detail.html"
    return render(request, template, {"job": job})


@login_required
def job_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    job = get_object_or_404(Job, pk=pk, owner=request.user, status=Job.Status.DONE)
    if not job.result_file:
        raise Http404
    path = (job_dir() / job.result_file).resolve()
    if job_dir().resolve() not in path.parents or not path.exists():
        raise Http404
    return FileResponse(Path(path).open("rb"), as_attachment=True, filename=job.result_name or path.name)
