"""R03 major illness, R04 severe disability, R05 低保/特困 granted, R06 dropout, R07 school fees,
R10 death of a labourer, R11 every labourer jobless."""

from __future__ import annotations

from datetime import date

from dixian.screening.engine.core import PRIVATE_CLOSE as C
from dixian.screening.engine.core import PRIVATE_OPEN as O

from .data import World, feed
from .helpers import alerts, evidence_of, run


def test_r03_fires_for_a_case_diagnosed_in_the_window_and_not_for_an_old_one() -> None:
    w = World()
    new, old = w.household("NEW"), w.household("OLD")
    a, b = w.person(new, "甲"), w.person(old, "乙")
    rows = [
        {
            "name": "甲",
            "id_number": a,
            "disease": "恶性肿瘤",
            "diagnosis_date": date(2026, 8, 1),
        },  # window: Aug–Oct
        {"name": "乙", "id_number": b, "disease": "白血病", "diagnosis_date": date(2026, 7, 31)},
    ]
    result = run(w.registry(), {"major_illness": feed("major_illness", rows)}, only="R03")
    found = alerts(result)
    assert set(found) == {("NEW", "01")}
    assert found[("NEW", "01")]["grade"] == "橙"
    assert (
        found[("NEW", "01")]["reason"]
        == f"2026年8月1日甲确诊大病专项救治病种“{O}恶性肿瘤{C}”(规则 R03 第1版)"
    )


def _certificate(no: str, pid: str, grade: str, change: str | None = "新办") -> dict:
    return {
        "certificate_no": no,
        "name": "某",
        "id_number": pid,
        "disability_category": "肢体",
        "disability_grade": grade,
        "issue_date": date(2026, 9, 1),
        "change_type": change,
    }


def test_r04_red_for_the_only_labourer_orange_otherwise_nothing_for_grade_three_or_renewal() -> None:
    w = World()
    only = w.household("ONLY")
    a = w.person(only, "甲")
    w.person(only, "甲母", labour="lost")
    two = w.household("TWO")
    b = w.person(two, "乙")
    w.person(two, "乙妻")
    three = w.household("THREE")
    c = w.person(three, "丙")
    renew = w.household("RENEW")
    d = w.person(renew, "丁")
    rows = [
        _certificate("C1", a, "一级"),
        _certificate("C2", b, "二级"),
        _certificate("C3", c, "三级"),
        _certificate("C4", d, "一级", "换领"),
    ]
    found = alerts(run(w.registry(), {"disability": feed("disability", rows)}, only="R04"))
    assert {k: v["grade"] for k, v in found.items()} == {("ONLY", "03"): "红", ("TWO", "03"): "橙"}
    assert (
        found[("ONLY", "03")]["reason"]
        == f"2026年9月1日甲新办{O}一级{C}{O}肢体{C}残疾人证,系家庭唯一劳动力(规则 R04 第1版)"
    )
    assert found[("TWO", "03")]["reason"] == f"2026年9月1日乙新办{O}二级{C}{O}肢体{C}残疾人证(规则 R04 第1版)"


def test_r05_fires_for_dibao_or_tekun_newly_granted_to_an_unmonitored_household_only() -> None:
    w = World()
    plain, monitored, temp, stop = (
        w.household("PLAIN"),
        w.household("MON", monitoring="edge"),
        w.household("TEMP"),
        w.household("STOP"),
    )
    ids = [w.person(h, n) for h, n in ((plain, "甲"), (monitored, "乙"), (temp, "丙"), (stop, "丁"))]
    rows = [
        {
            "name": "甲",
            "id_number": ids[0],
            "assistance_type": "特困",
            "change_type": "新增",
            "effective_date": date(2026, 10, 1),
        },
        {
            "name": "乙",
            "id_number": ids[1],
            "assistance_type": "低保",
            "change_type": "新增",
            "effective_date": date(2026, 10, 1),
        },
        {
            "name": "丙",
            "id_number": ids[2],
            "assistance_type": "临时救助",
            "change_type": "新增",
            "effective_date": date(2026, 10, 1),
        },
        {
            "name": "丁",
            "id_number": ids[3],
            "assistance_type": "低保",
            "change_type": "停发",
            "effective_date": date(2026, 10, 1),
        },
    ]
    found = alerts(run(w.registry(), {"assistance": feed("assistance", rows)}, only="R05"))
    assert set(found) == {("PLAIN", "99")}
    assert found[("PLAIN", "99")]["grade"] == "黄"
    assert (
        found[("PLAIN", "99")]["reason"] == "2026年10月1日甲新纳入特困(综合保障),尚非监测对象(规则 R05 第1版)"
    )


