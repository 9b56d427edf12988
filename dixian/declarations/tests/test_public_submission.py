"""The public page: a declaration is stored, matched to the registry and raises an alert; bad input is
refused field by field; the bot check is required; the answer never tells whether the ID is registered."""

from __future__ import annotations

import re
import socket

import pytest
from captcha.models import CaptchaStore
from django.urls import reverse

from dixian.cases.models import Alert, AlertEvidence
from dixian.common.models import ChangeLog
from dixian.declarations.models import Declaration
from dixian.declarations.validation import REFERENCE_ALPHABET

from .helpers import STRANGER_ID, declaration_post

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(rf"SB\d{{4}}-[{REFERENCE_ALPHABET}]{{6}}")


def submit(client, world, **overrides):
    return client.post(reverse("declare:form"), declaration_post(world.village.code, **overrides))


def test_a_registered_household_declaration_raises_an_orange_alert_for_its_household(
    client, world, captcha_test_mode
):
    head = world.home.members.get(relation="head")
    response = submit(client, world, id_number=head.id_number, name=head.name)
    assert response.status_code == 302
    assert response["Location"] == reverse("declare:done")
    declaration = Declaration.objects.get()
    assert REFERENCE.fullmatch(declaration.reference)
    assert declaration.household == world.home
    assert declaration.region_code == world.village.code
    assert declaration.status == Declaration.Status.RECEIVED
    alert = Alert.objects.get()
    assert (alert.household, alert.risk_code, alert.grade, alert.channels) == (
        world.home,
        "01",
        "橙",
        ["self_declared"],
    )
    assert alert.region_code == world.home.region_code
    assert alert.reason == f"农户自主申报:看病花费大 / 家人患病(申报编号 {declaration.reference})"
    assert AlertEvidence.objects.get().declaration == declaration
    log = ChangeLog.objects.get(entity="declaration")
    assert log.household_id == world.home.pk and declaration.reference in log.summary

    done = client.get(response["Location"])
    assert declaration.reference in done.content.decode()


def test_a_stranger_declaration_raises_an_alert_routed_to_the_village_named(client, world, captcha_test_mode):
    submit(client, world, village=world.other_village.code, difficulty="housing")
    declaration = Declaration.objects.get()
    assert declaration.household is None
    assert declaration.region_code == world.other_village.code
    alert = Alert.objects.get()
    assert alert.household is None
    assert alert.region == world.other_village and alert.region_code == world.other_village.code
    assert alert.subject_name == "赵六"
    assert alert.risk_code == "91" and alert.grade == "橙"
    assert declaration.reference in alert.reason


def test_a_second_declaration_of_the_same_household_and_risk_joins_the_open_alert(
    client, world, captcha_test_mode
):
    head, spouse = world.home.members.order_by("pk")
    submit(client, world, id_number=head.id_number)
    submit(client, world, id_number=spouse.id_number, phone="13700001111")
    assert Declaration.objects.count() == 2
    alert = Alert.objects.get()
    assert alert.evidence_count == 2


def test_id_number_is_normalised_like_the_registry_before_matching(client, world, captcha_test_mode):
    head = world.home.members.get(relation="head")
    messy = " ".join(head.id_number[i : i + 6] for i in range(0, 18, 6))
    full_width = messy.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    submit(client, world, id_number=full_width)
    assert Declaration.objects.get().id_number == head.id_number
    assert Declaration.objects.get().household == world.home


