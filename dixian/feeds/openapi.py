"""The push API's OpenAPI 3.1 document, generated from the feed catalogue (one row schema per feed)."""

from __future__ import annotations

from typing import Any

from dixian.domain import catalogue as cat

from .workbooks import TYPE_LABELS, TYPE_NOTES

MAX_ROWS = 50_000
# Row errors a 422 lists (error_count says how many there are; the error report on the web page has them all).
MAX_ERRORS_LISTED = 1_000
API_PREFIX = "/api/v1"


def _value_schema(col: cat.FeedColumn) -> dict[str, Any]:
    note = "。".join(
        filter(
            None,
            [col.meaning, TYPE_NOTES.get(col.type, ""), f"也接受的键:{'、'.join((col.field, *col.aliases))}"],
        )
    )
    description = f"{col.header}({TYPE_LABELS[col.type]}{',必填' if col.required else ''})。{note}"
    schema: dict[str, Any]
    if col.type == cat.CHOICE:
        schema = {"type": ["string", "null"], "enum": [*col.choices, None]}
    elif col.type == cat.DATE:
        schema = {
            "type": ["string", "integer", "null"],
            "examples": ["2026-03-05", "2026年3月5日", "20260305"],
        }
    elif col.type == cat.MONEY:
        schema = {"type": ["number", "string", "null"], "minimum": 0, "examples": [1200.5, "1,200.50"]}
    elif col.type == cat.INT:
        schema = {"type": ["integer", "string", "null"], "minimum": 0}
    elif col.type == cat.ID:
        schema = {"type": ["string", "null"], "examples": ["36042419700101001X"]}
    else:
        schema = {"type": ["string", "null"]}
    return {**schema, "title": col.header, "description": description}


def row_schema_name(code: str) -> str:
    return f"Row_{code}"


def row_schema(spec: cat.Feed) -> dict[str, Any]:
    return {
        "type": "object",
        "title": f"{spec.department} · {spec.name}",
        "description": (
            f"{spec.meaning}。一行一条记录,键为下列中文表头(也接受字段名和别名),顺序不限。"
            f"记录键:{'、'.join(spec.column(f).header for f in spec.record_key)}。"
        ),
        "properties": {c.header: _value_schema(c) for c in spec.columns},
        "required": [c.header for c in spec.columns if c.required],
        "additionalProperties": False,
    }


ERROR_RESPONSES = {
    "400": ("请求体不是合法的 JSON,或缺少 period / rows", "Errors"),
    "401": ("缺少令牌、令牌错误或已停用", "Errors"),
    "403": ("令牌所属账号不是部门数据员或县、市级管理员", "Errors"),
    "404": ("没有这种数据类型", "Errors"),
    "413": (f"一批超过 {MAX_ROWS} 行,请分批推送", "Errors"),
    "422": (
        f"有行错误(或列名不对):整批未接收,errors 列出每一处错误(最多前 {MAX_ERRORS_LISTED:,} 处,error_count 为总数)",
        "Errors",
    ),
}


def _responses(codes: tuple[str, ...]) -> dict[str, Any]:
    return {
        code: {
            "description": ERROR_RESPONSES[code][0],
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_RESPONSES[code][1]}"}}
            },
        }
        for code in codes
    }


