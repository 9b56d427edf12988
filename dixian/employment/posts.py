"""公益性岗位 (docs/domain.md §23): the posts of a village, who holds them, the months paid, and the findings.

Writes (each checks the capability and the account's subtree, and runs in one transaction):
- `post_save`: a post of a village: type, funding, monthly pay (> 0), term (end after start); an edit may not
  leave a holding or a paid month outside the term;
- `holding_assign`: one holder at a time; the person must be on the labour roll (roll.py) of the start month
  and live in the post's village, and hold no other post;
- `holding_end`: the day the holder left and why; not before a month already paid;
- `payment_record`: a month's pay of a holding: inside the term and the holding, not after the holder's death
  or departure (公安 facts), at most one per month.
Assigning and ending a holding refresh the holder's key groups (a 弱劳动力 holding a post is no candidate).

Findings (`post_findings`): a current holder the 公安 feed reports dead or moved out, a current holder now
living outside the post's village, a current holder no longer on the roll (with why), and a month paid after
the holder's death or departure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope, region_range_q, scope_by_region
from dixian.domain import dictionaries as d
from dixian.domain import employment as e
from dixian.regions.models import Region
from dixian.registry.models import Person

from .keygroups import keygroups_refresh
from .models import DepartmentFact, PostHolding, PostPayment, PublicPost
from .roll import Policy, on_roll, policy_for

if TYPE_CHECKING:
    from dixian.accounts.models import User

FEN = Decimal("0.01")
PAY_MAX = Decimal("99999999.99")


def _need(actor: User, capability: Capability) -> None:
    if not user_can(actor, capability):
        raise PermissionDenied(f"您的账号没有“{capability.label}”的权限")


def _in_scope(actor: User, code: str) -> None:
    if not code_in_scope(actor, code):
        raise ValidationError("该记录不存在或不在您的管辖范围内")  # never "forbidden" (docs/security.md)


def _village(code: str) -> str:
    return code[:12]


# ---- departures (公安: 死亡, 迁出 not followed by a return) ------------------------------------------------


@dataclass(frozen=True)
class Gone:
    on: dt.date
    what: str  # 死亡 / 户籍迁出

    @property
    def month(self) -> dt.date:
        return self.on.replace(day=1)


def departures(person_ids: QuerySet[PostHolding, int] | list[int]) -> dict[int, Gone]:
    """The earliest death, or the latest move out with no later move in, of each person the 公安 feed reports
    (one query). `person_ids` is a list or a values_list subquery."""
    facts: dict[int, list[tuple[dt.date, str]]] = {}
    for person_id, kind, on in (
        DepartmentFact.objects.filter(
            person_id__in=person_ids,
            kind__in=(DepartmentFact.Kind.DIED, DepartmentFact.Kind.MOVED_OUT, DepartmentFact.Kind.MOVED_IN),
        )
        .order_by("person_id", "on")
        .values_list("person_id", "kind", "on")
    ):
        facts.setdefault(person_id, []).append((on, kind))
    found: dict[int, Gone] = {}
    for person_id, rows in facts.items():
        died = [on for on, kind in rows if kind == DepartmentFact.Kind.DIED]
        gone: Gone | None = Gone(died[0], "死亡") if died else None
        moved: Gone | None = None
        for on, kind in rows:
            if kind == DepartmentFact.Kind.MOVED_OUT:
                moved = Gone(on, "户籍迁出")
            elif kind == DepartmentFact.Kind.MOVED_IN and moved is not None and on > moved.on:
                moved = None
        candidates = [g for g in (gone, moved) if g is not None]
        if candidates:
            found[person_id] = min(candidates, key=lambda g: g.on)
    return found


def off_roll_reason(person: Person, month: dt.date, policy: Policy | None = None) -> str:
    """Why a person is not on the roll of `month` (the checks of roll.py, in words); "" when nothing the
    registry holds explains it (a death or a move is reported apart). `policy`: the month's settings, read
    once by a caller asking about many persons."""
    household = person.household
    if household.kind != d.EX_POOR and not household.monitoring_category:
        return "所在户已不是脱贫户或监测户"
    if person.labour_skill not in e.ROLL_SKILLS:
        return f"劳动技能为“{d.LABOUR_SKILL.get(person.labour_skill, person.labour_skill)}”,已无劳动能力"
    policy = policy or policy_for(month)
    age = e.age_in_month(person.birth_date, month)
    if not policy.age_min <= age <= policy.age_max:
        return f"年龄 {age} 周岁,不在劳动年龄 {policy.age_min}–{policy.age_max} 周岁内"
    if d.in_school(person.student_status):
        return "为在校生"
    return ""


# ---- posts ------------------------------------------------------------------------------------------------


def _pay_ok(pay: Decimal) -> None:
    if pay is None or pay <= 0:
        raise ValidationError({"monthly_pay": "月补贴必须大于 0 元"})
    if pay != pay.quantize(FEN) or pay > PAY_MAX:
        raise ValidationError({"monthly_pay": f"月补贴 {pay} 无效:请填写不超过两位小数的金额"})


def post_save(
    *,
    actor: User,
    post: PublicPost | None = None,
    village: Region | None = None,
    name: str,
    post_type: str,
    funding: str,
    monthly_pay: Decimal,
    term_start: dt.date,
    term_end: dt.date,
) -> PublicPost:
    """Create a post of `village` (post None) or change `post` (its village stays)."""
    _need(actor, Capability.POSTS_EDIT)
    if post is None:
        if village is None or village.level != Region.Level.VILLAGE:
            raise ValidationError({"village": "请选择岗位所在的村"})
        _in_scope(actor, village.code)
    else:
        _in_scope(actor, post.region_code)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写岗位名称"})
    if post_type not in dict(e.choices("post_type")):
        raise ValidationError({"post_type": "请选择岗位类型"})
    if funding not in dict(e.choices("post_funding")):
        raise ValidationError({"funding": "请选择资金来源"})
    _pay_ok(monthly_pay)
    if term_end <= term_start:
        raise ValidationError({"term_end": f"聘期结束日期({term_end})须晚于开始日期({term_start})"})
    with transaction.atomic():
        if post is not None:
            post = PublicPost.objects.select_for_update().get(pk=post.pk)
            outside = post.holdings.filter(start__lt=term_start).order_by("start").first()
            if outside is not None:
                raise ValidationError(
                    {
                        "term_start": f"已有人员自 {outside.start} 上岗,聘期开始日期不能晚于该日;请先核对聘用记录"
                    }
                )
            late = (
                PostPayment.objects.filter(holding__post=post)
                .exclude(month__gte=term_start.replace(day=1), month__lte=term_end)
                .order_by("month")
                .first()
            )
            if late is not None:
                raise ValidationError(
                    {"term_end": f"已登记 {e.month_label(late.month)} 的补贴发放,聘期须包含该月"}
                )
            # docs/domain.md §23: no holding left outside the term — one starting after its end, one ending
            # after it, or one still open once the term is over.
            beyond_q = Q(start__gt=term_end) | Q(end__gt=term_end)
            if term_end < timezone.localdate():
                beyond_q |= Q(end__isnull=True)
            beyond = post.holdings.filter(beyond_q).select_related("person").order_by("start").first()
            if beyond is not None:
                held = f"{beyond.start} 至 {beyond.end}" if beyond.end else f"{beyond.start} 起在岗,尚未离岗"
                raise ValidationError(
                    {
                        "term_end": f"{beyond.person.name}的在岗期间({held})超出聘期结束日期 {term_end};"
                        "请先办理离岗或核对聘用记录,再修改聘期"
                    }
                )
        else:
            assert village is not None
            post = PublicPost(region=village, region_code=village.code, created_by=actor)
        post.name, post.post_type, post.funding = name, post_type, funding
        post.monthly_pay, post.term_start, post.term_end = monthly_pay, term_start, term_end
        post.save()
        return post


# ---- holdings ---------------------------------------------------------------------------------------------


def holding_assign(*, actor: User, post: PublicPost, person: Person, start: dt.date) -> PostHolding:
    """Put `person` on `post` from `start` (docs/domain.md §23): one holder at a time, a worker of the roll
    of the start month living in the post's village."""
    _need(actor, Capability.POSTS_EDIT)
    _in_scope(actor, post.region_code)
    today = timezone.localdate()
    if start > today:
        raise ValidationError({"start": "上岗日期不能晚于今天"})
    if not post.term_start <= start <= post.term_end:
        raise ValidationError({"start": f"上岗日期须在岗位聘期({post.term_start} 至 {post.term_end})之内"})
    if _village(person.region_code) != _village(post.region_code):
        raise ValidationError(
            {
                "person": f"{person.name}不住在本岗位所在村,不能聘用:公益性岗位只安置本村的脱贫劳动力和监测劳动力"
            }
        )
    month = start.replace(day=1)
    if person.pk not in on_roll([person.pk], month):
        gone = departures([person.pk]).get(person.pk)
        why = f"{gone.on}{gone.what}" if gone else off_roll_reason(person, month) or "不符合名册条件"
        raise ValidationError(
            {"person": f"{person.name}不在{e.month_label(month)}的劳动力名册({why}),不能聘用到公益性岗位"}
        )
    with transaction.atomic():
        PublicPost.objects.select_for_update().filter(pk=post.pk).first()  # assignments of a post take turns
        current = post.holdings.filter(end__isnull=True).select_related("person").first()
        if current is not None:
            raise ValidationError(
                {"person": f"该岗位已由{current.person.name}在岗,请先办理其离岗,再聘用新的人员"}
            )
        last = post.holdings.order_by("-end").first()
        if last is not None and last.end is not None and start < last.end:
            raise ValidationError({"start": f"上一任人员 {last.end} 离岗,上岗日期不能早于该日"})
        other = PostHolding.objects.filter(person=person, end__isnull=True).select_related("post").first()
        if other is not None:
            raise ValidationError(
                {"person": f"{person.name}已在“{other.post.name}”岗位在岗,不能同时聘用两个岗位"}
            )
        try:
            with transaction.atomic():
                holding = PostHolding.objects.create(
                    post=post,
                    person=person,
                    household_id=person.household_id,
                    region_code=post.region_code,
                    start=start,
                )
        except IntegrityError:
            # Two assignments at once: of this post (post_one_current_holder) or of this person to two posts
            # (post_holder_one_post); the one committed first is read back to say which.
            other = PostHolding.objects.filter(person=person, end__isnull=True).select_related("post").first()
            if other is not None:
                raise ValidationError(
                    {"person": f"{person.name}已在“{other.post.name}”岗位在岗,不能同时聘用两个岗位"}
                ) from None
            raise ValidationError({"person": "该岗位刚刚聘用了其他人员,请刷新页面后核对"}) from None
        keygroups_refresh([person.pk])
        return holding


