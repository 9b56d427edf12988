"""A masked ID number cannot be rebuilt from anything the same account can see (docs/security.md §1).

The attack of issue 12: 360424********0636 hides exactly the eight birth-date digits, and the birth date
stood beside it (the registry export's 出生日期 column, the alert page's evidence rows, the linkage queue),
so any account without the personal-data right rebuilt every full ID number of its region.

For random households (synthetic ID numbers with valid check characters, random phones and birth dates)
and every persona, the pages and files that show a person are rendered: the household list and page, its
history and member form, the alert queue, page and export, the evidence rows of a petition delivery, the
visit and declaration pages, the 应纳未纳 list, the linkage queue and the registry export (in the request
and as a background job's file). Free texts (a visit's notes, a declaration's description, a petition's
summary, a reviewer's conclusion) quote the ID number, the phone and the birth date on purpose. Without the
right, no output may contain a full ID number, a full phone or the birth date in any usual spelling
(19700101, 1970-01-01, 1970/01/01, 1970年1月1日: the first is also the ID number's middle); with it, the
full values are there.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from dixian.common.jobs import worker_run_once
from dixian.common.masking import mask_id_number, mask_phone
from dixian.common.testing import fake_id
from dixian.registry import services
from dixian.registry.models import HelperAssignment, Household, Person

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


@dataclass(frozen=True)
class Member:
    birth: dt.date
    seq: int
    female: bool
    phone: str


def phones() -> st.SearchStrategy[str]:
    return st.builds(
        lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1)
    )


# Birth dates before any date a page shows of its own (today, a visit, a delivery period).
births = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2015, 12, 31))
members = st.lists(
    st.builds(Member, births, st.integers(0, 499), st.booleans(), phones()),
    min_size=1,
    max_size=3,
    unique_by=lambda m: (m.birth, m.seq, m.female),
)
# How a free text spells the birth date.
SPELLINGS = (
    "{b:%Y%m%d}",
    "{b:%Y-%m-%d}",
    "{b.year}年{b.month}月{b.day}日",
    "{b:%Y/%m/%d}",
    "{b.year}.{b.month}.{b.day}",
)


def spellings(b: dt.date) -> set[str]:
    """Every spelling of a birth date the outputs must not contain (the first is the ID number's middle)."""
    return {
        f"{b:%Y%m%d}",
        f"{b:%Y-%m-%d}",
        f"{b:%Y/%m/%d}",
        f"{b.year}年{b.month}月{b.day}日",
        f"{b.year}年{b.month:02d}月{b.day:02d}日",
        f"{b.year}-{b.month}-{b.day}",
        f"{b.year}/{b.month}/{b.day}",
    }


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK" and "wordprocessingml" in response.get("Content-Type", ""):
        # A .docx (the monthly bulletin): its paragraphs and table cells, as a reader of the file sees them.
        import docx

        document = docx.Document(io.BytesIO(content))
        cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if content[:2] == b"PK":  # an .xlsx: its cells, as a reader of the file sees them
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        return "\n".join(
            str(cell)
            for name in book.sheet_names
            for row in book.get_sheet_by_name(name).to_python()
            for cell in row
        )
    return content.decode("utf-8", errors="replace")


def petition_delivery(world, rows: list[dict[str, object]]):
    from dixian.feeds.models import FeedDelivery

    name = f"petition-{next(_serial)}.parquet"
    path = Path(settings.DATA_DIR) / "feeds" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = (
        "name",
        "id_number",
        "sex",
        "birth_date",
        "village",
        "phone",
        "visit_date",
        "category",
        "summary",
    )
    table = pa.table({c: pa.array([r[c] for r in rows]) for c in columns})
    pq.write_table(table, path)
    return FeedDelivery.objects.create(
        feed="petition",
        period="2026-10",
        channel=FeedDelivery.Channel.UPLOAD,
        region=world.county,
        file_name="petition.xlsx",
        checksum=name.ljust(64, "0")[:64],
        row_count=table.num_rows,
        rows_file=f"feeds/{name}",
        status=FeedDelivery.Status.ACCEPTED,
    )


@dataclass
class Scene:
    household: Household
    persons: list[Person]
    phones: list[str]  # every phone of the household and its members
    births: list[dt.date]  # every birth date its members have or had
    ids: list[str]  # every ID number its members have or had
    urls: list[str]
    alert_url: str
    exports: list[tuple[str, dict[str, str]]]  # POST url and data


def build_scene(world, people, drawn: list[Member], household_phone: str, spelling: str) -> Scene:
    """A household of `drawn` members in the village, with an alert, a visit, a declaration, a 应纳未纳
    record, a linkage candidate and a changed ID number, each quoting the head's numbers and birth date."""
    from dixian.cases.models import UnmatchedRecord
    from dixian.cases.tests.helpers import raise_alert
    from dixian.declarations.models import Declaration
    from dixian.feeds.models import LinkCandidate
    from dixian.visits.models import Visit

    n = next(_serial)
    village = world.village
    h = Household.objects.create(
        household_no=f"{village.code}{9000 + n:04d}",
        region=village,
        region_code=village.code,
        kind="ex_poor",
        head_name=f"赵{n}",
        member_count=len(drawn),
        phone=household_phone,
    )
    persons = []
    for i, m in enumerate(drawn):
        persons.append(
            Person.objects.create(
                household=h,
                region_code=village.code,
                id_number=fake_id(village.code[:6], m.birth, m.seq, female=m.female),
                name=f"赵{n}之{i}" if i else h.head_name,
                sex="female" if m.female else "male",
                birth_date=m.birth,
                relation="head" if i == 0 else "other",
                labour_skill="ordinary",
                medical_insurance="resident",
                phone=m.phone,
            )
        )
    HelperAssignment.objects.create(household=h, helper=people["helper"], start_date=dt.date(2025, 1, 1))
    head, first = persons[0], drawn[0]
    written = spelling.format(b=first.birth)
    quoted = (
        f"{head.name},身份证{head.id_number},电话{head.phone},户联系电话{household_phone},出生{written}。"
    )

    # A petition delivery whose row repeats the head's identity, and the alert its evidence joined.
    visit_date = dt.date(2026, 10, 9)
    row = {
        "name": head.name,
        "id_number": head.id_number,
        "sex": "女" if first.female else "男",
        "birth_date": first.birth,
        "village": village.name,
        "phone": head.phone,
        "visit_date": visit_date,
        "category": "生活困难",
        "summary": quoted,
    }
    delivery = petition_delivery(world, [row])
    key = f"{head.name}|{head.id_number}|{visit_date.isoformat()}|生活困难"
    alert = raise_alert(
        h,
        grade="黄",
        reason=f"{head.name}信访反映生活困难(规则 R01 第1版)",
        delivery=delivery,
        record_keys=[key],
        id_number=head.id_number,
        feed="petition",
    )
    alert.close_note = quoted
    alert.save(update_fields=["close_note"])
    visitor = people["village_officer"]
    visit = Visit.objects.create(
        household=h,
        region_code=h.region_code,
        visit_date=dt.date(2026, 1, 5),
        visitor=visitor,
        risks=[],
        notes=quoted,
    )
    declaration = Declaration.objects.create(
        reference=f"SB2611-M{n:05d}",
        village=village,
        region_code=village.code,
        name=head.name,
        id_number=head.id_number,
        phone=head.phone,
        difficulty="illness",
        description=quoted,
        status_note=quoted,
        consent=True,
        household=h,
    )
    UnmatchedRecord.objects.create(
        feed="petition",
        record_key=key,
        name=head.name,
        id_number=head.id_number,
        problem="not_found",
        reason=f"证件号码{head.id_number}在农户信息库中不存在",
        birth_date=first.birth,
        region=village,
        region_code=village.code,
        close_note=quoted,
    )
    LinkCandidate.objects.create(
        delivery=delivery,
        feed="petition",
        record_key=f"{key}|link",
        name=head.name,
        id_number_raw=head.id_number[:-1],
        sex="男",
        birth_date=first.birth,
        village=village.name,
        person=head,
        region_code=head.region_code,
        match_probability=0.8,
        status="pending",
    )
    ids = [p.id_number for p in persons]
    births = [m.birth for m in drawn]
    # The last member's ID number corrected (the history shows the old and the new number and birth date).
    last, drawn_last = persons[-1], drawn[-1]
    corrected = drawn_last.birth + dt.timedelta(days=1 if drawn_last.birth.year < 2015 else -1)
    new_id = fake_id(village.code[:6], corrected, drawn_last.seq, female=drawn_last.female)
    if new_id not in ids and not Person.objects.filter(id_number=new_id).exists():
        services.person_update(actor=None, person=last, data={"id_number": new_id})
        ids.append(new_id)
        births.append(corrected)
    urls = [
        reverse("registry:household_list"),
        reverse("registry:household_list") + f"?q={h.household_no}",
        reverse("registry:household_detail", args=[h.pk]),
        reverse("registry:household_history", args=[h.pk]),
        reverse("registry:person_edit", args=[h.pk, head.pk]),
        reverse("registry:person_edit", args=[h.pk, last.pk]),
        reverse("cases:alert_queue"),
        reverse("cases:alert_detail", args=[alert.pk]),
        reverse("cases:alert_export"),
        reverse("cases:unmatched_list"),
        reverse("visits:list"),
        reverse("visits:detail", args=[visit.pk]),
        reverse("declarations:list"),
        reverse("declarations:detail", args=[declaration.pk]),
        reverse("links:queue"),
        reverse("feeds:delivery_detail", args=[delivery.pk]),
        # The labour roll, its workbook, the village's monthly survey and a worker's form (docs/domain.md §23).
        reverse("employment:roll_list"),
        reverse("employment:roll_xlsx"),
        reverse("employment:survey_village", args=[village.code]),
        reverse("employment:worker_form", args=[head.pk]),
    ]
    exports = [
        (reverse("registry:household_export"), {"sheets": "persons"}),
        (reverse("registry:household_export"), {"sheets": "households"}),
    ]
    phones = [household_phone, *(m.phone for m in drawn)]
    alert_url = reverse("cases:alert_detail", args=[alert.pk])
    return Scene(h, persons, phones, births, ids, urls, alert_url, exports)


def outputs(client, user, scene: Scene) -> dict[str, str]:
    """Everything the account sees of the scene: each page and each export file, by URL."""
    from dixian.common.models import Job

    client.force_login(user)
    seen: dict[str, str] = {}
    for url in scene.urls:
        seen[url] = body_text(client.get(url))
    for url, data in scene.exports:
        response = client.post(url, data)
        seen[f"{url} {data}"] = body_text(response)
        if response.status_code == 302:  # a background job: its page, then its file
            seen[response["Location"]] = body_text(client.get(response["Location"]))
        # Jobs the account started: run them and read their files (the worker uses the owner's rights).
        while worker_run_once():
            pass
        for job in Job.objects.filter(owner=user, status=Job.Status.DONE):
            download = client.get(reverse("jobs:download", args=[job.pk]))
            seen[f"job {job.pk}"] = body_text(download)
            seen[f"job page {job.pk}"] = body_text(client.get(reverse("jobs:detail", args=[job.pk])))
    return seen


def secrets(scene: Scene) -> dict[str, str]:
    found: dict[str, str] = {}
    for number in scene.ids:
        found[number] = "full ID number"
    for phone in scene.phones:
        if phone:
            found[phone] = "full phone"
    for birth in scene.births:
        for spelt in spellings(birth):
            found[spelt] = f"birth date {birth} spelt {spelt}"
    return found


NO_PII = (
    "county_reviewer",
    "township_reviewer",
    "village_officer",
    "helper",
    "leader",
    "department_uploader",
)


def check(client, world, people, drawn: list[Member], household_phone: str, spelling: str) -> None:
    with transaction.atomic():
        scene = build_scene(world, people, drawn, household_phone, spelling)
        hidden = secrets(scene)
        for persona in NO_PII:
            for where, text in outputs(client, people[persona], scene).items():
                found = sorted({what for secret, what in hidden.items() if secret in text})
                assert not found, f"{persona} sees {found} at {where}"
        # The masked values are there for those who may see the household: nothing was simply left out.
        officer = outputs(client, people["village_officer"], scene)
        page = officer[reverse("registry:household_detail", args=[scene.household.pk])]
        assert mask_id_number(scene.persons[0].id_number) in page and mask_phone(scene.phones[0]) in page
        # With the right, the full values are shown, the birth date included.
        admin = outputs(client, people["county_admin"], scene)
        page = admin[reverse("registry:household_detail", args=[scene.household.pk])]
        assert scene.persons[0].id_number in page and scene.phones[0] in page
        everything = "\n".join(admin.values())
        assert drawn[0].birth.isoformat() in everything  # the person sheet of the export
        alert_page = admin[scene.alert_url]
        assert scene.persons[0].id_number in alert_page and drawn[0].birth.isoformat() in alert_page
        transaction.set_rollback(True)


@hsettings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=members, household_phone=phones(), spelling=st.sampled_from(SPELLINGS))
@example(  # a leap day, the first of a year and a woman whose order digits wrap
    drawn=[
        Member(dt.date(2012, 2, 29), 499, True, "13912345678"),
        Member(dt.date(2000, 1, 1), 0, False, "18800000000"),
    ],
    household_phone="15000001111",
    spelling="{b.year}年{b.month}月{b.day}日",
)
@example(
    drawn=[Member(dt.date(1970, 1, 1), 7, False, "13800001234")], household_phone="", spelling="{b:%Y%m%d}"
)
def test_no_output_lets_an_account_without_the_right_rebuild_an_id_or_phone(
    client, world, people, drawn, household_phone, spelling
):
    check(client, world, people, drawn, household_phone, spelling)


