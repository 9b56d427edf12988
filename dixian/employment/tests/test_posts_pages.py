"""公益性岗位 pages (docs/domain.md §23): list, form, a post's page with its assign / end / pay forms, the
findings page; refusals shown with their reasons, masking, scoping and query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dixian.employment.models import PostHolding, PostPayment, PublicPost

from .groups_world import fact, head, holding_of, post_in

pytestmark = pytest.mark.django_db


def test_the_list_is_scoped_and_shows_the_holder(client, world, people):
    post = post_in(world.village)
    holding_of(post, head(world.home), dt.date(2026, 2, 1))
    post_in(world.far_village, name="远方护林员")
    client.force_login(people["county_reviewer"])
    page = client.get(reverse("employment:posts")).content.decode()
    assert "村庄保洁员" in page and "张三" in page and "远方护林员" not in page
    vacant = client.get(reverse("employment:posts"), {"state": "vacant"}).content.decode()
    assert "村庄保洁员" not in vacant
    assert "登记岗位" not in page  # a reviewer reads only


def test_the_list_makes_the_same_queries_for_2_or_20_posts(
    client, world, people, django_assert_max_num_queries
):
    client.force_login(people["county_reviewer"])
    for i in range(2):
        post_in(world.village, name=f"岗位{i}")
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("employment:posts")).status_code == 200
    for i in range(2, 20):
        holding_of(
            post_in(world.other_village, name=f"岗位{i}"),
            head(world.neighbour),
            dt.date(2026, 1, 1),
            end=dt.date(2026, 1, 2),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "岗位19" in client.get(reverse("employment:posts")).content.decode()


def test_create_and_edit_a_post_through_the_form(client, world, people):
    client.force_login(people["township_reviewer"])
    form = client.get(reverse("employment:post_new")).content.decode()
    assert "义宁镇 / 良塘村" in form and "城西村" not in form
    data = {
        "village": world.village.pk,
        "name": "护林员",
        "post_type": "forest",
        "funding": "bridging",
        "monthly_pay": "600",
        "term_start": "2026-01-01",
        "term_end": "2025-12-31",
    }
    response = client.post(reverse("employment:post_new"), data)
    assert response.status_code == 400 and "须晚于开始日期" in response.content.decode()
    response = client.post(
        reverse("employment:post_new"), data | {"term_end": "2026-12-31", "monthly_pay": "0"}
    )
    assert response.status_code == 400 and "金额必须大于 0" in response.content.decode()
    response = client.post(
        reverse("employment:post_new"), data | {"village": world.far_village.pk, "term_end": "2026-12-31"}
    )
    assert response.status_code == 400
    assert not PublicPost.objects.exists()
    response = client.post(reverse("employment:post_new"), data | {"term_end": "2026-12-31"})
    post = PublicPost.objects.get()
    assert response.status_code == 302 and post.region_code == world.village.code
    response = client.post(
        reverse("employment:post_edit", args=[post.pk]),
        data | {"term_end": "2026-12-31", "monthly_pay": "650.50"},
    )
    post.refresh_from_db()
    assert response.status_code == 302 and post.monthly_pay == Decimal("650.50")


def test_assign_end_and_pay_through_the_post_page(client, world, people):
    post = post_in(world.village)
    client.force_login(people["township_reviewer"])
    page = client.get(reverse("employment:post_detail", args=[post.pk])).content.decode()
    p = head(world.home)
    assert "张三" in page and p.id_number not in page  # offered, masked
    assert "李四" not in page  # another village
    url = reverse("employment:post_assign", args=[post.pk])
    response = client.post(url, {"person": head(world.neighbour).pk, "start": "2026-02-01"})
    assert response.status_code == 400 and "请选择" in response.content.decode()
    assert client.post(url, {"person": p.pk, "start": "2026-02-01"}).status_code == 302
    holding = PostHolding.objects.get()
    pay = reverse("employment:payment_new", args=[holding.pk])
    assert client.post(pay, {"month": "2026-02", "amount": "800", "paid_on": "2026-03-05"}).status_code == 302
    response = client.post(pay, {"month": "2026年2月", "amount": "800", "paid_on": "2026-03-05"})
    assert response.status_code == 400 and "2026年2月的补贴已登记" in response.content.decode()
    response = client.post(pay, {"month": "二月", "amount": "800", "paid_on": "2026-03-05"})
    assert response.status_code == 400 and "不是有效的月份" in response.content.decode()
    end = reverse("employment:holding_end", args=[holding.pk])
    response = client.post(end, {"end": "2026-01-15", "end_reason": "辞职"})
    assert response.status_code == 400 and "不能早于上岗日期" in response.content.decode()
    assert client.post(end, {"end": "2026-03-31", "end_reason": "辞职"}).status_code == 302
    holding.refresh_from_db()
    assert holding.end == dt.date(2026, 3, 31) and PostPayment.objects.count() == 1


def test_assign_refuses_a_worker_who_died_before_the_start(client, world, people):
    post = post_in(world.village)
    p = head(world.home)
    fact(p, "died", dt.date(2026, 1, 3))
    client.force_login(people["county_admin"])
    response = client.post(
        reverse("employment:post_assign", args=[post.pk]), {"person": p.pk, "start": "2026-02-01"}
    )
    assert response.status_code == 400
    assert not PostHolding.objects.exists()


def test_post_and_holding_out_of_scope_answer_404(client, world, people):
    far = post_in(world.far_village)
    holding = holding_of(far, head(world.far), dt.date(2026, 1, 1))
    client.force_login(people["county_admin"])
    assert client.get(reverse("employment:post_detail", args=[far.pk])).status_code == 404
    assert client.get(reverse("employment:post_edit", args=[far.pk])).status_code == 404
    ok = {"month": "2026-02", "amount": "800", "paid_on": "2026-03-05"}
    assert client.post(reverse("employment:payment_new", args=[holding.pk]), ok).status_code == 404
    assert (
        client.post(
            reverse("employment:holding_end", args=[holding.pk]), {"end": "2026-03-01", "end_reason": "x"}
        ).status_code
        == 404
    )
    assert not PostPayment.objects.exists()


def test_the_findings_page_lists_dead_holders_and_masks_ids(
    client, world, people, django_assert_max_num_queries
):
    holding = holding_of(post_in(world.village), head(world.home), dt.date(2026, 1, 1))
    PostPayment.objects.create(
        holding=holding,
        region_code=holding.region_code,
        month=dt.date(2026, 4, 1),
        amount=800,
        paid_on=timezone.localdate(),
    )
    fact(head(world.home), "died", dt.date(2026, 3, 2))
    holding_of(post_in(world.far_village), head(world.far), dt.date(2026, 1, 1))
    fact(head(world.far), "died", dt.date(2026, 3, 2))
    client.force_login(people["county_reviewer"])
    with django_assert_max_num_queries(14):
        page = client.get(reverse("employment:post_findings")).content.decode()
    assert "在岗人员已死亡或迁出" in page and "死亡或迁出后仍发放补贴" in page and "2026年4月的补贴" in page
    assert head(world.home).id_number not in page and "王五" not in page
