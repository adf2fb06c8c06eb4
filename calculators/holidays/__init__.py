"""Official holiday schedules (国务院办公厅关于某年部分节假日安排的通知) as data, one YAML file a year.

Read by :func:`calculators.notice.bundled_notices`; see ``docs/rules-notice.md`` for the format.
"""
