"""The words a refusal uses: the Chinese name of each field and procedure step (a claim state's name is
calculators.labels.STATE_TITLES, the one table of them), and the
amount and date as a message writes them.

A refusal carries the field as the machine knows it (``approved_amount``, ``claims[3].application_date``,
``invoices.0.net``) in its ``field`` key for programs; the pages and the CLI name it through
:func:`label` (``审定金额``, ``第4条申请的申请日期``, ``第1张发票的金额(不含税)``). The message itself is
always Chinese: what is wrong, the value received, and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from calculators.errors import InputIssue
from calculators.formats import date_cn, yuan_grouped

FIELD_LABELS: dict[str, str] = {
    # platforms and their events
    "code": "平台编号", "name": "平台名称", "jurisdiction": "所属区县", "operator": "运营主体",
    "leader_type": "牵头单位类型", "head_person": "负责人", "head_phone": "负责人电话", "contact_person": "联系人",
    "contact_mobile": "联系人手机", "kind": "事项", "on": "日期", "level": "级别", "grade": "评价等次",
    "scheme": "评价体系", "year": "年度", "document_number": "文号", "amount": "金额", "note": "说明",
    "change_date": "变更日期", "events": "平台事项", "platforms": "平台", "status": "状态",
    # claims
    "platform": "平台", "program": "补助项目", "application_date": "申报日期", "invoices": "发票",
    "issuer_code": "开票单位代码", "number": "发票号码", "date": "日期", "net": "金额(不含税)", "vat": "税额",
    "years": "投资年度", "national_support": "国家支持资金", "recorded_amount": "备案金额",
    "evaluation_year": "评价年度", "requested_amount": "申报奖励资金", "platform_document": "中试平台文件文号",
    "claim": "申请", "claims": "申请", "id": "编号", "investment": "设备投资", "audited": "审计认定金额",
    "rule_set": "规则集", "state": "办理状态", "actor": "经办人",
    # procedure
    "department": "审核部门", "approve": "审核结论", "opinion": "审核意见", "firm": "会计师事务所",
    "report_number": "审计报告文号", "meeting_date": "党组会日期", "minutes_number": "会议纪要文号",
    "approved_amount": "审定金额", "reason": "理由", "publication_date": "公示发布日期", "title": "公示标题",
    "filed": "异议提出日期", "objector": "异议人", "content": "异议内容", "upheld": "处理结论",
    "resolution": "处理意见", "objection": "异议", "notice": "公示", "payer": "出资方", "voucher_number": "拨付凭证号",
    "payment": "拨付", "recovery": "追回", "fiscal_year": "预算年度", "csrf": "表单令牌",
    # queries, users, files
    "as_of": "截至日期", "start": "开始日期", "end": "结束日期", "unit": "金额单位", "page": "页码",
    "username": "用户名", "password": "密码", "role": "角色", "display_name": "姓名", "source": "来源",
    "text": "内容", "file": "文件", "scenario": "试算情形", "readings": "解读选项", "what_if": "参数假设",
    "idempotency_key": "幂等键", "body": "请求内容", "token": "令牌", "reading": "解读选项",
    # the budget forecast (预算测算)
    "draft": "规则集草案", "extrapolation": "外推方法", "first_year": "第一个预算年度",
    # scenario files (试算情形)
    "investments": "设备投资", "recognitions": "认定", "pool": "培育库", "agreements": "协议支持",
    "scores": "评分", "bonus": "加分项", "entered": "入库日期", "left": "退库日期",
    "ground": "事由", "round_year": "评价轮次", "standing": "平台身份", "options": "计算选项",
    # the journal and its bulk import (凭证、分录)
    "entries": "凭证", "legs": "分录", "account": "科目", "entry_id": "凭证号", "platform_id": "平台",
    "claim_id": "申请", "reverses_id": "所冲销的凭证", "entry_date": "记账日期", "description": "摘要",
}
"""The Chinese name of every field a user types or a refusal names (form fields, API body keys, query
parameters, scenario keys). One table: the pages, the API's messages and the CLI read it."""


_INDEX = re.compile(r"\[(\d+)\]")
_WHERE = ("body", "query", "path", "header", "cookie", "form")


def _parts(loc: tuple[Any, ...] | str) -> list[str]:
    if isinstance(loc, str):
        loc = _INDEX.sub(r".\1", loc)
        return [p for p in loc.split(".") if p and p not in _WHERE]
    return [str(p) for p in loc if p not in _WHERE]


def _named(part: str) -> str:
    return FIELD_LABELS.get(part, part)


def label(loc: tuple[Any, ...] | str) -> str:
    """A field's path in Chinese: ``claims[3].application_date`` → ``第4条申请的申请日期``,
    ``invoices.0.net`` → ``第1张发票的金额(不含税)``, ``years.2024`` → ``投资年度 2024``,
    ``approved_amount`` → ``审定金额``. An unknown name stays as it is."""
    parts = _parts(loc)
    out: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if nxt is not None and nxt.isdigit() and part in _COUNTED and not (part == "years" and len(nxt) == 4):
            out.append(f"第{int(nxt) + 1}{_COUNTED[part]}")
            i += 2
            continue
        if nxt is not None and part in ("years", "invoices"):
            out.append(f"{_named(part)} {nxt}")
            i += 2
            continue
        out.append(_named(part))
        i += 1
    return "的".join(out)


_COUNTED = {"claims": "条申请", "invoices": "张发票", "events": "项平台事项", "platforms": "个平台",
            "issues": "项", "years": "个投资年度", "investments": "项设备投资", "recognitions": "项认定",
            "pool": "次入库", "agreements": "项协议支持", "entries": "张凭证", "legs": "条分录",
            "plan": "行投资计划"}


def money(fen: int) -> str:
    """An amount as a message writes it: ``999999900`` → ``9,999,999.00 元``."""
    return f"{yuan_grouped(fen)} 元"


def day(on: date) -> str:
    """A date as a message writes it: ``2026年12月3日``."""
    return date_cn(on)


def issues_text(issues: Iterable[InputIssue]) -> str:
    """The calculators' refusals in one line, each field named in Chinese:
    ``第1条申请的申报日期：……；补助项目：……``."""
    return "；".join(f"{label(i.field)}：{i.message}" if i.field else i.message for i in issues)
