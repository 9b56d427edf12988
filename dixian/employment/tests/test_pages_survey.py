"""The roll and survey pages (employment/views_survey.py, docs/domain.md §23): scoping, masking, the form
and its refusals, 本月无变化, and queries constant in the number of workers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from dixian.common.masking import HIDDEN
from dixian.common.models import AccessLog, ChangeLog
from dixian.domain import employment as e
from dixian.employment.models import DepartmentFact, Employment
from dixian.employment.testing import IDLE_WILLING, WORKING_AWAY, many_workers, record

pytestmark = pytest.mark.django_db

EMPLOYER = WORKING_AWAY["employer"]


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def last_month() -> dt.date:
    return e.month_add(this_month(), -1)


@pytest.fixture
def head(world):
    return world.home.members.get(relation="head")


@pytest.fixture
def spouse(world):
    return world.home.members.get(relation="spouse")


def survey_url(village, month=None) -> str:
    return (
        reverse("employment:survey_village", args=[village.code])
        + f"?month={e.month_key(month or this_month())}"
    )


def form_url(person, month=None) -> str:
    return (
        reverse("employment:worker_form", args=[person.pk]) + f"?month={e.month_key(month or this_month())}"
    )


def test_home_lists_the_pages_the_account_may_use(client, people):
    client.force_login(people["village_officer"])
    page = client.get(reverse("employment:home")).content.decode()
    assert reverse("employment:roll_list") in page and reverse("employment:survey_start") in page
    client.force_login(people["helper"])
    assert client.get(reverse("employment:home")).status_code == 403


def test_the_nav_shows_employment_to_whom_may_see_it(client, people):
    client.force_login(people["leader"])
    assert "就业监测" in client.get(reverse("employment:home")).content.decode()
    client.force_login(people["finance"])
    assert "就业监测" not in client.get(reverse("funds:report")).content.decode()


def test_village_account_goes_straight_to_its_village(client, world, people):
    client.force_login(people["village_officer"])
    response = client.get(reverse("employment:survey_start"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("employment:survey_village", args=[world.village.code]))


def test_without_a_month_the_village_opens_on_the_month_to_record_next(client, world, people, head, spouse):
    # A month left undone comes first, so 本月无变化 has last month to copy (selectors.month_to_record).
    client.force_login(people["village_officer"])
    url = reverse("employment:survey_village", args=[world.village.code])
    two_ago = e.month_add(this_month(), -2)
    record(head, two_ago, WORKING_AWAY)
    page = client.get(url).content.decode()
    assert f"本村{e.month_label(last_month())}的摸排还未开始" in page
    record(spouse, last_month(), IDLE_WILLING)
    page = client.get(url).content.decode()
    assert "的摸排还未开始" not in page and e.month_label(this_month()) in page


def test_township_picks_a_village(client, world, people):
    client.force_login(people["township_reviewer"])
    page = client.get(reverse("employment:survey_start")).content.decode()
    assert world.village.name in page and world.other_village.name in page
    response = client.get(reverse("employment:survey_start"), {"region": [world.village.pk]})
    assert response.status_code == 302


def test_survey_page_shows_last_month_and_counts(client, world, people, head, spouse):
    record(head, last_month(), WORKING_AWAY)
    client.force_login(people["village_officer"])
    page = client.get(survey_url(world.village)).content.decode()
    assert head.name in page and spouse.name in page
    assert "已摸排 <strong>0</strong>" in page and "名册 <strong>2</strong>" in page
    assert "务工 · 省外(跨省)" in page or "务工 · " in page
    assert "其余人员本月无变化(1人)" in page


def test_another_village_and_a_person_out_of_scope_answer_404(client, world, people):
    client.force_login(people["village_officer"])
    far_head = world.far.members.get(relation="head")
    assert client.get(survey_url(world.other_village)).status_code == 404
    assert client.get(survey_url(world.far_village)).status_code == 404
    assert client.get(form_url(far_head)).status_code == 404
    assert client.post(form_url(far_head), {"working": "1"}).status_code == 404
    carry = reverse("employment:survey_carry", args=[world.other_village.code])
    assert client.post(carry, {"month": e.month_key(this_month())}).status_code == 404
    assert not Employment.objects.exists()
    client.force_login(people["leader"])  # reads, records nothing
    assert client.get(form_url(far_head)).status_code == 403


def test_the_form_records_and_returns_to_the_list(client, world, people, head):
    client.force_login(people["village_officer"])
    data = {
        "month": e.month_key(this_month()),
        "working": "1",
        "place_tier": e.IN_COUNTY,
        "channel": e.WORKSHOP,
        "employer": "良塘村帮扶车间",
        "months_worked": "1",
    }
    response = client.post(form_url(head), data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#worker-{head.pk}")
    r = Employment.objects.get(person=head, month=this_month())
    assert (r.working, r.place_tier, r.channel, r.employer, r.source) == (
        True,
        e.IN_COUNTY,
        e.WORKSHOP,
        "良塘村帮扶车间",
        "form",
    )
    page = client.get(response["Location"]).content.decode()
    assert "已保存" in page and "已摸排 <strong>1</strong>" in page


def test_the_form_says_what_is_missing(client, people, head):
    client.force_login(people["village_officer"])
    response = client.post(form_url(head), {"month": e.month_key(this_month()), "working": "0"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "未务工就业的人员须填写未就业原因" in page and "是否有就业意愿" in page
    assert not Employment.objects.exists()


def test_a_future_month_in_the_form_is_the_current_month(client, people, head):
    client.force_login(people["village_officer"])
    future = e.month_key(e.month_add(this_month(), 2))
    page = client.get(reverse("employment:worker_form", args=[head.pk]), {"month": future}).content.decode()
    assert "还没有到" in page


def test_not_on_roll_is_refused_on_the_form(client, people, spouse):
    spouse.labour_skill = "none"
    spouse.save()
    client.force_login(people["village_officer"])
    assert "劳动力名册上" in client.get(form_url(spouse)).content.decode()  # said before anything is typed
    data = {
        "month": e.month_key(this_month()),
        **{"working": "0", "not_working_reason": "no_job", "willing": "1"},
    }
    page = client.post(form_url(spouse), data).content.decode()
    assert "不在" in page and "劳动力名册上" in page
    assert not Employment.objects.exists()


def test_the_form_is_prefilled_from_the_previous_record(client, people, head):
    record(
        head,
        last_month(),
        WORKING_AWAY,
        months_worked=max(last_month().month - 1, 0) if this_month().month > 1 else 1,
    )
    client.force_login(people["county_admin"])  # with the personal-data right
    page = client.get(form_url(head)).content.decode()
    assert f"{e.month_label(last_month())}的摸排记录" in page
    assert EMPLOYER in page
    assert (
        f'value="{e.OUT_OF_PROVINCE}" checked' in page
        or f'value="{e.OUT_OF_PROVINCE}"\n' in page
        or "checked" in page
    )


def test_prefilled_from_the_department_fact_when_no_record(client, world, people, head):
    from dixian.feeds.models import FeedDelivery

    delivery = FeedDelivery.objects.create(
        feed="employment",
        period="2026-01",
        channel="generated",
        region=world.county,
        status="accepted",
        checksum="x",
    )
    DepartmentFact.objects.create(
        person=head,
        region_code=head.region_code,
        delivery=delivery,
        kind="employed",
        on=this_month() - dt.timedelta(days=40),
        employer="九江某纺织厂",
        place="九江市",
    )
    client.force_login(people["county_admin"])
    page = client.get(form_url(head)).content.decode()
    assert "人社部门就业登记" in page and "九江某纺织厂" in page
    client.force_login(people["village_officer"])  # without the right: neither employer nor place
    page = client.get(form_url(head)).content.decode()
    assert "人社部门就业登记" in page and "九江某纺织厂" not in page and "九江市" not in page


def test_employer_and_wage_are_masked_without_the_right_and_kept_when_left_blank(client, people, head):
    record(head, this_month(), WORKING_AWAY, months_worked=1)
    client.force_login(people["village_officer"])
    page = client.get(form_url(head)).content.decode()
    assert EMPLOYER not in page and 'value="3000_5000" selected' not in page
    assert "已填写(已隐藏)" in page and "保持原填报(已隐藏)" in page
    # A change of channel only: the hidden employer and wage band stay as recorded; the change is audited.
    data = {
        "month": e.month_key(this_month()),
        "working": "1",
        "place_tier": e.OUT_OF_PROVINCE,
        "channel": e.SELF,
        "months_worked": "1",
    }
    assert client.post(form_url(head), data).status_code == 302
    r = Employment.objects.get(person=head, month=this_month())
    assert (r.channel, r.employer, r.wage_band) == (e.SELF, EMPLOYER, "3000_5000")
    log = ChangeLog.objects.get(entity="employment")
    assert set(log.changes) == {"channel"}
    # The household's history hides employer and wage changes from an account without the right.
    client.post(form_url(head), {**data, "employer": "新单位甲"})
    history = client.get(reverse("registry:household_history", args=[head.household_id])).content.decode()
    assert "新单位甲" not in history and EMPLOYER not in history and HIDDEN in history
    assert AccessLog.objects.filter(path=reverse("employment:worker_form", args=[head.pk])).exists()


def test_roll_list_masks_ids_and_filters(client, world, people, head, spouse):
    record(head, this_month(), IDLE_WILLING)
    client.force_login(people["county_reviewer"])
    page = client.get(reverse("employment:roll_list")).content.decode()
    assert head.name in page and world.neighbour.head_name in page
    assert head.id_number not in page and head.id_number[-4:] in page
    assert world.far.head_name not in page
    page = client.get(reverse("employment:roll_list"), {"recorded": "no"}).content.decode()
    assert spouse.name in page and f'<td data-label="姓名">{head.name}</td>' not in page
    page = client.get(reverse("employment:roll_list"), {"kind": "monitored"}).content.decode()
    assert "没有符合条件的劳动力" in page
    client.force_login(people["county_admin"])
    assert head.id_number in client.get(reverse("employment:roll_list")).content.decode()


def test_the_roll_list_filters_by_the_months_record_as_the_figures_link_it(
    client, world, people, head, spouse
):
    # The lists behind the figures (employment/views_figures.py LINE_FILTERS and the tier/channel rows).
    record(head, this_month(), WORKING_AWAY, months_worked=1)
    record(spouse, this_month(), IDLE_WILLING)
    client.force_login(people["county_reviewer"])
    url = reverse("employment:roll_list")

    def names(**params: str) -> set[str]:
        page = client.get(url, {"month": e.month_key(this_month()), **params}).content.decode()
        return {p.name for p in (head, spouse) if f'<td data-label="姓名">{p.name}</td>' in page}

    assert names(working="1") == {head.name}
    assert names(working="0") == {spouse.name}
    assert names(working="1", place_tier=WORKING_AWAY["place_tier"]) == {head.name}
    assert names(working="1", place_tier=e.IN_COUNTY) == set()
    assert names(channel=WORKING_AWAY["channel"]) == {head.name}


def test_roll_export_is_scoped_and_masked(client, world, people, head):
    record(head, this_month(), WORKING_AWAY, months_worked=1)
    client.force_login(people["village_officer"])
    response = client.get(reverse("employment:roll_xlsx"), {"region": [world.far_village.pk]})
    assert response.status_code == 200
    import io

    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    text = "\n".join(str(c) for row in rows for c in row)
    assert head.name in text and world.far.head_name not in text and world.neighbour.head_name not in text
    assert head.id_number not in text and EMPLOYER not in text and HIDDEN in text
    assert "年龄(周岁)" in text and "1970-01-01" not in text
    assert len(rows) == 1 + 2


def test_carry_over_button_and_htmx_row(client, world, people, head, spouse):
    record(head, last_month(), WORKING_AWAY, months_worked=1)
    record(spouse, last_month(), IDLE_WILLING)
    client.force_login(people["village_officer"])
    carry = reverse("employment:survey_carry", args=[world.village.code])
    response = client.post(
        carry, {"month": e.month_key(this_month()), "person": head.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert f'id="worker-{head.pk}"' in text and "沿用上月" in text and 'id="survey-counts"' in text
    assert Employment.objects.filter(month=this_month()).count() == 1
    response = client.post(carry, {"month": e.month_key(this_month())})
    assert response.status_code == 302
    assert Employment.objects.filter(month=this_month(), source="carried").count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "1人沿用" in page and "已摸排 <strong>2</strong>" in page


def test_survey_page_queries_do_not_grow_with_the_workers(
    client, world, people, django_assert_max_num_queries
):
    client.force_login(people["village_officer"])
    few = many_workers(world.village, 3)
    for p in few:
        record(p, last_month(), WORKING_AWAY, months_worked=1)
    client.get(survey_url(world.village))  # warm (session, content types)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(survey_url(world.village)).status_code == 200
    more = many_workers(world.village, 40, seq0=500)
    for p in more[:60]:
        record(p, this_month(), IDLE_WILLING)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(survey_url(world.village))
    assert page.content.decode().count('class="worker') >= 120


def test_roll_list_queries_do_not_grow_with_the_workers(client, world, people, django_assert_max_num_queries):
    client.force_login(people["county_reviewer"])
    many_workers(world.village, 20)  # 62 workers: the first page counts the total too
    client.get(reverse("employment:roll_list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(reverse("employment:roll_list"))
    people_ = many_workers(world.other_village, 60, seq0=700)
    for p in people_[:40]:
        record(p, this_month(), WORKING_AWAY, months_worked=1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(reverse("employment:roll_list"), {"page": "2"})
    assert page.status_code == 200 and page.content.decode().count('<tr id="roll-') == 50


def test_a_note_quoting_personal_data_is_hidden_without_the_right_and_kept_when_left_blank(
    client, people, head
):
    # docs/security.md §1: the survey's 备注 is a free text; without the right neither the form nor the
    # household's history shows the number it quotes.
    record(head, this_month(), WORKING_AWAY, months_worked=1, note="家属电话13812345678")
    client.force_login(people["village_officer"])
    page = client.get(form_url(head)).content.decode()
    assert "13812345678" not in page
    data = {
        "month": e.month_key(this_month()),
        "working": "1",
        "place_tier": e.OUT_OF_PROVINCE,
        "channel": e.SELF,
        "months_worked": "1",
    }
    assert client.post(form_url(head), data).status_code == 302
    assert Employment.objects.get(person=head, month=this_month()).note == "家属电话13812345678"
    client.post(form_url(head), {**data, "note": "新电话13900001111"})
    history = client.get(reverse("registry:household_history", args=[head.household_id])).content.decode()
    assert "13900001111" not in history and "13812345678" not in history


@pytest.mark.parametrize(("month", "reason"), [("future", "还没有到"), ("2026-13", "未保存")])
def test_a_future_or_bad_month_posted_is_refused_not_taken_for_this_month(
    client, world, people, head, month, reason
):
    # docs/domain.md §23: no record for a month to come; a POST's month is read strictly, nothing written.
    if month == "future":
        month = e.month_key(e.month_add(this_month(), 2))
    client.force_login(people["village_officer"])
    data = {"month": month, "working": "0", "not_working_reason": "no_job", "willing": "1"}
    page = client.post(form_url(head), data).content.decode()
    assert reason in page
    record(head, e.month_add(this_month(), -1), IDLE_WILLING)
    carry = reverse("employment:survey_carry", args=[world.village.code])
    response = client.post(carry, {"month": month}, follow=True)
    assert reason in response.content.decode()
    assert not Employment.objects.filter(month=this_month()).exists()
