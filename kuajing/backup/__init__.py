"""`kuajing backup` and `kuajing restore`: the whole database in one file, and back.

SQLite through its online backup API (a running server keeps serving); PostgreSQL through
pg_dump's custom format and pg_restore. A backup holds buyers' personal data: it is written
owner-only (0600), and it is useless without the deployment's secret key, which must be kept with it.
"""