def test_r06_fires_for_dropouts_aged_6_to_15_on_the_status_date() -> None:
    w = World()
    h = w.household("H1")
    w.person(h, "父")
    status_day = date(2026, 9, 1)
    born = {
        "六岁": date(2020, 9, 1),  # 6 that day
        "未满六岁": date(2020, 9, 2),
        "十五岁": date(2010, 9, 2),  # 15 until tomorrow
        "十六岁": date(2010, 9, 1),
    }
    ids = {n: w.person(h, n, birth=b, labour="none", relation="son") for n, b in born.items()}
    rows = [
        {"name": n, "id_number": pid, "stage": "小学", "enrolment_status": "辍学", "status_date": status_day}
        for n, pid in ids.items()
    ]
    result = run(w.registry(), {"education": feed("education", rows)}, only="R06")
    fired = sorted(e["id_number"] for e in evidence_of(result, "R06"))
    assert fired == sorted([ids["六岁"], ids["十五岁"]])
    assert alerts(result)[("H1", "09")]["grade"] == "红"


def test_r07_fires_above_10000_not_at_10000() -> None:
    w = World()
    h = w.household("H1")
    a, b = w.person(h, "甲", labour="none"), w.person(h, "乙", labour="none")
    rows = [
        {
            "name": "甲",
            "id_number": a,
            "stage": "高中",
            "enrolment_status": "在读",
            "status_date": date(2026, 3, 1),
            "fees": 10000.01,
        },
        {
            "name": "乙",
            "id_number": b,
            "stage": "中职",
            "enrolment_status": "在读",
            "status_date": date(2026, 3, 1),
            "fees": 10000,
        },
    ]
    result = run(w.registry(), {"education": feed("education", rows)}, only="R07")
    [ev] = evidence_of(result, "R07")
    assert ev["id_number"] == a
    assert ev["reason"] == "甲(高中)学年自付费用 10,000.01 元,超过 10,000 元(规则 R07 第1版)"


def test_r10_death_of_a_working_age_labourer_is_red_when_nobody_can_work_any_more() -> None:
    w = World()
    alone = w.household("ALONE")
    a = w.person(alone, "甲", birth=date(1970, 1, 1))
    w.person(alone, "甲母", birth=date(1945, 1, 1), labour="lost")
    pair = w.household("PAIR")
    b = w.person(pair, "乙", birth=date(1966, 10, 2))  # 60 on the day of death
    w.person(pair, "乙妻", birth=date(1968, 1, 1))
    old = w.household("OLD")
    c = w.person(old, "丙", birth=date(1965, 1, 1))  # 61: not working age
    w.person(old, "丙子", birth=date(1990, 1, 1))
    sick = w.household("SICK")
    d = w.person(sick, "丁", birth=date(1980, 1, 1), labour="lost")
    w.person(sick, "丁妻", birth=date(1980, 1, 1))
    rows = [
        {"name": n, "id_number": pid, "change_type": "死亡", "change_date": date(2026, 10, 2)}
        for n, pid in (("甲", a), ("乙", b), ("丙", c), ("丁", d))
    ]
    found = alerts(run(w.registry(), {"civil_registry": feed("civil_registry", rows)}, only="R10"))
    assert {k: v["grade"] for k, v in found.items()} == {("ALONE", "04"): "红", ("PAIR", "04"): "橙"}
    assert (
        found[("ALONE", "04")]["reason"]
        == "2026年10月2日甲(56岁,有劳动能力)死亡,家中已无劳动力(规则 R10 第1版)"
    )


def test_r11_fires_only_when_every_labourer_lost_work_and_none_found_it_again() -> None:
    w = World()
    both = w.household("BOTH")
    a1, a2 = w.person(both, "甲一"), w.person(both, "甲二")
    w.person(both, "甲母", labour="none")
    half = w.household("HALF")
    b1 = w.person(half, "乙一")
    w.person(half, "乙二")
    back = w.household("BACK")
    c1 = w.person(back, "丙一")
    rows = [
        {"name": "甲一", "id_number": a1, "event_type": "失业登记", "event_date": date(2026, 8, 3)},
        {"name": "甲二", "id_number": a2, "event_type": "社保断缴", "event_date": date(2026, 10, 3)},
        {"name": "乙一", "id_number": b1, "event_type": "失业登记", "event_date": date(2026, 9, 3)},
        {"name": "丙一", "id_number": c1, "event_type": "失业登记", "event_date": date(2026, 8, 3)},
        {"name": "丙一", "id_number": c1, "event_type": "就业登记", "event_date": date(2026, 9, 20)},
    ]
    found = alerts(run(w.registry(), {"employment": feed("employment", rows)}, only="R11"))
    assert set(found) == {("BOTH", "07")}
    alert = found[("BOTH", "07")]
    assert alert["grade"] == "橙"
    assert len(alert["evidence"][0]["record_keys"]) == 2
    assert (
        alert["reason"]
        == "2026年8-10月家庭全部 2 名劳动力(甲一、甲二)均有失业登记或社保断缴记录(规则 R11 第1版)"
    )
