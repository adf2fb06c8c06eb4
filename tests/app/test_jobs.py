"""Background jobs as database rows (app/jobs.py): two service instances on one database — a job started on
one is run and answered by the other; a restart (a new instance) still has the result and takes up an
interrupted job; per-user limits. On SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import jobs
from app.main import create_app
from ledger.db import make_engine, session_factory
from ledger.models import JobRecord
from ledger.settings import Settings
from tests.app.conftest import Service
from tests.app.test_pages_forms import HEADER, claim_form, csrf_of, setup_platform, signed_in

BIG_FILE = (HEADER + "".join(f"9133A,{n:08d},2025-01-02,1000.00,130.00\n" for n in range(400))
            + "9133A,BAD,2025-01-02,abc,0\n").encode()


@contextmanager
def instance(service: Service, **settings: Any) -> Iterator[FastAPI]:
    """Another service instance on the same database: its own engine (its own connections), its own job
    worker, as a second process would have."""
    engine = make_engine(service.db.url)
    app = create_app(factory=session_factory(engine), settings=Settings(**settings))
    try:
        yield app
    finally:
        jobs.runner(app.state.factory).stop()
        engine.dispose()


def as_user(app: FastAPI, signed: TestClient) -> TestClient:
    """A client of ``app`` with the session cookie ``signed`` holds (a sign-in is valid on every instance)."""
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies = signed.cookies
    return client


def job_of(location: str) -> str:
    return location.split("?")[0].rsplit("/", 1)[1]


def wait(client: TestClient, job: str, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        r = client.get(f"/jobs/{job}.json")
        assert r.status_code == 200, r.text
        status: dict[str, Any] = r.json()
        if status["finished"] or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def start_import(client: TestClient) -> str:
    csrf = csrf_of(client, "/claims/new?platform=P1")
    r = client.post("/claims/import", data=claim_form(csrf, []),
                    files={"file": ("big.csv", BIG_FILE, "text/csv")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/"), r.text
    return job_of(r.headers["location"])


def file_a_claim(service: Service) -> None:
    """A district claim, so that the district's Annex 3 batch has something to list."""
    setup_platform(service)
    clerk = signed_in(service, "nanhu-econ")
    r = clerk.post("/claims/file", data=claim_form(csrf_of(clerk, "/claims/new?platform=P1")), follow_redirects=False)
    assert r.status_code == 303, r.text


def start_annex3(client: TestClient) -> str:
    r = client.get("/annex3/batch?jurisdiction=330402", follow_redirects=False)
    assert r.status_code == 303, r.text
    return job_of(r.headers["location"])


def test_a_job_started_on_one_instance_is_run_and_answered_by_the_other(service: Service) -> None:
    setup_platform(service)
    jobs.runner(service.db.sessions, Settings(job_threads=0))  # instance A runs no jobs itself
    clerk_a = signed_in(service, "nanhu-econ")
    job = start_import(clerk_a)
    queued = clerk_a.get(f"/jobs/{job}.json").json()
    assert queued["state"] == "queued" and not queued["finished"]
    assert "排队中" in clerk_a.get(f"/jobs/{job}").text
    with instance(service, job_threads=1) as b, TestClient(b) as started:  # B's lifespan starts its worker
        clerk_b = as_user(started.app, clerk_a)  # type: ignore[arg-type]
        status = wait(clerk_b, job)
        assert status["state"] == "done" and status["error"] is None and status["done"] == status["total"] == 401
        # the poll on A reads the same row; the result page works on either instance
        assert wait(clerk_a, job) == status
        for client in (clerk_a, clerk_b):
            back = client.get(str(status["href"]))
            assert back.status_code == 422 and "第 402 行" in back.text and "导入 400 行有效发票" in back.text
        # nobody else sees it, on either instance
        other = signed_in(service, "nanhu-fin")
        assert other.get(f"/jobs/{job}.json").status_code == 404
        assert as_user(started.app, other).get(f"/jobs/{job}.json").status_code == 404  # type: ignore[arg-type]
        with service.db.sessions() as s:
            row = s.get(JobRecord, job)
            assert row is not None and row.attempts == 1 and row.worker == jobs.runner(started.app.state.factory).name  # type: ignore[attr-defined]


