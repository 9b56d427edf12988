"""The city administrator's page for the code table: upload, read the dry run, confirm (docs/domain.md §19)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dixian.common.models import ChangeLog
from dixian.regions.models import Region

from .region_tables import table, write_csv, write_xlsx

pytestmark = pytest.mark.django_db
URL = "registry:regions_import"


def _upload(client, path, name=None):
    return client.post(reverse(URL), {"file": SimpleUploadedFile(name or path.name, path.read_bytes())})


@pytest.mark.parametrize(
    "persona",
    ["county_admin", "county_reviewer", "village_officer", "leader", "department_uploader", "helper"],
)
def test_only_the_city_administrator_may_load_the_table(client, people, persona, tmp_path):
    client.force_login(people[persona])
    assert client.get(reverse(URL)).status_code == 403
    assert _upload(client, write_xlsx(tmp_path / "t.xlsx", table())).status_code == 403
    assert not Region.objects.filter(code="360424101000").exists()
    assert "区划代码</a>" not in client.get(reverse("registry:household_list")).content.decode()


def test_dry_run_then_confirm(client, people, world, tmp_path):
    client.force_login(people["city_admin"])
    page = client.get(reverse(URL)).content.decode()
    assert "上传并预览" in page
    assert "区划代码</a>" in page  # the menu entry
    path = write_xlsx(
        tmp_path / "江西省.xlsx", table(renamed={"360424100202": "桃坪社区"}, without=("360428100201",))
    )
    preview = _upload(client, path).content.decode()
    assert "预览(尚未写入)" in preview and "确认导入" in preview
    assert "新增 3 个,更名 1 个,撤销 1 个" in preview
    assert "撤销但仍有农户的区划" in preview and "九江市都昌县都昌镇城西村" in preview
    # Each count links to the household list of that unit, where the households can be found and moved.
    link = f'{reverse("registry:household_list")}?region={world.far_village.pk}">1 户</a>'
    assert link in preview
    listed = client.get(reverse("registry:household_list"), {"region": world.far_village.pk})
    assert [h.pk for h in listed.context["page"].rows] == [world.far.pk]
    assert not Region.objects.filter(code="360424101000").exists()  # nothing written yet

    done = client.post(reverse(URL), {"action": "apply"}, follow=True).content.decode()
    assert "导入结果" in done and "代码表已导入" in done
    assert Region.objects.get(code="360424100202").name == "桃坪社区"
    assert Region.objects.get(code="360428100201").is_retired
    log = ChangeLog.objects.get(entity="region", changes__name=["桃坪村", "桃坪社区"])
    assert log.actor == people["city_admin"]
    # The upload is consumed: confirming again has nothing to apply.
    again = client.post(reverse(URL), {"action": "apply"}, follow=True).content.decode()
    assert "没有待确认的代码表" in again


def test_a_table_already_loaded_offers_nothing_to_confirm(client, people, world, tmp_path):
    client.force_login(people["city_admin"])
    path = write_csv(tmp_path / "t.csv", table())
    _upload(client, path)
    client.post(reverse(URL), {"action": "apply"})
    preview = _upload(client, path).content.decode()
    assert "无需导入" in preview and "确认导入" not in preview


def test_a_tree_changed_after_the_preview_is_not_applied(client, people, world, tmp_path):
    client.force_login(people["city_admin"])
    _upload(client, write_xlsx(tmp_path / "t.xlsx", table()))
    Region.objects.filter(code="360424100201").update(name="别人改的名字")
    page = client.post(reverse(URL), {"action": "apply"}, follow=True).content.decode()
    assert "预览之后系统中的区划已有变动" in page
    assert not Region.objects.filter(code="360424101000").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("区划.pdf", b"%PDF-1.4", "不是 .xlsx、.xls 或 .csv 文件"),
        ("区划.csv", "编号,户主\n1,张三\n".encode("gbk"), "找不到代码表的表头"),
        ("区划.xlsx", b"PK\x03\x04 not really a zip", "无法"),
        ("区划.csv", "统计用区划代码,名称\n360100000000,南昌市\n".encode(), "文件中没有本市的区划代码"),
    ],
)
def test_a_bad_file_gets_a_chinese_message_and_changes_nothing(client, people, world, name, content, message):
    client.force_login(people["city_admin"])
    before = Region.objects.count()
    response = client.post(reverse(URL), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Region.objects.count() == before


def test_a_table_with_errors_is_shown_and_cannot_be_confirmed(client, people, world, tmp_path):
    client.force_login(people["city_admin"])
    rows = [*table(), ("360424109201", "220", "无乡镇村")]
    page = _upload(client, write_csv(tmp_path / "t.csv", rows)).content.decode()
    assert "代码表有错误,不能导入" in page and "上级区划 360424109000 不在表中" in page
    assert "确认导入" not in page
    assert (
        "没有待确认的代码表" in client.post(reverse(URL), {"action": "apply"}, follow=True).content.decode()
    )


def test_an_upload_never_confirmed_is_removed_a_day_later(client, people, world, tmp_path, settings):
    import os
    import time
    from pathlib import Path

    client.force_login(people["city_admin"])
    _upload(client, write_xlsx(tmp_path / "t.xlsx", table()))
    folder = Path(settings.DATA_DIR) / "region_tables"
    (left,) = list(folder.iterdir())
    day_ago = time.time() - 25 * 3600
    os.utime(left, (day_ago, day_ago))
    client.logout()
    client.force_login(people["city_admin"])
    _upload(client, write_xlsx(tmp_path / "t.xlsx", table()))
    assert not left.exists() and len(list(folder.iterdir())) == 1
