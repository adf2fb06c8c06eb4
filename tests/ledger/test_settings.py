"""Settings (ledger/settings.py): one pydantic-settings object, the project's variable names, the README's
table of defaults, read once at start, and no module reading the environment on its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger import settings
from ledger.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def _variable(field: str) -> str:
    return field.upper() if field.startswith("database_") else f"SUBSIDY_{field.upper()}"


def test_the_readme_lists_every_setting_with_its_default() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", text, flags=re.M))
    fresh = Settings.model_construct()  # the defaults, without the environment
    for field in Settings.model_fields:
        var = _variable(field)
        assert var in rows, f"README lacks {var}"
        default = getattr(fresh, field)
        shown = rows[var].strip().strip("`")
        if default is None:
            assert shown in ("—", "DATABASE_URL"), (var, shown)
        elif isinstance(default, Path):
            assert str(default.relative_to(ROOT)).rstrip("/") == shown.rstrip("/"), (var, shown)
        elif field == "database_url":
            assert shown == "sqlite:///var/subsidy.db" and str(default).endswith("/var/subsidy.db")
        else:
            assert str(default) == shown, (var, shown)


def test_the_project_variable_names_and_explicit_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/x.db")
    monkeypatch.setenv("SUBSIDY_THREADS", "3")
    monkeypatch.setenv("SUBSIDY_JOBS_PER_USER", "5")
    monkeypatch.setenv("SUBSIDY_CHECKPOINT_KEY", "k" * 40)
    monkeypatch.setenv("SUBSIDY_DB_POOL", "")  # empty: the default, as before
    s = settings.load()
    assert (s.database_url, s.owner_url(), s.threads, s.jobs_per_user, s.db_pool) == (
        "sqlite:////tmp/x.db", "sqlite:////tmp/x.db", 3, 5, 20)
    assert s.checkpoint_key is not None and s.checkpoint_key.get_secret_value() == "k" * 40
    assert "kkkk" not in repr(s)  # the key is never printed
    # read once: a later change of the environment is not seen until the next start
    monkeypatch.setenv("SUBSIDY_THREADS", "4")
    assert settings.current().threads == 3
    # tests (and embedding programs) construct them explicitly
    mine = settings.use(Settings(threads=1, database_url="sqlite:///:memory:", database_owner_url="sqlite:///o.db"))
    assert settings.current() is mine and mine.owner_url() == "sqlite:///o.db"


def test_a_bad_value_stops_the_start_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import cli

    monkeypatch.setenv("SUBSIDY_THREADS", "many")
    monkeypatch.setenv("SUBSIDY_JOBS_PER_USER", "0")
    with pytest.raises(SettingsError) as refused:
        settings.load()
    message = str(refused.value)
    assert "环境变量 SUBSIDY_THREADS 的值 'many' 不可用：应为整数" in message
    assert "环境变量 SUBSIDY_JOBS_PER_USER 的值 '0' 不可用：不得小于 1" in message
    result = CliRunner().invoke(cli, ["rulesets"])
    assert result.exit_code == 2 and "SUBSIDY_THREADS" in result.output


def test_no_module_reads_the_environment_itself() -> None:
    found = [f"{path.relative_to(ROOT)}:{n}" for top in ("calculators", "ledger", "reports", "app")
             for path in sorted((ROOT / top).rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"os\.environ|getenv\(", line)]
    assert found == []
