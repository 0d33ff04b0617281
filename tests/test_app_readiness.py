"""/healthz says the process is alive; /readyz whether it can serve: the database answering at
the schema this code needs (and Redis, when configured; tests/stock_ledger runs the app on it)."""

from sqlalchemy import text

from kuajing.migrations import head


def test_ready_when_the_database_answers_at_the_schema_the_code_needs(api):
    answer = api.get("/readyz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ready", "checks": {"database": "ok"}})
    assert api.get("/healthz").json() == {"status": "ok"}


def test_not_ready_names_the_failing_part(app, api):
    async def behind(session):
        await session.execute(text("UPDATE alembic_version SET version_num = '0011'"))

    app.run(behind)  # a database one migration behind the code (rolled back with the test)
    answer = api.get("/readyz")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["code"] == "not_ready"
    assert body["checks"] == {"database": f"schema at 0011, the code needs {head()}"}
    assert body["detail"] == f"Not ready: database: schema at 0011, the code needs {head()}."
