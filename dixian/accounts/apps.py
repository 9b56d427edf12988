from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dixian.accounts"
    verbose_name = "账号"
