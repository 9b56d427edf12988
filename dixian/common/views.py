from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader


def _render(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    try:
        html: str = loader.render_to_string(
            "error.html", {"title": title, "message": message, "status": status}, request
        )
    except Exception:  # noqa: BLE001 - the error page must never fail itself
        html = f"<h1>{title}</h1><p>{message}</p>"
    return HttpResponse(html, status=status)


def bad_request(
    request: HttpRequest,
    exception: Exception | None = None,
    *,
    message: str = "请求的格式不对(链接或提交的内容无法识别)。请返回上一页,从页面上的链接或按钮重新操作。",
) -> HttpResponse:
    return _render(request, 400, "请求有误", message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(
        request, 404, "页面不存在", "您要找的页面或记录不存在,或不在您的管辖范围内。请返回上一页重新选择。"
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, 403, "没有权限", "您的账号没有执行此操作的权限。如需开通,请联系本级管理员。")


def server_error(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        500,
        "系统出错了",
        "处理您的请求时出现了意外错误,已记录日志。请稍后重试;若仍然出错,请联系管理员。",
    )


FAVICON = "dixian/favicon.svg"


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for where no page links an icon (a JSON answer, a downloaded
    report): the SVG that every page links, from the static files."""
    path = finders.find(FAVICON)
    if not isinstance(path, str):
        raise Http404
    with open(path, "rb") as icon:
        response = HttpResponse(icon.read(), content_type="image/svg+xml")
    response["Cache-Control"] = "max-age=86400"
    return response