def test_the_qr_link_preselects_the_village(client, world):
    response = client.get(reverse("declare:village", args=[world.other_village.code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert world.other_village.full_name in html
    assert f'name="village" value="{world.other_village.code}"' in html
    assert client.get(reverse("declare:village", args=["360424999999"])).status_code == 404
    assert client.get(reverse("declare:village", args=[world.township.code])).status_code == 404


def test_the_region_picker_lists_townships_then_villages(client, world):
    html = client.get(reverse("declare:places"), {"county": world.county.code}).content.decode()
    assert "义宁镇" in html and "良塘村" not in html
    html = client.get(
        reverse("declare:places"), {"county": world.county.code, "township": world.township.code}
    ).content.decode()
    assert "良塘村" in html and "桃坪村" in html and "城西村" not in html
    # A township of another county is not taken with the wrong county.
    html = client.get(
        reverse("declare:places"), {"county": world.county.code, "township": "360428100000"}
    ).content.decode()
    assert "城西村" not in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "请填写申报人姓名"),
        ("name", "张", "姓名至少2个字"),
        ("name", "张3", "不能有数字或符号"),
        ("id_number", "", "请填写申报人的18位身份证号码"),
        ("id_number", "36042419850304077", "有17位"),
        ("id_number", STRANGER_ID[:-1] + ("0" if STRANGER_ID[-1] != "0" else "1"), "校验位不对"),
        ("phone", "", "请填写手机号码"),
        ("phone", "12912345678", "手机号码应为11位数字"),
        ("phone", "0792-1234567", "手机号码应为11位数字"),
        ("village", "", "请选择您所在的县、乡镇和村"),
        ("village", "360424100000", "请选择您所在的县、乡镇和村"),
        ("difficulty", "", "请选择遇到的困难类型"),
        ("difficulty", "rich", "请从列表中选择困难类型"),
        ("description", "没钱", "至少10个字"),
        ("description", "难" * 1001, "最多1000个字"),
        ("consent", None, "请勾选同意核查家庭经济状况"),
        ("captcha_1", "", "请填写图中算式的结果"),
    ],
)
def test_malformed_input_is_refused_with_a_chinese_message_next_to_the_field(
    client, world, captcha_test_mode, field, value, message
):
    response = submit(client, world, **{field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert Declaration.objects.count() == 0
    assert Alert.objects.count() == 0
    form = response.context["form"]
    key = "captcha" if field.startswith("captcha") else field
    assert any(message in e for e in form.errors[key]), form.errors


def captcha_answer(html: str) -> tuple[str, str]:
    key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', html)[1]
    return key, CaptchaStore.objects.get(hashkey=key).response


def test_a_wrong_captcha_is_refused_and_the_right_one_accepted(client, world):
    url = reverse("declare:village", args=[world.village.code])
    key, answer = captcha_answer(client.get(url).content.decode())
    wrong = str(int(answer) + 1)
    response = client.post(url, declaration_post(world.village.code, captcha_0=key, captcha_1=wrong))
    assert "验证码不对或已过期" in response.content.decode()
    assert Declaration.objects.count() == 0
    # The same key cannot be tried again (one attempt per image), even with the right answer.
    response = client.post(url, declaration_post(world.village.code, captcha_0=key, captcha_1=answer))
    assert Declaration.objects.count() == 0
    key, answer = captcha_answer(response.content.decode())
    response = client.post(url, declaration_post(world.village.code, captcha_0=key, captcha_1=answer))
    assert response.status_code == 302
    assert Declaration.objects.count() == 1


def test_the_captcha_image_is_drawn_locally(client, world, monkeypatch):
    real_connect = socket.socket.connect

    def local_only(sock, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"the bot check tried to reach {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", local_only)
    html = client.get(reverse("declare:form")).content.decode()
    src = re.search(r'<img src="([^"]+)" alt="验证码图片', html)[1]
    assert src.startswith("/captcha/image/")  # served by this site, no third-party service
    image = client.get(src)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(reverse("declare:captcha")).status_code == 200


def _answer_page(client, world, id_number: str) -> str:
    response = submit(client, world, id_number=id_number)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    reference = Declaration.objects.order_by("-pk").first().reference
    return page.replace(reference, "REF")


def test_the_answer_does_not_reveal_whether_the_id_number_is_registered(client, world, captcha_test_mode):
    registered = world.home.members.get(relation="head").id_number
    first = _answer_page(client, world, registered)
    client.cookies.clear()
    second = _answer_page(client, world, STRANGER_ID)
    token = re.compile(r"[A-Za-z0-9]{64}")  # CSRF tokens differ per response
    assert token.sub("", first) == token.sub("", second)
    assert Declaration.objects.filter(household__isnull=False).count() == 1
    assert Declaration.objects.filter(household__isnull=True).count() == 1
    # Refusals do not depend on it either: the same malformed phone gives the same page for both.
    pages = []
    for id_number in (registered, STRANGER_ID):
        html = submit(client, world, id_number=id_number, phone="123").content.decode()
        html = re.sub(r'name="captcha_0" value="[0-9a-f]+"|/captcha/image/[0-9a-f]+/', "", html)
        pages.append(token.sub("", html.replace(id_number, "ID")))
    assert pages[0] == pages[1]


def test_the_answer_takes_the_same_steps_whether_or_not_the_id_is_registered(
    client, world, captcha_test_mode
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for i, id_number in enumerate((world.home.members.get(relation="head").id_number, STRANGER_ID)):
        client.cookies.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = submit(client, world, id_number=id_number, difficulty=["illness", "housing"][i])
        assert response.status_code == 302
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_a_refused_form_keeps_the_region_picked(client, world, captcha_test_mode):
    data = declaration_post(world.other_village.code, phone="1")
    data.update(county=world.county.code, township=world.township.code)
    html = client.post(reverse("declare:form"), data).content.decode()
    assert f'<option value="{world.other_village.code}" selected>' in html
    assert f'<option value="{world.township.code}" selected>' in html


def test_the_done_page_without_a_declaration_leads_back_to_the_form(client, world):
    response = client.get(reverse("declare:done"))
    assert response.status_code == 302 and response["Location"] == reverse("declare:form")
