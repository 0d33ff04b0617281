"""The database wrapper's edges: in-memory SQLite still works with the fixed pool, and a pool
that stays full answers 503, not 500."""

import asyncio

import httpx
import sqlalchemy
from fastapi import FastAPI
from sqlalchemy import text

from kuajing import problems
from kuajing.db import Database


def test_an_in_memory_sqlite_database_still_opens():
    async def ask() -> int:
        database = Database("sqlite:///:memory:")
        try:
            async with database.transaction(write=False) as session:
                return await session.scalar(text("SELECT 41 + 1"))
        finally:
            await database.dispose()

    assert asyncio.run(ask()) == 42


def test_a_pool_that_stays_full_is_a_503_problem():
    app = FastAPI()
    problems.install(app)

    @app.get("/busy")
    async def busy() -> None:
        raise sqlalchemy.exc.TimeoutError("QueuePool limit of size 10 overflow 0 reached")

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kuajing") as client:
            return await client.get("/busy")

    answer = asyncio.run(ask())
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "service_busy"
