# syntax=docker/dockerfile:1
# TikTickets application image: one image for every app process (gunicorn, daphne, Celery
# workers, beat, migrations); docker-compose.yml picks the command.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build stage: a virtualenv with the runtime requirements only ----------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# Every pinned requirement ships a manylinux wheel, so no compiler is needed. (The embedded
# PostgreSQL/Valkey fallback of `make run` lives in requirements-dev.txt and stays out.)
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

# --- runtime stage ----------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# manage.py defaults to the dev settings (DEBUG on); the image always runs the prod ones.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=tiktickets.settings.prod

# /var/lib/tiktickets/beat holds Celery beat's schedule file and /var/lib/tiktickets/media the
# tenants' private files (MEDIA_ROOT); compose mounts named volumes there,
# and a new named volume takes the owner of the directory it is mounted on.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
       --shell /usr/sbin/nologin app \
    && install -d -o app -g app -m 0750 /var/lib/tiktickets/beat /var/lib/tiktickets/media

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# The code stays owned by root: the app user can read it, not change it. .dockerignore keeps
# .venv, .dev, .env, tests and docs out.
COPY . .

# Static files are collected at build time into STATIC_ROOT (/app/.static), where WhiteNoise serves
# them with far-future cache headers. Importing the prod settings needs no database or Redis, only
# a SECRET_KEY and a CREDENTIALS_ENCRYPTION_KEY: throwaway values are given to this command alone
# and are not kept in the image.
# Compiled translations (locale/**/*.mo) are committed, so no gettext here.
RUN DJANGO_SECRET_KEY=build-only-collectstatic-not-a-secret \
    CREDENTIALS_ENCRYPTION_KEY=build-only-collectstatic-not-a-key \
    python manage.py collectstatic --noinput --verbosity 1 \
    && python -m compileall -q -j 0 accounts core tenants tiktickets

USER app
# 8000: gunicorn (HTTP). 8001: daphne (websockets), the same image with another command.
EXPOSE 8000 8001
# Health checks live in docker-compose.yml: which probe fits depends on the process.
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "tiktickets.wsgi:application"]
