"""`dixian api_token create --user NAME --name PURPOSE` (prints the key once), `list`, `revoke --id N`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dixian.accounts.capabilities import Capability, user_can
from dixian.accounts.models import User
from dixian.feeds.models import ApiToken
from dixian.feeds.services import api_token_create, api_token_revoke, feeds_permitted


class Command(BaseCommand):
    help = "管理接口令牌(报送接口与监测帮扶档案接口):create 创建(只显示一次)、list 列出、revoke 停用。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="为账号创建令牌")
        create.add_argument("--user", required=True, help="账号的用户名")
        create.add_argument("--name", required=True, help="用途,如“医保系统每日推送”")
        listing = sub.add_parser("list", help="列出令牌")
        listing.add_argument("--user", help="只列出该账号的令牌")
        revoke = sub.add_parser("revoke", help="停用令牌")
        revoke.add_argument("--id", type=int, required=True, help="令牌编号(见 list)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"没有账号「{options['user']}」")
            # The push API needs FEEDS_UPLOAD; the monitoring case API (/api/v1/cases/…) CASES_VIEW: a token
            # acts as its account on the APIs the account may use, and no other (docs/feeds.md 四).
            if not (user_can(user, Capability.FEEDS_UPLOAD) or user_can(user, Capability.CASES_VIEW)):
                raise CommandError(
                    f"账号「{user.username}」既不能报送部门数据,也不能查看监测帮扶档案,不能使用接口"
                )
            try:
                token, key = api_token_create(user=user, name=options["name"], actor=None)
            except ValidationError as exc:
                raise CommandError(exc.messages[0]) from None
            if user_can(user, Capability.FEEDS_UPLOAD) and feeds_permitted(user) == []:
                # The token acts as the account: it pushes nothing until feeds are assigned (docs/security.md §3).
                self.stderr.write(
                    f"注意:账号「{user.username}」还没有分配负责的数据项,令牌在分配之前不能推送任何数据。"
                )
            self.stderr.write(f"已为 {user.username} 创建令牌 #{token.pk}“{token.name}”。令牌只显示这一次:")
            self.stdout.write(key)
        elif action == "list":
            qs = ApiToken.objects.select_related("user").order_by("pk")
            if options.get("user"):
                qs = qs.filter(user__username=options["user"])
            for t in qs:
                state = f"已停用 {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "有效"
                used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "从未使用"
                self.stdout.write(
                    f"{t.pk}\t{t.user.username}\t{t.key_prefix}…\t{t.name}\t{state}\t最近使用 {used}"
                )
        else:
            found = ApiToken.objects.filter(pk=options["id"]).first()
            if found is None:
                raise CommandError(f"没有编号为 {options['id']} 的令牌")
            api_token_revoke(token=found, actor=None)
            self.stdout.write(f"已停用令牌 #{found.pk}“{found.name}”")
