"""The downloadable template workbook of a feed: the agreed Chinese headers, and a sheet explaining them."""

from __future__ import annotations

from typing import Any

from dixian.common.spreadsheets import TemplateBook, TemplateColumn

from . import catalogue as cat

TYPE_LABELS = {
    cat.TEXT: "文字",
    cat.ID: "证件号码",
    cat.DATE: "日期",
    cat.MONEY: "金额(元)",
    cat.INT: "整数",
    cat.CHOICE: "选项",
}
TYPE_NOTES = {
    cat.ID: "18位身份证号(末位可为X)或老的15位号码;请把该列设为文本格式,否则表格软件会把号码存成 3.60424E+17 并丢失末尾数字。号码不详时留空",
    cat.DATE: "如 2026-03-05、2026/3/5、2026年3月5日、20260305,或 Excel 日期格式;不能晚于今天,不能早于1900年",
    cat.MONEY: "单位为元,最多两位小数,不能为负数,可带千分位逗号",
    cat.INT: "不带小数的整数",
}
HELP_SHEET = "字段说明"


def column_note(col: cat.FeedColumn) -> str:
    parts = ["必填。" if col.required else "选填。"]
    if col.choices:
        parts.append(f"可填:{'、'.join(col.choices)}。")
    if col.type in TYPE_NOTES:
        parts.append(TYPE_NOTES[col.type] + "。")
    if col.meaning:
        parts.append(col.meaning + "。")
    if col.aliases:
        parts.append(f"表头也可写作:{'、'.join(col.aliases)}。")
    return "".join(parts)


def template_workbook(spec: cat.Feed, out: Any) -> None:
    book = TemplateBook(out)
    book.input_sheet(
        spec.name,
        [
            TemplateColumn(
                header=col.header,
                width=22 if col.type == cat.ID else max(10, len(col.header) * 2 + 4),
                required=col.required,
                note=column_note(col),
                kind={cat.DATE: "date", cat.MONEY: "money", cat.INT: None}.get(col.type, "text"),
                choices=tuple(col.choices),
            )
            for col in spec.columns
        ],
        comment_scale=(2.5, 2),
    )
    lines = (
        f"本表为{spec.department}报送“{spec.name}”({spec.meaning})所用的模板。",
        "在第一个工作表中每条记录填一行;表头顺序可以调换,红色表头为必填列,不要增加其他列(“序号”列除外)。",
        "记录键:"
        + "、".join(spec.column(f).header for f in spec.record_key)
        + "。同一记录重复报送只计一次;记录键相同而内容不同的两行会被拒收。",
        "只要有一行有错误,整份文件都不会接收,系统会给出带“错误原因”列的错误报告,改正后重新上传即可。",
        "同一文件重复上传不会重复接收。也可以用接口推送,见平台的“接口文档”页面。",
    )
    book.notes_sheet(
        HELP_SHEET,
        list(
            zip(
                ("表头", "字段名(接口)", "类型", "必填", "可填的值", "含义与要求", "也接受的表头"),
                (16, 22, 12, 6, 30, 70, 40),
                strict=True,
            )
        ),
        [
            (
                col.header,
                col.field,
                TYPE_LABELS[col.type],
                "是" if col.required else "否",
                "、".join(col.choices),
                "。".join(filter(None, [col.meaning, TYPE_NOTES.get(col.type, "")])),
                "、".join(col.aliases),
            )
            for col in spec.columns
        ],
        then=[(line,) for line in lines],
    )
    book.close()
