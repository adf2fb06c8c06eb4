"""Request bodies of the service (API and pages share them). Money is a decimal string of yuan with at
most two decimals (``"1234.56"``); a JSON number is refused, so no amount ever passes through a float."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from calculators.errors import YUAN_PATTERN
from calculators.money import parse_yuan
from calculators.scenario import Grade, LeaderType, Level

Yuan = Annotated[str, StringConstraints(pattern=YUAN_PATTERN),  # ASCII digits only
                 Field(description="元，十进制字符串，至多两位小数（不接受数字类型）", examples=["1000000.00"])]
Code = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]
Text = Annotated[str, StringConstraints(max_length=500)]
ShortText = Annotated[str, StringConstraints(max_length=100)]
Year = Annotated[int, Field(ge=2000, le=2100)]
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
DATE_OUT_OF_RANGE = "date_out_of_range"
DATE_LABELS = {"on": "日期", "date": "开票日期", "application_date": "申报日期", "meeting_date": "党组会日期",
               "publication_date": "公示发布日期", "filed": "异议提出日期", "as_of": "截至日期", "start": "开始日期",
               "end": "结束日期"}
"""The Chinese name of each date field and query parameter, for the refusal's message."""


def supported_day(value: date) -> date:
    """Refuse a date outside :data:`FIRST_DAY` … :data:`LAST_DAY` (a 422 naming the field, never an
    overflow deep in calendar arithmetic: ``date(1, 1, 1) - timedelta(1)`` raises)."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError(DATE_OUT_OF_RANGE, "须在 {first} 至 {last} 之间（本系统支持的日期范围），收到 {value}",
                                  {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat(),
                                   "value": value.isoformat()})
    return value


def parse_day(text: str, field: str) -> date:
    """A date typed into a form or a query string (``YYYY-MM-DD``) as :data:`Day` checks it; an
    :class:`~ledger.errors.Invalid` naming the field otherwise."""
    from ledger.errors import Invalid

    name = DATE_LABELS.get(field, field)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid("输入格式", f"{name}：{text!r} 不是日期（年-月-日）", field=field) from None
    try:
        return supported_day(day)
    except PydanticCustomError as exc:
        raise Invalid("日期范围", f"{name}{exc.message()}", field=field) from None


Day = Annotated[date, AfterValidator(supported_day),
                Field(description=f"日期（{FIRST_DAY} 至 {LAST_DAY}）",
                      json_schema_extra={"formatMinimum": FIRST_DAY.isoformat(),
                                         "formatMaximum": LAST_DAY.isoformat()})]
"""The one date type of every input — API bodies and query parameters, the pages' forms: a date of the
procedure within the years the rule sets know, so no calendar arithmetic overflows."""


def fen(value: str | None, field: str) -> int | None:
    return None if value is None else parse_yuan(value, field=field)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul(value: Any) -> Any:
    """No text holds a NUL character: PostgreSQL cannot store one, and no document has one."""
    if _has_nul(value):
        raise PydanticCustomError("nul_character", "文字中不能含有 NUL 字符（\\u0000）；请删去该字符")
    return value


def one_line_ending(value: Any) -> Any:
    """Text is kept with ``\n`` line ends: a browser's form sends ``\r\n``, and a spreadsheet cell
    (Annex 3's review opinions) cannot keep a ``\r``, so the stored text and the form's would differ."""
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    _no_nul = field_validator("*", mode="after")(refuse_nul)
    _one_line_ending = field_validator("*", mode="before")(one_line_ending)

    def request(self) -> dict[str, Any]:
        """The body as idempotency compares it."""
        return self.model_dump(mode="json")


class PlatformIn(Body):
    code: Code
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    jurisdiction: Code
    operator: Annotated[str, StringConstraints(max_length=200)] = ""
    leader_type: LeaderType = "enterprise"
    # as wide as the platforms table's columns (负责人、电话、联系人、手机)
    head_person: Annotated[str, StringConstraints(max_length=50)] = ""
    head_phone: Annotated[str, StringConstraints(max_length=30)] = ""
    contact_person: Annotated[str, StringConstraints(max_length=50)] = ""
    contact_mobile: Annotated[str, StringConstraints(max_length=30)] = ""


class PlatformEventIn(Body):
    kind: Literal["pool-entry", "pool-exit", "recognition", "evaluation", "agreement-support", "rectification",
                  "pool-notice", "change-report", "re-evaluation"]
    on: Day
    level: Level | None = None
    grade: Grade | Literal["未参加"] | None = None  # re-evaluation: 通过/不通过/未参加
    change_date: Day | None = None  # change-report: the day the change's legal formalities were completed
    scheme: Literal["jiaxing", "zhejiang", "shaoxing"] | None = None
    year: Year | None = None
    document_number: ShortText = ""
    amount: Yuan | None = None
    note: Text = ""


class InvoiceLine(Body):
    issuer_code: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    number: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    date: Day
    net: Yuan
    vat: Yuan = "0.00"


class ClaimIn(Body):
    platform: Code
    program: Code
    application_date: Day
    invoices: Annotated[list[InvoiceLine], Field(max_length=2000)] = []
    years: Annotated[list[Year], Field(max_length=20)] | None = None
    national_support: Yuan | None = None
    recorded_amount: Yuan | None = None
    evaluation_year: Year | None = None
    requested_amount: Yuan | None = None
    platform_document: Annotated[str, StringConstraints(max_length=200)] = ""


class ReviewIn(Body):
    department: Literal["economic", "finance"]
    approve: bool
    opinion: Text
    on: Day


class AuditIn(Body):
    firm: ShortText
    report_number: ShortText
    on: Day
    years: dict[str, Yuan] | None = Field(None, description="审计认定的年度设备投资：年度 → 元")
    invoices: dict[str, Yuan] | None = Field(None, description="审计认定的发票金额：开票单位代码:发票号 → 元")


class ApprovalIn(Body):
    meeting_date: Day
    minutes_number: ShortText
    approved_amount: Yuan | None = Field(None, description="不填则为计算应付数；只能更低且须说明理由")
    reason: Text = ""


class NoticeIn(Body):
    claims: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=40)]],
                      Field(min_length=1, max_length=500)]
    publication_date: Day
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ObjectionIn(Body):
    filed: Day
    objector: ShortText = ""
    content: Text = ""


class ResolutionIn(Body):
    upheld: bool
    on: Day
    resolution: Text


class FundIssueIn(Body):
    document_number: ShortText
    on: Day


class PaymentIn(Body):
    payer: Code
    voucher_number: ShortText
    on: Day
    amount: Yuan


class ConfirmationIn(Body):
    """拨付复核: the confirmation date."""

    on: Day


class ReversalIn(Body):
    on: Day
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class WithdrawalIn(Body):
    """作废制单: the date and the reason (a prepared payment not yet confirmed)."""

    on: Day
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class RecoveryIn(Body):
    payer: Code
    amount: Yuan
    on: Day
    document_number: ShortText = ""
    reason: Text = ""


class AllocationIn(Body):
    """省级下达: the province's allocation document (文件号), its date and the amount allocated."""

    document_number: ShortText
    on: Day
    amount: Yuan


class TransferIn(Body):
    """上级转移支付到账 or 转拨: the receipt's voucher or the pass-on document, and its date."""

    document_number: ShortText
    on: Day


class ReceiptIn(Body):
    amount: Yuan
    on: Day


class AppropriationIn(Body):
    payer: Code
    fiscal_year: Year
    program: Code
    amount: Yuan
    on: Day
    document_number: ShortText = ""


class UserIn(Body):
    username: Annotated[str, StringConstraints(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
    password: Annotated[str, StringConstraints(min_length=10, max_length=200)]
    role: Literal["district_econ", "district_finance", "city_bureau", "city_finance", "auditor", "admin"]
    jurisdiction: Code | None = None
    display_name: ShortText = ""

    def request(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"password"})


class HolidayNoticeIn(Body):
    source: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


class CalculationIn(Body):
    """A what-if calculation (试算): a whole scenario in the documented format, or a platform in the
    ledger with a prospective claim; ``readings`` and ``what_if`` change parameters for this run only."""

    scenario: dict[str, Any] | None = None
    claim: ClaimIn | None = None
    readings: dict[str, str] = {}
    what_if: dict[str, str] = {}


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    _no_nul = field_validator("*", mode="after")(refuse_nul)
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]
