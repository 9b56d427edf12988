"""The downloadable template workbook of a feed: the agreed Chinese headers, and a sheet explaining them."""

from __future__ import annotations

from typing import Any

import xlsxwriter

from dixian.domain import catalogue as cat

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
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    head = wb.add_format(
        {"bold": True, "bg_color": "#F0F2F4", "border": 1, "text_wrap": True, "valign": "vcenter"}
    )
    required = wb.add_format(
        {"bold": True, "bg_color": "#FDE2E1", "border": 1, "text_wrap": True, "valign": "vcenter"}
    )
    text_format = wb.add_format({"num_format": "@"})
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    money_format = wb.add_format({"num_format": "0.00"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet(spec.name[:31])
    ws.set_row(0, 32)
    ws.freeze_panes(1, 0)
    for j, col in enumerate(spec.columns):
        fmt = {cat.DATE: date_format, cat.MONEY: money_format}.get(col.type, text_format)
        if col.type == cat.INT:
            fmt = None
        ws.set_column(j, j, 22 if col.type == cat.ID else max(10, len(col.header) * 2 + 4), fmt)
        ws.write_string(0, j, col.header, required if col.required else head)
        ws.write_comment(0, j, column_note(col), {"x_scale": 2.5, "y_scale": 2})
        if col.choices:
            ws.data_validation(
                1,
                j,
                100_000,
                j,
                {
                    "validate": "list",
                    "source": list(col.choices),
                    "error_title": col.header,
                    "error_message": f"可填:{'、'.join(col.choices)}",
                },
            )
    notes = wb.add_worksheet(HELP_SHEET)
    titles = ("表头", "字段名(接口)", "类型", "必填", "可填的值", "含义与要求", "也接受的表头")
    widths = (16, 22, 12, 6, 30, 70, 40)
    for j, (title, width) in enumerate(zip(titles, widths, strict=True)):
        notes.set_column(j, j, width, wrap)
        notes.write_string(0, j, title, head)
    notes.freeze_panes(1, 0)
    for i, col in enumerate(spec.columns, start=1):
        meaning = "。".join(filter(None, [col.meaning, TYPE_NOTES.get(col.type, "")]))
        cells = (
            col.header,
            col.field,
            TYPE_LABELS[col.type],
            "是" if col.required else "否",
            "、".join(col.choices),
            meaning,
            "、".join(col.aliases),
        )
        for j, value in enumerate(cells):
            notes.write_string(i, j, value, wrap)
    tail = len(spec.columns) + 2
    lines = (
        f"本表为{spec.department}报送“{spec.name}”({spec.meaning})所用的模板。",
        "在第一个工作表中每条记录填一行;表头顺序可以调换,红色表头为必填列,不要增加其他列(“序号”列除外)。",
        "记录键:"
        + "、".join(spec.column(f).header for f in spec.record_key)
        + "。同一记录重复报送只计一次;记录键相同而内容不同的两行会被拒收。",
        "只要有一行有错误,整份文件都不会接收,系统会给出带“错误原因”列的错误报告,改正后重新上传即可。",
        "同一文件重复上传不会重复接收。也可以用接口推送,见平台的“接口文档”页面。",
    )
    for k, line in enumerate(lines):
        notes.write_string(tail + k, 0, line)
    wb.close()
