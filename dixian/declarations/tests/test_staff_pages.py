"""Staff side: the declaration list and page scoped to the account's subtree, masking, handling with an
audit row, and the village QR codes and posters."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.urls import reverse

from dixian.common.access import mask_id_number, mask_phone
from dixian.common.models import ChangeLog
from dixian.common.testing import fake_id
from dixian.declarations import services
from dixian.declarations.models import Declaration
from dixian.declarations.services import DeclarationInput

pytestmark = pytest.mark.django_db
_seq = itertools.count(200)


def declare(village, *, id_number: str | None = None, name: str = "赵六", phone: str = "13912345678", **kw):
    n = next(_seq)
    return services.declaration_submit(
        data=DeclarationInput(
            name=name,
            id_number=id_number or fake_id("360424", dt.date(1980, 1, 1), n),
            phone=phone,
            village=village,
            difficulty=kw.get("difficulty", "illness"),
            description="家里老人住院花了很多钱,生活困难。",
            consent=True,
        ),
        ip=f"10.9.{n // 250}.{n % 250}",
    )


@pytest.fixture
def declarations(world):
    return {
        "home": declare(world.village, name="钱七"),
        "neighbour": declare(world.other_village, name="孙八", difficulty="housing"),
        "far": declare(world.far_village, name="周九", phone="13800009999"),
    }


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("city_admin", {"home", "neighbour", "far"}),
        ("county_reviewer", {"home", "neighbour"}),
        ("township_reviewer", {"home", "neighbour"}),
        ("village_officer", {"home"}),
        ("other_county_reviewer", {"far"}),
    ],
)
def test_each_account_lists_and_opens_only_its_subtree(client, people, declarations, persona, visible):
    client.force_login(people[persona])
    html = client.get(reverse("declarations:list")).content.decode()
    for key, d in declarations.items():
        assert (d.reference in html) == (key in visible), key
        status = client.get(reverse("declarations:detail", args=[d.pk])).status_code
        assert status == (200 if key in visible else 404), key


@pytest.mark.parametrize("persona", ["helper", "department_uploader", "leader"])
def test_helpers_department_accounts_and_leaders_are_refused(client, people, declarations, persona):
    client.force_login(people[persona])
    assert client.get(reverse("declarations:list")).status_code == 403
    assert client.get(reverse("declarations:detail", args=[declarations["home"].pk])).status_code == 403
    assert client.get(reverse("declarations:villages")).status_code == 403


def test_id_number_and_phone_are_masked_unless_the_account_may_view_them(client, people, declarations):
    d = declarations["home"]
    client.force_login(people["county_reviewer"])  # no PII right
    for url in (reverse("declarations:list"), reverse("declarations:detail", args=[d.pk])):
        html = client.get(url).content.decode()
        assert d.id_number not in html and mask_id_number(d.id_number) in html
        assert d.phone not in html
    assert mask_phone(d.phone) in client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    client.force_login(people["county_admin"])  # may view PII
    html = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert d.id_number in html and d.phone in html


def test_the_list_filters_by_status_and_difficulty(client, people, declarations):
    client.force_login(people["city_admin"])
    services.declaration_set_status(
        declaration=declarations["far"], status="verifying", note="", actor=people["city_admin"]
    )
    html = client.get(reverse("declarations:list"), {"status": "verifying"}).content.decode()
    assert declarations["far"].reference in html and declarations["home"].reference not in html
    html = client.get(reverse("declarations:list"), {"difficulty": "housing"}).content.decode()
    assert declarations["neighbour"].reference in html and declarations["far"].reference not in html
    # Nonsense in the URL is ignored, not an error; the other filters still apply.
    response = client.get(
        reverse("declarations:list"), {"status": "x", "difficulty": "housing", "page": "zz"}
    )
    assert response.status_code == 200
    assert [d.reference for d in response.context["page"]] == [declarations["neighbour"].reference]


def test_the_list_separates_registered_households_from_strangers(client, world, people):
    head = world.home.members.get(relation="head")
    registered = declare(world.village, id_number=head.id_number)
    stranger = declare(world.village)
    client.force_login(people["village_officer"])
    html = client.get(reverse("declarations:list"), {"registered": "no"}).content.decode()
    assert stranger.reference in html and registered.reference not in html
    html = client.get(reverse("declarations:list"), {"registered": "yes"}).content.decode()
    assert registered.reference in html and stranger.reference not in html


def test_the_list_runs_a_fixed_number_of_queries(client, world, people, django_assert_num_queries):
    client.force_login(people["county_reviewer"])
    declare(world.village)
    # session, user, the account's region (scope), count, the page with its villages, the page's alerts
    # and the cases those follow (the deadlines shown are theirs, docs/domain.md §20)
    with django_assert_num_queries(7):
        client.get(reverse("declarations:list"))
    for _ in range(25):
        declare(world.other_village)
    with django_assert_num_queries(7):
        response = client.get(reverse("declarations:list"))
    assert len(response.context["page"]) == 26
    with django_assert_num_queries(7):
        client.get(reverse("declarations:list"), {"status": "received"}, HTTP_HX_REQUEST="true")


def test_handling_moves_step_by_step_and_is_audited(client, people, declarations):
    d = declarations["home"]
    officer = people["village_officer"]
    client.force_login(officer)
    url = reverse("declarations:status", args=[d.pk])
    response = client.post(url, {"status": "confirmed", "note": ""})
    assert response.status_code == 422
    assert "该申报已经办理到其他状态" in response.content.decode()
    assert client.post(url, {"status": "verifying", "note": "已电话联系,明天入户"}).status_code == 302
    response = client.post(url, {"status": "dismissed", "note": "  "})
    assert response.status_code == 422
    assert "必须填写理由" in response.content.decode()
    assert (
        client.post(url, {"status": "dismissed", "note": "家庭年人均纯收入超过监测范围"}).status_code == 302
    )
    d.refresh_from_db()
    assert (d.status, d.status_note, d.handled_by) == ("dismissed", "家庭年人均纯收入超过监测范围", officer)
    logs = ChangeLog.objects.filter(entity="declaration", entity_id=d.pk, action="update").order_by(
        "at", "id"
    )
    assert [log.changes["status"] for log in logs] == [["received", "verifying"], ["verifying", "dismissed"]]
    assert all(log.actor == officer for log in logs)
    html = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert '<span class="badge">未纳入</span>' in html
    assert "家庭年人均纯收入超过监测范围" in html
    # A closed declaration offers no more handling.
    assert "<h2>办理</h2>" not in html


def test_handling_out_of_scope_answers_404(client, people, declarations):
    client.force_login(people["village_officer"])
    url = reverse("declarations:status", args=[declarations["far"].pk])
    assert client.post(url, {"status": "verifying"}).status_code == 404
    assert Declaration.objects.get(pk=declarations["far"].pk).status == "received"


def test_a_late_declaration_follows_the_clock_of_its_alert_then_of_its_case(client, world, people):
    """No second set of deadlines (docs/domain.md §20): the alert's 核实期限 (橙: 7 days), then once 拟纳入 the
    case's 认定期限 (15 days from the first clue)."""
    from dixian.cases.models import Alert
    from dixian.monitoring.entry import case_register_and_open

    with time_machine.travel(dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC), tick=False):  # Monday
        d = declare(world.village)
    alert = Alert.objects.get(evidences__declaration=d)
    assert alert.due_date == dt.date(2026, 11, 9)
    client.force_login(people["village_officer"])
    with time_machine.travel(dt.datetime(2026, 11, 5, 2, 0, tzinfo=dt.UTC), tick=False):  # day 3
        html = client.get(reverse("declarations:list")).content.decode()
        assert "超期</span>" not in html
        html = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
        assert "预警核实期限" in html and "2026-11-09" in html and "受理期限" not in html
    with time_machine.travel(dt.datetime(2026, 11, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        assert "核实超期</span>" in client.get(reverse("declarations:list")).content.decode()
        case = case_register_and_open(
            actor=people["village_officer"],
            village=world.village,
            name=d.name,
            id_number=d.id_number,
            kind="ordinary",
            labour_skill="ordinary",
            origin="declaration",
            reason="入户了解属实",
            alerts=[alert],
        )
        assert case.due_on == dt.date(2026, 11, 17)
        html = client.get(reverse("declarations:list")).content.decode()
        assert "超期</span>" not in html
        html = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
        assert "监测认定期限" in html and "2026-11-17" in html
        assert reverse("monitoring:case_detail", args=[case.pk]) in html
        assert reverse("cases:alert_detail", args=[alert.pk]) in html
    with time_machine.travel(dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.UTC), tick=False):
        assert "认定超期</span>" in client.get(reverse("declarations:list")).content.decode()


def test_the_page_of_a_registered_household_links_it_only_within_scope(client, world, people):
    head = world.neighbour.members.get(relation="head")
    d = declare(world.village, id_number=head.id_number)  # declared in 良塘村, registered in 桃坪村
    client.force_login(people["township_reviewer"])
    html = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert reverse("registry:household_detail", args=[world.neighbour.pk]) in html
    client.force_login(people["village_officer"])
    html = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert world.neighbour.household_no not in html
    assert "其他村的登记农户" in html


def test_a_stranger_is_flagged_as_not_registered(client, world, people):
    d = declare(world.village)
    client.force_login(people["village_officer"])
    html = client.get(reverse("declarations:detail", args=[d.pk])).content.decode()
    assert "未在册" in html and "应纳未纳" in html
    assert "橙" in html  # the alert raised for the village


# ---- village QR codes and posters ---------------------------------------------------------------


def test_the_village_page_lists_the_subtree_villages_with_their_qr_codes(client, world, people):
    client.force_login(people["township_reviewer"])
    html = client.get(reverse("declarations:villages")).content.decode()
    assert "良塘村" in html and "桃坪村" in html and "城西村" not in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert f"http://testserver/declare/v/{world.village.code}/" in html
    client.force_login(people["village_officer"])
    html = client.get(reverse("declarations:villages")).content.decode()
    assert "良塘村" in html and "桃坪村" not in html


def test_the_village_page_runs_a_fixed_number_of_queries(client, world, people, django_assert_num_queries):
    from dixian.common.testing import region

    client.force_login(people["county_reviewer"])
    # session, user, the account's region (scope), count, the page of villages with their townships
    with django_assert_num_queries(5):
        client.get(reverse("declarations:villages"))
    for i in range(20):
        region(f"3604241002{30 + i:02d}", f"新村{i}", "village", world.township)
    with django_assert_num_queries(5):
        response = client.get(reverse("declarations:villages"))
    assert len(response.context["page"]) == 22


def test_qr_codes_download_as_png_and_svg_and_point_at_the_public_page(client, world, people, settings):
    settings.DIXIAN_PUBLIC_BASE_URL = "https://dixian.example.gov.cn"
    client.force_login(people["village_officer"])
    png = client.get(reverse("declarations:village_qr_png", args=[world.village.code]))
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "attachment" in png["Content-Disposition"]
    svg = client.get(reverse("declarations:village_qr_svg", args=[world.village.code]))
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<svg")
    html = client.get(reverse("declarations:villages")).content.decode()
    assert f"https://dixian.example.gov.cn/declare/v/{world.village.code}/" in html
    for name in ("village_qr_png", "village_qr_svg", "village_poster"):
        assert client.get(reverse(f"declarations:{name}", args=[world.other_village.code])).status_code == 404
        assert client.get(reverse(f"declarations:{name}", args=[world.township.code])).status_code == 404


def test_the_png_qr_code_holds_the_village_url(client, world, people, settings):
    import io

    import segno
    from PIL import Image

    settings.DIXIAN_PUBLIC_BASE_URL = "https://dixian.example.gov.cn"
    client.force_login(people["village_officer"])
    png = client.get(reverse("declarations:village_qr_png", args=[world.village.code])).content
    image = Image.open(io.BytesIO(png)).convert("L")
    # Read the modules back from the pixels (12 px per module, a 4-module quiet zone) and compare them with
    # the code of the village's public URL: the image a phone scans is that code, module for module.
    expected = segno.make(f"https://dixian.example.gov.cn/declare/v/{world.village.code}/", error="m")
    size = len(expected.matrix)
    assert image.size == ((size + 8) * 12, (size + 8) * 12)
    read = [
        [image.getpixel(((c + 4) * 12 + 6, (r + 4) * 12 + 6)) < 128 for c in range(size)] for r in range(size)
    ]
    assert read == [[bool(m) for m in row] for row in expected.matrix]


def test_the_poster_is_a_printable_a4_page_in_chinese(client, world, people):
    client.force_login(people["county_reviewer"])
    html = client.get(reverse("declarations:village_poster", args=[world.village.code])).content.decode()
    # The A4 page rule lives in the poster's stylesheet: the CSP allows no inline style (docs/security.md §7).
    assert "declarations/poster.css" in html
    stylesheet = finders.find("declarations/poster.css")
    assert isinstance(stylesheet, str) and "size: A4" in Path(stylesheet).read_text(encoding="utf-8")
    assert "12317" in html and "扫码申报" in html and world.village.full_name in html
    assert "<svg" in html