def document() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Delivery": {
            "type": "object",
            "title": "一次报送",
            "properties": {
                "id": {"type": "integer", "description": "报送编号"},
                "feed": {"type": "string", "enum": [f.code for f in cat.FEEDS], "description": "数据类型"},
                "period": {
                    "type": "string",
                    "pattern": r"^\d{4}-(0[1-9]|1[0-2])$",
                    "description": "数据期间(年-月)",
                },
                "channel": {
                    "type": "string",
                    "enum": ["upload", "api", "generated"],
                    "description": "报送方式",
                },
                "status": {
                    "type": "string",
                    "enum": ["pending", "rejected", "accepted", "screened"],
                    "description": "状态:rejected 已拒收,accepted 已接收,screened 已筛查",
                },
                "status_label": {"type": "string", "description": "状态的中文名"},
                "row_count": {"type": "integer", "description": "接收的记录数(完全相同的行只计一次)"},
                "error_count": {"type": "integer", "description": "错误数"},
                "checksum": {"type": "string", "description": "内容的 SHA-256"},
                "message": {"type": "string", "description": "说明"},
                "created_at": {"type": "string", "format": "date-time", "description": "接收时间"},
                "screened_at": {"type": ["string", "null"], "format": "date-time", "description": "筛查时间"},
            },
            "required": ["id", "feed", "period", "status", "row_count", "error_count", "checksum"],
        },
        "DeliveryEnvelope": {
            "type": "object",
            "properties": {"delivery": {"$ref": "#/components/schemas/Delivery"}},
            "required": ["delivery"],
        },
        "Error": {
            "type": "object",
            "title": "一处错误",
            "properties": {
                "row": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "description": "rows 中的行号(从 1 起);整批的问题为 null",
                },
                "column": {"type": "string", "description": "出错的键(整行或整批的问题为空)"},
                "message": {"type": "string", "description": "错误原因与改正方法(中文)"},
            },
            "required": ["row", "column", "message"],
        },
        "Errors": {
            "type": "object",
            "properties": {
                "message": {"type": "string", "description": "总的说明"},
                "error_count": {
                    "type": "integer",
                    "description": f"错误总数(errors 最多列出前 {MAX_ERRORS_LISTED:,} 处)",
                },
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}},
                "delivery": {"$ref": "#/components/schemas/Delivery"},
            },
            "required": ["errors"],
        },
        "Catalogue": {
            "type": "object",
            "properties": {
                "feeds": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string"},
                            "department": {"type": "string"},
                            "name": {"type": "string"},
                            "meaning": {"type": "string"},
                            "record_key": {"type": "array", "items": {"type": "string"}},
                            "columns": {"type": "array", "items": {"type": "object"}},
                        },
                    },
                }
            },
        },
    }
    paths: dict[str, Any] = {}
    for spec in cat.FEEDS:
        name = row_schema_name(spec.code)
        schemas[name] = row_schema(spec)
        paths[f"{API_PREFIX}/feeds/{spec.code}/deliveries"] = {
            "post": {
                "operationId": f"deliver_{spec.code}",
                "tags": ["报送"],
                "summary": f"推送{spec.department}“{spec.name}”数据",
                "description": (
                    f"{spec.meaning}。一批最多 {MAX_ROWS} 行;整批校验,有一处错误整批不接收。"
                    "同一批内容再次推送返回已接收的报送(200),不会重复接收。接收后立即进入筛查。"
                ),
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "period": {
                                        "type": "string",
                                        "pattern": r"^\d{4}-(0[1-9]|1[0-2])$",
                                        "description": "数据期间,如 2026-10",
                                    },
                                    "rows": {
                                        "type": "array",
                                        "maxItems": MAX_ROWS,
                                        "minItems": 1,
                                        "items": {"$ref": f"#/components/schemas/{name}"},
                                    },
                                },
                                "required": ["period", "rows"],
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "已接收(新的报送)",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/DeliveryEnvelope"}}
                        },
                    },
                    "200": {
                        "description": "相同内容已接收过,返回原来的报送,没有任何变化",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/DeliveryEnvelope"}}
                        },
                    },
                    **_responses(("400", "401", "403", "404", "413", "422")),
                },
            }
        }
    paths[f"{API_PREFIX}/deliveries/{{id}}"] = {
        "get": {
            "operationId": "delivery_get",
            "tags": ["报送"],
            "summary": "查询一次报送的状态",
            "description": "只能查询本账号区划内的报送,其他报送一律 404。",
            "security": [{"bearer": []}],
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                    "description": "报送编号",
                }
            ],
            "responses": {
                "200": {
                    "description": "报送",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/DeliveryEnvelope"}}
                    },
                },
                **_responses(("401", "403", "404")),
            },
        }
    }
    paths[f"{API_PREFIX}/feeds"] = {
        "get": {
            "operationId": "catalogue",
            "tags": ["数据目录"],
            "summary": "部门数据目录",
            "description": "各类数据的列、类型、是否必填、可填的值、含义与别名。",
            "security": [{"bearer": []}],
            "responses": {
                "200": {
                    "description": "数据目录",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Catalogue"}}},
                },
                **_responses(("401", "403")),
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "底线 · 部门数据报送接口",
            "version": "1.0.0",
            "description": (
                "各部门系统向乡村振兴监测预警平台推送数据的接口。认证:在请求头中携带 "
                "`Authorization: Bearer <令牌>`,令牌由部门数据员在平台的“接口令牌”页面创建。"
                "所有错误都以 JSON 返回,errors 中每一项给出行号(从 1 起)、列名和中文原因。"
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "接口令牌"}},
        },
    }