def holding_end(*, actor: User, holding: PostHolding, end: dt.date, reason: str) -> PostHolding:
    """The holder left the post on `end` (离岗), for `reason`."""
    _need(actor, Capability.POSTS_EDIT)
    _in_scope(actor, holding.region_code)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"end_reason": "请填写离岗原因"})
    if end > timezone.localdate():
        raise ValidationError({"end": "离岗日期不能晚于今天"})
    if end < holding.start:
        raise ValidationError({"end": f"离岗日期不能早于上岗日期({holding.start})"})
    with transaction.atomic():
        holding = PostHolding.objects.select_for_update().get(pk=holding.pk)
        if holding.end is not None:
            raise ValidationError({"end": f"该人员已于 {holding.end} 离岗"})
        paid = holding.payments.filter(month__gt=end).order_by("-month").first()
        if paid is not None:
            raise ValidationError(
                {
                    "end": f"已登记 {e.month_label(paid.month)} 的补贴发放,离岗日期不能早于该月;如发放有误请先核对"
                }
            )
        holding.end, holding.end_reason = end, reason[:100]
        holding.save(update_fields=["end", "end_reason", "updated_at"])
        keygroups_refresh([holding.person_id])
        return holding


# ---- payments ---------------------------------------------------------------------------------------------


def payment_record(
    *, actor: User, holding: PostHolding, month: dt.date, amount: Decimal, paid_on: dt.date
) -> PostPayment:
    """A month's pay of a holding (发放台账)."""
    _need(actor, Capability.POSTS_EDIT)
    _in_scope(actor, holding.region_code)
    month = month.replace(day=1)
    post = holding.post
    today = timezone.localdate()
    if amount is None or amount <= 0 or amount != amount.quantize(FEN) or amount > PAY_MAX:
        raise ValidationError({"amount": "发放金额必须大于 0,且不超过两位小数"})
    if month > today.replace(day=1):
        raise ValidationError({"month": f"{e.month_label(month)}还未到,不能登记发放"})
    if paid_on > today:
        raise ValidationError({"paid_on": "发放日期不能晚于今天"})
    if not post.term_start.replace(day=1) <= month <= post.term_end:
        raise ValidationError(
            {"month": f"{e.month_label(month)}不在岗位聘期({post.term_start} 至 {post.term_end})之内"}
        )
    if month < holding.start.replace(day=1) or (holding.end is not None and month > holding.end):
        until = f"至 {holding.end}" if holding.end else "起"
        raise ValidationError(
            {"month": f"{e.month_label(month)}不在该人员的在岗期间({holding.start}{until})之内"}
        )
    gone = departures([holding.person_id]).get(holding.person_id)
    if gone is not None and month > gone.month:
        raise ValidationError(
            {
                "month": f"公安部门报告该人员 {gone.on} {gone.what},不能登记其后月份({e.month_label(month)})的补贴"
            }
        )
    duplicate = ValidationError({"month": f"{e.month_label(month)}的补贴已登记,不能重复登记"})
    with transaction.atomic():
        if holding.payments.filter(month=month).exists():
            raise duplicate
        try:
            with transaction.atomic():
                return PostPayment.objects.create(
                    holding=holding,
                    region_code=holding.region_code,
                    month=month,
                    amount=amount,
                    paid_on=paid_on,
                    recorded_by=actor,
                )
        except IntegrityError:
            raise duplicate from None


