"""The chart of accounts (会计科目表): the two views government accounting keeps, plus memorandum.

* budgetary (预算会计): appropriated → committed at approval → obligated at fund issue → expended at payment;
* financial (财务会计): expense and payable per payer and platform, settled by payment; receivable on recovery;
* memorandum (备查簿): where each claim stands before its money is committed (filed, reviewed, audited,
  in notice, objected).

The rows are seeded by migrations ``0002`` and ``0008``; a test checks the two agree.
"""

from __future__ import annotations

from typing import Final

BUDGET_AUTHORITY: Final = "8001"  # 预算批复
TRANSFER_AUTHORITY: Final = "8002"  # 上级转移支付指标（省级资金转拨到区县时）
APPROPRIATION_AVAILABLE: Final = "8101"  # 可用预算指标
COMMITTED: Final = "8102"  # 已承诺（党组会审定）
OBLIGATED: Final = "8103"  # 已下达
EXPENDED: Final = "8104"  # 已支出
TREASURY: Final = "1001"  # 国库存款
RECOVERY_RECEIVABLE: Final = "1201"  # 应收追回款
TRANSFER_RECEIVABLE: Final = "1202"  # 应收上级转移支付（省级下达后、到账前）
TRANSFER_DUE: Final = "2002"  # 应转拨上级转移支付（省级资金，转拨区县前）
SUBSIDY_PAYABLE: Final = "2001"  # 应付补助款
APPROPRIATION_REVENUE: Final = "4001"  # 财政拨款收入
SUBSIDY_EXPENSE: Final = "5001"  # 补助费用
MEMO_FILED: Final = "9001"  # 备查：已申报待审
MEMO_ECON_REVIEWED: Final = "9002"  # 备查：区级经信部门已审
MEMO_DISTRICT_REVIEWED: Final = "9003"  # 备查：区级财政部门已审
MEMO_AUDITED: Final = "9004"  # 备查：已审计
MEMO_IN_NOTICE: Final = "9005"  # 备查：公示中
MEMO_OBJECTED: Final = "9006"  # 备查：异议待处理
MEMO_CONTRA: Final = "9099"  # 备查对方科目

CHART: Final[tuple[tuple[str, str, str, str], ...]] = (
    (BUDGET_AUTHORITY, "预算批复", "budgetary", "debit"),
    (APPROPRIATION_AVAILABLE, "可用预算指标", "budgetary", "credit"),
    (COMMITTED, "已承诺预算（党组会审定）", "budgetary", "credit"),
    (OBLIGATED, "已下达预算", "budgetary", "credit"),
    (EXPENDED, "已支出预算", "budgetary", "credit"),
    (TREASURY, "国库存款", "financial", "debit"),
    (RECOVERY_RECEIVABLE, "应收追回款", "financial", "debit"),
    (SUBSIDY_PAYABLE, "应付补助款", "financial", "credit"),
    (APPROPRIATION_REVENUE, "财政拨款收入", "financial", "credit"),
    (SUBSIDY_EXPENSE, "补助费用", "financial", "debit"),
    (MEMO_FILED, "备查：已申报待审", "memorandum", "debit"),
    (MEMO_ECON_REVIEWED, "备查：区级经信部门已审", "memorandum", "debit"),
    (MEMO_DISTRICT_REVIEWED, "备查：区级财政部门已审", "memorandum", "debit"),
    (MEMO_AUDITED, "备查：已审计", "memorandum", "debit"),
    (MEMO_IN_NOTICE, "备查：公示中", "memorandum", "debit"),
    (MEMO_OBJECTED, "备查：异议待处理", "memorandum", "debit"),
    (MEMO_CONTRA, "备查对方科目", "memorandum", "credit"),
    # migration 0008: the provincial procedure (省级下达、上级转移支付到账、转拨)
    (TRANSFER_RECEIVABLE, "应收上级转移支付", "financial", "debit"),
    (TRANSFER_DUE, "应转拨上级转移支付", "financial", "credit"),
    (TRANSFER_AUTHORITY, "上级转移支付指标", "budgetary", "debit"),
)

VIEW_OF: Final = {code: view for code, _, view, _ in CHART}
COMMITTED_ACCOUNTS: Final = (COMMITTED, OBLIGATED, EXPENDED)  # what counts against a cap
GENESIS_HASH: Final = "0" * 64
