from django.apps import AppConfig


class AccountPagesConfig(AppConfig):
    """The account pages as an app of their own, so that their admin module (the audited account admin)
    is found by the admin's autodiscovery, above common whose audit it writes (docs/architecture.md)."""

    name = "dixian.accounts.web"
    label = "accounts_web"
    verbose_name = "账号管理"