# ---- findings ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostFinding:
    kind: str  # gone / outside / off_roll / paid_after
    holding: PostHolding
    message: str


FINDING_KINDS: dict[str, str] = {
    "gone": "在岗人员已死亡或迁出",
    "outside": "在岗人员已不住本村",
    "off_roll": "在岗人员已不在劳动力名册",
    "paid_after": "死亡或迁出后仍发放补贴",
}


def post_findings(actor: User, *, prefix: str = "", today: dt.date | None = None) -> list[PostFinding]:
    """The findings of the posts of the account's subtree (or of `prefix` inside it): five queries whatever
    their number (docs/domain.md §23)."""
    month = (today or timezone.localdate()).replace(day=1)
    holdings = scope_by_region(actor, PostHolding.objects.all())
    if prefix:
        holdings = holdings.filter(region_range_q(prefix))
    current = list(
        holdings.filter(end__isnull=True)
        .select_related("post", "person", "person__household")
        .order_by("region_code", "post__name", "pk")
    )
    gone = departures(holdings.values_list("person_id", flat=True))
    rolled = on_roll([h.person_id for h in current], month)
    policy = policy_for(month)  # once, not per holder off the roll
    found: list[PostFinding] = []
    for h in current:
        name = h.person.name
        left = gone.get(h.person_id)
        if left is not None:
            found.append(PostFinding("gone", h, f"公安部门报告{name}于 {left.on} {left.what},仍登记在岗"))
            continue  # off the roll and perhaps outside the village for that reason alone
        if _village(h.person.region_code) != _village(h.region_code):
            found.append(PostFinding("outside", h, f"{name}已迁至其他村居住,仍在本村岗位在岗"))
        if h.person_id not in rolled:
            why = off_roll_reason(h.person, month, policy) or "不符合名册条件"
            found.append(
                PostFinding("off_roll", h, f"{name}不在{e.month_label(month)}的劳动力名册({why}),仍在岗")
            )
    paid = (
        PostPayment.objects.filter(holding__in=holdings, holding__person_id__in=list(gone))
        .select_related("holding__post", "holding__person")
        .order_by("holding__region_code", "holding_id", "month")
    )
    for payment in paid:
        left = gone[payment.holding.person_id]
        if payment.month > left.month:
            found.append(
                PostFinding(
                    "paid_after",
                    payment.holding,
                    f"{payment.holding.person.name}于 {left.on} {left.what},"
                    f"仍登记了{e.month_label(payment.month)}的补贴 {payment.amount:,.2f} 元",
                )
            )
    return found
