"""公益性岗位 (docs/domain.md §23): the rules of posts, holdings and monthly pay, each refusal with its reason,
and the findings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dixian.domain import employment as e
from dixian.employment import posts as svc
from dixian.employment.models import PostHolding, PostPayment, PublicPost

from .groups_world import fact, head, holding_of, members, post_in, record

pytestmark = pytest.mark.django_db

JAN, FEB, MAR, APR = (dt.date(2026, m, 1) for m in range(1, 5))


def new_post(actor, village, **changes):
    data: dict[str, Any] = {
        "name": "保洁员",
        "post_type": "cleaning",
        "funding": "bridging",
        "monthly_pay": Decimal("800"),
        "term_start": dt.date(2026, 1, 1),
        "term_end": dt.date(2026, 12, 31),
    } | changes
    return svc.post_save(actor=actor, village=village, **data)


def message(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def test_a_post_is_created_and_checked(world, people):
    actor = people["township_reviewer"]
    post = new_post(actor, world.village)
    assert post.region_code == world.village.code and post.created_by == actor
    with pytest.raises(ValidationError, match="须晚于开始日期"):
        new_post(actor, world.village, term_end=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError, match="月补贴必须大于 0"):
        new_post(actor, world.village, monthly_pay=Decimal("0"))
    with pytest.raises(ValidationError, match="请选择岗位所在的村"):
        new_post(actor, world.township)
    with pytest.raises(ValidationError, match="不在您的管辖范围"):
        new_post(actor, world.far_village)
    with pytest.raises(PermissionDenied):
        new_post(people["village_officer"], world.village)  # no POSTS_EDIT
    assert PublicPost.objects.count() == 1


def test_an_edit_keeps_holdings_and_payments_inside_the_term(world, people):
    actor = people["county_admin"]
    post = post_in(world.village)
    holding = holding_of(post, head(world.home), dt.date(2026, 2, 1))
    PostPayment.objects.create(
        holding=holding, region_code=post.region_code, month=MAR, amount=800, paid_on=dt.date(2026, 4, 2)
    )
    base: dict[str, Any] = {
        "name": post.name,
        "post_type": "road",
        "funding": "village",
        "monthly_pay": Decimal("900"),
    }
    with pytest.raises(ValidationError, match="上岗,聘期开始日期不能晚于该日"):
        svc.post_save(actor=actor, post=post, term_start=dt.date(2026, 3, 1), term_end=post.term_end, **base)
    with pytest.raises(ValidationError, match="聘期须包含该月"):
        svc.post_save(
            actor=actor, post=post, term_start=post.term_start, term_end=dt.date(2026, 2, 28), **base
        )
    saved = svc.post_save(actor=actor, post=post, term_start=post.term_start, term_end=post.term_end, **base)
    assert (saved.post_type, saved.monthly_pay) == ("road", Decimal("900"))


def test_assign_one_holder_of_the_village_on_the_roll(world, people):
    actor = people["township_reviewer"]
    post = post_in(world.village)
    p = head(world.home)
    holding = svc.holding_assign(actor=actor, post=post, person=p, start=dt.date(2026, 2, 1))
    assert holding.household_id == world.home.pk and holding.region_code == world.village.code
    wife = world.home.members.order_by("pk")[1]
    with pytest.raises(ValidationError, match="已由张三在岗,请先办理其离岗"):
        svc.holding_assign(actor=actor, post=post, person=wife, start=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError, match="已在“村庄保洁员”岗位在岗"):
        svc.holding_assign(actor=actor, post=post_in(world.village, name="护林员"), person=p, start=FEB)


def test_assign_refuses_a_person_of_another_village(world, people):
    post = post_in(world.village)
    with pytest.raises(ValidationError, match="李四不住在本岗位所在村"):
        svc.holding_assign(actor=people["county_admin"], post=post, person=head(world.neighbour), start=FEB)


def test_assign_refuses_a_person_off_the_roll_with_the_reason(world, people):
    post = post_in(world.village)
    p = head(world.home)
    p.labour_skill = "lost"
    p.save()
    with pytest.raises(ValidationError, match="不在2026年2月的劳动力名册.*已无劳动能力"):
        svc.holding_assign(actor=people["county_admin"], post=post, person=p, start=FEB)
    wife = world.home.members.order_by("pk")[1]
    fact(wife, "died", dt.date(2026, 1, 20))
    with pytest.raises(ValidationError, match="2026-01-20死亡"):
        svc.holding_assign(actor=people["county_admin"], post=post, person=wife, start=FEB)
    assert not PostHolding.objects.exists()


def test_assign_refuses_a_start_outside_the_term_or_in_the_future(world, people):
    post = post_in(world.village, start=dt.date(2026, 3, 1))
    p = head(world.home)
    with pytest.raises(ValidationError, match="聘期"):
        svc.holding_assign(actor=people["county_admin"], post=post, person=p, start=FEB)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        svc.holding_assign(actor=people["county_admin"], post=post, person=p, start=dt.date(2099, 1, 1))


def test_assign_and_end_refresh_the_weak_labour_group(world, people):
    p = head(world.home)
    p.labour_skill = "weak"
    p.save()
    record(p, JAN, working=False, willing=False)
    record(p, FEB, working=False, willing=False)
    record(p, MAR, working=False, willing=False)
    from dixian.employment.keygroups import keygroups_refresh

    keygroups_refresh([p.pk])
    assert members(p, e.WEAK_LABOUR) == [(JAN, None)]
    holding = svc.holding_assign(
        actor=people["county_admin"], post=post_in(world.village), person=p, start=FEB
    )
    assert members(p, e.WEAK_LABOUR) == [(JAN, FEB)]
    svc.holding_end(actor=people["county_admin"], holding=holding, end=dt.date(2026, 2, 20), reason="辞职")
    assert members(p, e.WEAK_LABOUR) == [(JAN, FEB), (MAR, None)]


def test_end_a_holding(world, people):
    actor = people["county_admin"]
    holding = holding_of(post_in(world.village), head(world.home), dt.date(2026, 2, 1))
    PostPayment.objects.create(
        holding=holding, region_code=holding.region_code, month=APR, amount=800, paid_on=dt.date(2026, 5, 1)
    )
    with pytest.raises(ValidationError, match="请填写离岗原因"):
        svc.holding_end(actor=actor, holding=holding, end=dt.date(2026, 5, 1), reason=" ")
    with pytest.raises(ValidationError, match="不能早于上岗日期"):
        svc.holding_end(actor=actor, holding=holding, end=dt.date(2026, 1, 1), reason="辞职")
    with pytest.raises(ValidationError, match="已登记 2026年4月 的补贴发放"):
        svc.holding_end(actor=actor, holding=holding, end=dt.date(2026, 3, 31), reason="辞职")
    svc.holding_end(actor=actor, holding=holding, end=dt.date(2026, 4, 30), reason="辞职")
    with pytest.raises(ValidationError, match="已于 2026-04-30 离岗"):
        svc.holding_end(actor=actor, holding=holding, end=dt.date(2026, 4, 30), reason="辞职")


def test_payments_inside_term_and_holding_once_a_month(world, people):
    actor = people["county_admin"]
    post = post_in(world.village)
    post.term_end = dt.date(2026, 10, 31)
    post.save()
    holding = holding_of(post, head(world.home), dt.date(2026, 2, 10), end=dt.date(2026, 9, 15))

    def pay(month, amount="800", paid_on=dt.date(2026, 11, 1)):
        return svc.payment_record(
            actor=actor, holding=holding, month=month, amount=Decimal(amount), paid_on=paid_on
        )

    assert pay(FEB).month == FEB
    with pytest.raises(ValidationError, match="2026年2月的补贴已登记"):
        pay(dt.date(2026, 2, 15))
    with pytest.raises(ValidationError, match="不在该人员的在岗期间"):
        pay(JAN)
    with pytest.raises(ValidationError, match="不在该人员的在岗期间"):
        pay(dt.date(2026, 10, 1))
    with pytest.raises(ValidationError, match="不在岗位聘期"):
        pay(dt.date(2026, 11, 1))
    with pytest.raises(ValidationError, match="发放金额必须大于 0"):
        pay(MAR, amount="0")
    with pytest.raises(ValidationError, match="还未到"):
        pay(dt.date(2099, 1, 1))
    with pytest.raises(ValidationError, match="发放日期不能晚于今天"):
        pay(MAR, paid_on=dt.date(2099, 1, 1))
    assert PostPayment.objects.count() == 1


def test_no_pay_after_the_holders_death_month(world, people):
    holding = holding_of(post_in(world.village), head(world.home), dt.date(2026, 1, 5))
    fact(head(world.home), "died", dt.date(2026, 3, 10))
    svc.payment_record(
        actor=people["county_admin"], holding=holding, month=MAR, amount=Decimal(800), paid_on=APR
    )
    with pytest.raises(ValidationError, match="2026-03-10 死亡,不能登记其后月份"):
        svc.payment_record(
            actor=people["county_admin"], holding=holding, month=APR, amount=Decimal(800), paid_on=APR
        )


def test_findings(world, people):
    actor = people["county_reviewer"]
    dead = head(world.home)
    gone_post = post_in(world.village, name="保洁员甲")
    h1 = holding_of(gone_post, dead, dt.date(2026, 1, 1))
    for month in (FEB, MAR, APR):
        PostPayment.objects.create(
            holding=h1, region_code=h1.region_code, month=month, amount=800, paid_on=APR
        )
    fact(dead, "died", dt.date(2026, 2, 14))

    moved = world.home.members.order_by("pk")[1]
    holding_of(post_in(world.village, name="护林员乙"), moved, dt.date(2026, 1, 1))
    moved.region_code = world.other_village.code  # now lives in 桃坪村
    moved.save()

    lost = head(world.neighbour)
    holding_of(post_in(world.other_village, name="护路员丙"), lost, dt.date(2026, 1, 1))
    lost.labour_skill = "lost"
    lost.save()

    ok = world.neighbour.members.order_by("pk")[1]
    holding_of(post_in(world.other_village, name="管水员丁"), ok, dt.date(2026, 1, 1))

    holding_of(post_in(world.far_village, name="远方岗位"), head(world.far), dt.date(2026, 1, 1))
    fact(head(world.far), "died", dt.date(2026, 2, 1))  # out of the reviewer's county

    found = svc.post_findings(actor)
    got = sorted((f.kind, f.holding.post.name) for f in found)
    assert got == [
        ("gone", "保洁员甲"),
        ("off_roll", "护路员丙"),
        ("outside", "护林员乙"),
        ("paid_after", "保洁员甲"),
        ("paid_after", "保洁员甲"),
    ]
    texts = " ".join(f.message for f in found)
    assert "已无劳动能力" in texts and "2026年3月的补贴" in texts and "2026年4月的补贴" in texts
    assert svc.post_findings(people["other_county_reviewer"])[0].kind == "gone"
    assert svc.post_findings(actor, prefix=world.other_village.prefix)[0].kind == "off_roll"


def test_a_return_after_moving_out_clears_the_departure(world):
    p = head(world.home)
    fact(p, "moved_out", dt.date(2026, 2, 1))
    assert svc.departures([p.pk])[p.pk].what == "户籍迁出"
    fact(p, "moved_in", dt.date(2026, 3, 1))
    assert svc.departures([p.pk]) == {}


def test_an_edit_keeps_every_holding_inside_the_new_term_end(world, people):
    actor = people["county_admin"]
    post = post_in(world.village)
    base: dict[str, Any] = {
        "name": post.name,
        "post_type": post.post_type,
        "funding": post.funding,
        "monthly_pay": post.monthly_pay,
        "term_start": post.term_start,
    }
    holding = holding_of(post, head(world.home), dt.date(2026, 2, 1), end=dt.date(2026, 6, 30))
    with pytest.raises(ValidationError, match="超出聘期结束日期"):
        svc.post_save(actor=actor, post=post, term_end=dt.date(2026, 5, 31), **base)  # ends after the term
    holding.start, holding.end = dt.date(2026, 7, 1), None
    holding.save()
    with pytest.raises(ValidationError, match="超出聘期结束日期"):
        svc.post_save(actor=actor, post=post, term_end=dt.date(2026, 6, 30), **base)  # starts after it
    with pytest.raises(ValidationError, match="尚未离岗"):
        svc.post_save(actor=actor, post=post, term_end=dt.date(2026, 8, 31), **base)  # open past a term over
    assert PublicPost.objects.get(pk=post.pk).term_end == dt.date(2026, 12, 31)


def test_the_database_refuses_a_person_holding_two_posts_at_once(world):
    """The check in holding_assign locks only the post: two assignments of one person to two posts at once
    are stopped by the constraint post_holder_one_post (docs/domain.md §23: holds no other post)."""
    from django.db import IntegrityError, transaction

    person = head(world.home)
    holding_of(post_in(world.village), person, dt.date(2026, 2, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        holding_of(post_in(world.village, name="护林员"), person, dt.date(2026, 3, 1))
    holding_of(post_in(world.village, name="护路员"), person, dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    assert PostHolding.objects.filter(person=person).count() == 2


def test_findings_read_the_working_age_once_whatever_the_holders_off_the_roll(
    world, people, django_assert_max_num_queries
):
    """post_findings makes the same queries for one holder over the working age as for three (the month's
    settings are read once, not per holder: docs/domain.md §23)."""
    actor = people["county_reviewer"]
    holders = [*world.home.members.order_by("pk")[:2], *world.neighbour.members.order_by("pk")[:1]]
    villages = [world.village, world.village, world.other_village]
    for i, (p, village) in enumerate(zip(holders, villages, strict=True)):
        p.birth_date = dt.date(1940, 1, 1)
        p.save()
        holding_of(post_in(village, name=f"岗位{i}"), p, dt.date(2026, 1, 1))
        if i == 0:
            with django_assert_max_num_queries(50) as one:
                assert [f.kind for f in svc.post_findings(actor)] == ["off_roll"]
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert [f.kind for f in svc.post_findings(actor)] == ["off_roll"] * 3