def test_many_jobs_on_two_instances_each_run_exactly_once(service: Service) -> None:
    """Two instances, two worker threads each, claiming from one queue: every job is run once."""
    file_a_claim(service)
    jobs.runner(service.db.sessions, Settings(job_threads=0, jobs_per_user=10))
    clerks = [signed_in(service, name) for name in ("nanhu-econ", "nanhu-fin", "bureau")]
    started = [start_annex3(c) for c in clerks for _ in range(2)]
    with instance(service, job_threads=2, jobs_per_user=10) as b, \
            instance(service, job_threads=2, jobs_per_user=10) as c:
        jobs.runner(b.state.factory).start()
        jobs.runner(c.state.factory).start()
        for k, job in enumerate(started):
            status = wait(clerks[k // 2], job)
            assert status["state"] == "done", (status["error"], status["attempts"])
        names = {jobs.runner(b.state.factory).name, jobs.runner(c.state.factory).name}
    with service.db.sessions() as s:
        rows = s.scalars(select(JobRecord).where(JobRecord.id.in_(started))).all()
    assert len(rows) == 6 and all(r.attempts == 1 and r.state == "done" for r in rows)
    assert {r.worker for r in rows} <= names
    assert all(r.file_content is not None and r.file_content[:2] == b"PK" for r in rows)


def test_a_restart_keeps_results_and_takes_up_interrupted_jobs(service: Service) -> None:
    file_a_claim(service)
    clerk = signed_in(service, "nanhu-econ")
    job = start_annex3(clerk)  # run by A's own worker (started by the submission)
    assert wait(clerk, job)["state"] == "done"
    jobs.runner(service.db.sessions).stop()
    # jobs a previous process was running when it stopped: one may run again, one has used its runs
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    with service.db.sessions.begin() as s:
        for job_id, attempts in (("interrupted-once", 1), ("interrupted-twice", 2)):
            s.add(JobRecord(id=job_id, owner="nanhu-econ", kind="annex3-batch", title="附件3批量生成（重启前）",
                            params={"jurisdiction": "330402", "year": None}, state="running", done=0, total=1,
                            attempts=attempts, worker="gone:1", created_at=long_ago, started_at=long_ago,
                            heartbeat_at=long_ago))
    # the new instance: the finished job's file is there, the interrupted ones are dealt with
    with instance(service, job_threads=1, job_attempts=2) as restarted, TestClient(restarted) as client:
        again = as_user(client.app, clerk)  # type: ignore[arg-type]
        status = again.get(f"/jobs/{job}.json").json()
        assert status["state"] == "done" and status["filename"]
        xlsx = again.get(str(status["download"]))
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        rerun = wait(again, "interrupted-once")
        assert rerun["state"] == "done" and rerun["attempts"] == 2 and rerun["download"]
        failed = wait(again, "interrupted-twice")
        assert failed["state"] == "failed" and "服务重启或中断" in failed["error"] and "请重新发起" in failed["error"]
        assert "失败" in again.get("/jobs/interrupted-twice").text


def test_a_user_may_have_only_so_many_jobs_at_once(service: Service) -> None:
    file_a_claim(service)
    jobs.runner(service.db.sessions, Settings(job_threads=0, jobs_per_user=1))
    clerk = signed_in(service, "nanhu-econ")
    first = start_annex3(clerk)
    refused = clerk.get("/annex3/batch?jurisdiction=330402", follow_redirects=False)
    assert refused.status_code == 429
    assert "每位用户同时至多有 1 个后台任务" in refused.text and "您已有 1 个" in refused.text
    csrf = csrf_of(clerk, "/claims/new?platform=P1")
    refused = clerk.post("/claims/import", data=claim_form(csrf, []),
                         files={"file": ("big.csv", BIG_FILE, "text/csv")}, follow_redirects=False)
    assert refused.status_code == 429 and "至多有 1 个" in refused.text
    with service.db.sessions() as s:
        assert s.scalars(select(JobRecord.id).where(JobRecord.owner == "nanhu-econ")).all() == [first]
    start_annex3(signed_in(service, "nanhu-fin"))  # the limit is per user
    # once the first job is done, the user may start another
    with instance(service, job_threads=1, jobs_per_user=1) as b:
        jobs.runner(b.state.factory).start()
        assert wait(clerk, first)["state"] == "done"
    start_annex3(clerk)


WORKER_PROCESS = """
import sys
from app import jobs
from app.main import create_app
app = create_app()  # DATABASE_URL and SUBSIDY_JOB_THREADS from the environment, as `subsidy serve` has them
runner = jobs.runner(app.state.factory)
runner.start(persistent=True)
print(runner.name, flush=True)
sys.stdin.read()  # until the test closes it
runner.stop()
"""


def test_a_job_is_run_by_another_process(service: Service) -> None:
    """A second operating-system process on the same database (as `subsidy serve --workers 2` has) runs
    the job this one queued; this process answers the poll from the row."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    setup_platform(service)
    jobs.runner(service.db.sessions, Settings(job_threads=0))
    env = {**os.environ, "DATABASE_URL": service.db.url, "SUBSIDY_JOB_THREADS": "1"}
    worker = subprocess.Popen([sys.executable, "-c", WORKER_PROCESS], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert worker.stdout is not None
        name = worker.stdout.readline().strip()
        assert name.split(":")[1] == str(worker.pid)
        clerk = signed_in(service, "nanhu-econ")
        job = start_import(clerk)
        status = wait(clerk, job, seconds=60)
        assert status["state"] == "done" and status["done"] == 401, status
        with service.db.sessions() as s:
            row = s.get(JobRecord, job)
            assert row is not None and row.worker == name and row.params["content"] == "…"
    finally:
        assert worker.stdin is not None
        worker.stdin.close()
        worker.wait(30)
