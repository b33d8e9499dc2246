# The FTR auction service. Installs exactly as the README's quick start does (`pip install -e .`),
# runs as a non-root user, applies database migrations on start and answers a healthcheck.
#   docker build -t ftr-service .
#   docker run -p 8000:8000 -e FTR_SECRET_KEY=... -e DATABASE_URL=postgresql+psycopg://... ftr-service
# Outside development the service refuses to start with the default FTR_SECRET_KEY.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/ftr

RUN groupadd --system --gid 10001 ftr \
    && useradd --system --uid 10001 --gid 10001 --home-dir /srv/ftr --shell /usr/sbin/nologin ftr

COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY network ./network
COPY feasibility ./feasibility
COPY auction ./auction
COPY settlement ./settlement
COPY simulation ./simulation
COPY market_calendar ./market_calendar
COPY market_terms ./market_terms
COPY app ./app
COPY api_schemas ./api_schemas

RUN python -m pip install -e . \
    && mkdir -p /srv/ftr/data \
    && chown 10001:10001 /srv/ftr/data

USER 10001:10001

ENV FTR_ENV=production \
    DATABASE_URL=sqlite:////srv/ftr/data/ftr.sqlite3

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

CMD ["ftr", "serve", "--migrate", "--host", "0.0.0.0", "--port", "8000"]
