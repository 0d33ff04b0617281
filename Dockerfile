# kuajing: one image for the API servers (`kuajing serve`), the job worker (`kuajing worker`) and
# the operator's commands (`kuajing db upgrade`, `kuajing backup`, …). compose.yaml runs them.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump, pg_restore and psql for `kuajing backup` and `kuajing restore` on PostgreSQL (Debian
# bookworm's are version 15: the server must be 15 or older)
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY kuajing ./kuajing
RUN pip install . && rm -rf /src

# The app never runs as root: its own user, owning only the data folder (photos, a SQLite file).
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/kuajing kuajing \
    && mkdir -p /data/files \
    && chown -R kuajing:kuajing /data \
    && chmod 0700 /data
USER kuajing
WORKDIR /data
ENV KUAJING_DATA_DIR=/data/files \
    KUAJING_DATABASE_URL=sqlite:////data/kuajing.db

EXPOSE 8000
# Ready, not only alive: the database answers at this code's schema (and Redis, when configured).
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
CMD ["kuajing", "serve", "--host", "0.0.0.0", "--port", "8000"]
