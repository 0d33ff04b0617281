"""The naive flash-sale baseline issue 4 compares the SQL group commit against: one
`SELECT … FOR UPDATE` per request on PostgreSQL, then the update and the order insert, in one
transaction per buyer — what most shops do. No CBEC rules, no auth: it only bounds what a
per-request row lock allows on this machine.

Served by benchmarks/flash_sale.py with uvicorn (`benchmarks.naive_buy:app`); it reads
NAIVE_DATABASE_URL (a postgresql:// URL) and keeps its own two tables.
"""

import os

import asyncpg
from fastapi import FastAPI
from fastapi.responses import JSONResponse

SCHEMA = """
CREATE TABLE IF NOT EXISTS naive_stock (id int PRIMARY KEY, remaining int NOT NULL CHECK (remaining >= 0));
CREATE TABLE IF NOT EXISTS naive_orders (id bigserial PRIMARY KEY, stock_id int NOT NULL, buyer int NOT NULL);
"""

app = FastAPI()
pool: asyncpg.Pool | None = None


@app.on_event("startup")
async def connect() -> None:
    global pool
    pool = await asyncpg.create_pool(
        os.environ["NAIVE_DATABASE_URL"], min_size=4, max_size=int(os.environ.get("NAIVE_POOL", "10"))
    )


@app.on_event("shutdown")
async def disconnect() -> None:
    if pool is not None:
        await pool.close()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/buy/{stock_id}")
async def buy(stock_id: int, buyer: int = 0) -> JSONResponse:
    assert pool is not None
    async with pool.acquire() as connection, connection.transaction():
        remaining = await connection.fetchval(
            "SELECT remaining FROM naive_stock WHERE id = $1 FOR UPDATE", stock_id
        )
        if not remaining:
            return JSONResponse({"code": "sold_out"}, status_code=409)
        await connection.execute("UPDATE naive_stock SET remaining = remaining - 1 WHERE id = $1", stock_id)
        order_id = await connection.fetchval(
            "INSERT INTO naive_orders (stock_id, buyer) VALUES ($1, $2) RETURNING id", stock_id, buyer
        )
    return JSONResponse({"order_id": order_id}, status_code=201)