def test_no_url_of_the_project_shows_a_full_number_or_a_birth_date_without_the_right(client, world, people):
    """Every URL of the project (the leak test's walk, its records filled in with the persona's own
    households), every export with its variants: the pages this file's scene does not list are checked too."""
    from dixian.common.models import Job
    from dixian.common.tests import test_no_leak as walk
    from dixian.registry.selectors import household_scope_for_user

    owner = people["city_admin"]
    job = Job.objects.create(
        kind="household_export", owner=owner, status=Job.Status.DONE, result_file="x.xlsx"
    )
    problems: list[str] = []
    checked = 0
    for persona in NO_PII:
        user = people[persona]
        client.force_login(user)
        visible = set(household_scope_for_user(user).values_list("pk", flat=True))
        _, inside = walk.targets_for(world, visible, job, None, user)
        hidden: dict[str, str] = {}
        for h in Household.objects.filter(pk__in=visible):
            if h.phone:
                hidden[h.phone] = f"phone of {h.household_no}"
            for p in h.members.all():
                hidden[p.id_number] = f"ID number of {p.name}"
                if p.phone:
                    hidden[p.phone] = f"phone of {p.name}"
                for spelt in spellings(p.birth_date):
                    hidden[spelt] = f"birth date of {p.name} ({spelt})"
        for route in walk.project_routes():
            if route.name == "accounts:logout" or route.name in walk.TOKEN_ONLY:
                continue
            if route.params:
                if inside is None or route.name not in walk.FILL:
                    continue
                responses = [client.get(walk.url_for(route, inside))]  # GET only: a POST would change data
            else:
                url = reverse(route.name)
                posts = walk.EXTRA_POSTS.get(route.name, [None])
                responses = [walk.fetch(client, url, {}, post) for post in posts]
            for response in responses:
                checked += 1
                text = body_text(response)
                problems.extend(
                    f"{persona}: {route.name} shows the {what}" for s, what in hidden.items() if s in text
                )
        client.logout()
    assert checked > 100
    assert not problems, "\n".join(problems)
