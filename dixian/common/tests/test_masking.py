"""dixian.common.masking: one function per kind of personal value, each deciding by the viewer's right."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from dixian.common import masking as m

pytestmark = pytest.mark.django_db

ID = "36042419700101001X"
PHONE = "13800001234"
CARD = "6217 0012 3456 7890 123"


def test_with_the_right_every_value_is_shown_whole():
    assert m.id_number_shown(ID, pii=True) == ID
    assert m.phone_shown(PHONE, pii=True) == PHONE
    assert m.bank_account_shown(CARD, pii=True) == CARD
    assert m.health_shown("残疾", pii=True) == "残疾"
    assert m.text_shown(f"证件号码{ID}重复", pii=True) == f"证件号码{ID}重复"


def test_without_it_each_kind_keeps_only_what_identifies_nobody():
    assert m.id_number_shown(ID, pii=False) == "360424********001X"
    assert m.phone_shown(PHONE, pii=False) == "138****1234"
    assert m.bank_account_shown(CARD, pii=False) == "6217***********0123"
    assert m.health_shown("残疾", pii=False) == m.HIDDEN
    assert (
        m.text_shown(f"证件号码{ID},电话{PHONE}", pii=False) == "证件号码360424********001X,电话138****1234"
    )


def test_nothing_stays_nothing():
    for shown in (m.id_number_shown, m.phone_shown, m.bank_account_shown, m.text_shown):
        assert shown("", pii=False) == "" and shown(None, pii=False) == ""


def test_short_values_are_masked_too():
    assert m.phone_shown("12345", pii=False) == "*****"
    assert m.bank_account_shown("1234", pii=False) == "****"
    assert m.bank_account_shown("12345678", pii=False) == "****5678"


@given(st.text(alphabet="0123456789", min_size=9, max_size=30))
def test_a_masked_bank_account_never_shows_its_middle(digits):
    shown = m.bank_account_shown(digits, pii=False)
    assert len(shown) == len(digits) and shown[4:-4] == "*" * (len(digits) - 8)


def test_health_feeds_are_hidden_whole_without_the_right():
    assert m.health_feed_hidden("medical", pii=False) and not m.health_feed_hidden("medical", pii=True)
    assert not m.health_feed_hidden("pension", pii=False)


def test_a_registry_field_is_masked_by_the_kind_of_data_it_holds():
    assert m.field_masked("id_number", ID, pii=False) == "360424********001X"
    assert m.field_masked("phone", PHONE, pii=False) == "138****1234"
    assert m.field_masked("disability_grade", 2, pii=False) == m.HIDDEN
    assert m.field_masked("head_name", "张三", pii=False) is None  # not personal data of a special kind
    assert m.field_masked("phone", "", pii=False) is None  # an empty value shows as empty
    assert m.field_masked("phone", PHONE, pii=True) is None


def test_template_filters_take_the_viewing_user(people):
    template = Template(
        "{% load access %}{{ id|id_number_for:user }} {{ phone|phone_for:user }} {{ h|health_for:user }} "
        "{{ card|bank_account_for:user }} {{ note|text_for:user }}"
    )
    values = {"id": ID, "phone": PHONE, "h": "残疾", "card": "6217001234567890", "note": f"电话{PHONE}"}
    shown = template.render(Context({**values, "user": people["village_officer"]}))
    assert shown == f"360424********001X 138****1234 {m.HIDDEN} 6217********7890 电话138****1234"
    whole = template.render(Context({**values, "user": people["city_admin"]}))  # holds the PII grant
    assert whole == f"{ID} {PHONE} 残疾 6217001234567890 电话{PHONE}"
