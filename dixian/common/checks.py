"""System checks of the deployment (docs/security.md §7): the embedded secret key fails loudly outside the demo.

The embedded key is public (it is in this repository): with it anyone can forge password-reset links and
signed values and undo the salted hashes of IP addresses and ID numbers (`dixian.common.ratelimit`). It is
meant for the demo on one machine (DIXIAN_DEMO=1, which `make demo` and `dixian demo_serve` set) and for
DEBUG. Elsewhere:

- `dixian check --deploy` reports it as an error (dixian.E002);
- any command reports it as an error (dixian.E001) once the settings say the server is reached by others
  (an allowed host that is not this machine, or HTTPS cookies);
- the web server (config/wsgi.py) refuses to start with it (`refuse_embedded_key`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]", "testserver"})
HINT = (
    "请设置 DIXIAN_SECRET_KEY(或 DIXIAN_SECRET_KEY_FILE)为至少50个字符的随机串,例如 "
    "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` 的输出;仅在本机演示时可设 DIXIAN_DEMO=1。"
)


def embedded_key_in_use() -> bool:
    return bool(settings.SECRET_KEY == settings.EMBEDDED_SECRET_KEY)


def embedded_key_allowed() -> bool:
    """The demo on this machine, or DEBUG (never in production)."""
    return bool(settings.DEBUG or settings.DIXIAN_DEMO)


def served_to_others() -> bool:
    """The settings say other machines reach this server: a host name beyond this machine, or HTTPS."""
    return bool(settings.SECURE_COOKIES) or any(h not in LOCAL_HOSTS for h in settings.ALLOWED_HOSTS)


@register(Tags.security)
def check_embedded_key_served(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if embedded_key_in_use() and not embedded_key_allowed() and served_to_others():
        return [
            Error(
                "SECRET_KEY 仍是代码中公开的内置密钥,而本服务器会被其他机器访问(ALLOWED_HOSTS 或 HTTPS 设置)。",
                hint=HINT,
                id="dixian.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_embedded_key_deploy(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if embedded_key_in_use() and not (not embedded_key_allowed() and served_to_others()):
        return [Error("SECRET_KEY 仍是代码中公开的内置密钥,不能用于生产部署。", hint=HINT, id="dixian.E002")]
    return []


def refuse_embedded_key() -> None:
    """Called by config/wsgi.py: no web server with the public key outside the demo and DEBUG."""
    if embedded_key_in_use() and not embedded_key_allowed():
        raise ImproperlyConfigured(
            "The embedded SECRET_KEY is public: set DIXIAN_SECRET_KEY (or DIXIAN_SECRET_KEY_FILE), or "
            "DIXIAN_DEMO=1 for a demo on this machine (docs/security.md §7). "
            "SECRET_KEY 仍是公开的内置密钥,网页服务拒绝启动。" + HINT
        )
