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


# --- docs/security.md §1: nothing beside a masked ID number gives back the digits it hides -------------


def test_without_the_right_a_birth_date_is_an_age():
    import datetime as dt

    born, today = dt.date(1970, 6, 15), dt.date(2026, 6, 14)
    assert m.birth_date_shown(born, pii=True, today=today) == "1970-06-15"
    assert m.birth_date_shown(born, pii=False, today=today) == "55岁"
    assert m.birth_date_shown(born, pii=False, today=dt.date(2026, 6, 15)) == "56岁"
    assert m.birth_date_shown(None, pii=False) == ""
    assert m.birth_date_value(born, pii=False, today=today) == 55
    assert m.birth_date_value(born, pii=True, today=today) == born


def test_a_free_text_keeps_only_the_year_of_a_full_date_and_masks_its_numbers():
    text = f"身份证{ID},电话{PHONE},生于1970年1月1日(1970-01-01, 1970/1/1, 1970.01.01, 19700101)"
    shown = m.text_shown(text, pii=False)
    assert shown == (
        "身份证360424********001X,电话138****1234,生于****年*月*日(1970-**-**, 1970/**/**, 1970.**.**, 1970****)"
    )
    assert m.text_shown(text, pii=True) == text
    # After a word for birth even a date without its year is hidden: beside the age it is the birth date.
    assert m.text_shown("生日3月5日,3月6日入户", pii=False) == "生日*月*日,3月6日入户"
    # A mistyped ID number (17 digits) and a bank account in a note are masked from their own ends.
    assert m.text_shown("36042419700101001 和 6217001234567890123", pii=False) == (
        "360424*********** 和 6217***********0123"
    )


@given(
    st.dates(),
    st.sampled_from(["{d:%Y%m%d}", "{d:%Y-%m-%d}", "{d.year}年{d.month}月{d.day}日", "{d:%Y/%m/%d}"]),
)
def test_no_spelling_of_a_date_survives_in_a_masked_text(day, spelling):
    written = spelling.format(d=day)
    if day.year < 1900 or day.year > 2099:
        return  # four-digit years of the 20th and 21st centuries: the birth dates of living persons
    assert f"{day.month:02d}{day.day:02d}" not in m.text_shown(f"出生{written}。", pii=False).replace(
        str(day.year), ""
    )


def test_a_department_records_cells_follow_the_rule_of_their_kind():
    import datetime as dt

    today = dt.date(2026, 1, 1)
    assert m.feed_value_shown("birth_date", "date", dt.date(1970, 1, 1), pii=False, today=today) == "56岁"
    assert m.feed_value_shown("birth_date", "date", dt.date(1970, 1, 1), pii=True) == "1970-01-01"
    assert m.feed_value_shown("summary", "text", f"我叫张三{ID}", pii=False) == m.PRIVATE_SHOWN
    assert m.feed_value_shown("employer", "text", f"电话{PHONE}", pii=False) == "电话138****1234"
    assert m.feed_value_shown("id_number", "id", ID, pii=False) == "360424********001X"
    assert m.feed_value_shown("visit_date", "date", dt.date(2026, 3, 5), pii=False) == "2026-03-05"


def test_the_history_shows_a_changed_birth_date_as_its_year():
    assert m.field_masked("birth_date", "1970-01-01", pii=False) == "1970年"
    assert m.field_masked("birth_date", "1970-01-01", pii=True) is None


@given(st.text(alphabet="0123456789", min_size=11, max_size=17))
def test_a_masked_id_number_of_any_length_never_shows_a_birth_date_digit(digits):
    shown = m.mask_id_number(digits)
    assert len(shown) == len(digits) and shown[:6] == digits[:6]
    birth = slice(6, 12) if len(digits) == 15 else slice(6, 14)  # YYMMDD of an old number, else YYYYMMDD
    assert set(shown[birth]) <= {"*"}
    # What stays visible after the region is never a character of the birth date, wherever a digit is lost.
    assert set(shown[6 : len(digits) - (3 if len(digits) == 15 else 0)]) <= {"*"}


def test_two_birth_dates_are_compared_without_showing_either():
    import datetime as dt

    a, b = dt.date(1970, 1, 1), dt.date(1970, 1, 4)
    assert m.birth_dates_compared(a, b, pii=False) == "出生日期相差 3 天"
    assert m.birth_dates_compared(a, a, pii=False) == "出生日期一致"
    assert m.birth_dates_compared(a, None, pii=False) == "" and m.birth_dates_compared(a, b, pii=True) == ""
    assert m.birth_date_label(pii=False) == "年龄(周岁)" and m.birth_date_label(pii=True) == "出生日期"
