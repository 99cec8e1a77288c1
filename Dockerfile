FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /app

COPY pyproject.toml README.md manage.py ./
COPY platform ./platform
COPY audit ./audit
COPY notify ./notify
COPY accounts ./accounts
COPY chat ./chat
COPY moderation ./moderation
COPY intake ./intake
COPY volunteers ./volunteers
COPY outcomes ./outcomes
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir . \
    && useradd --system --home /app village \
    && mkdir -p /app/var && chown village /app/var

# Static files are collected at build time (production storage, with a manifest);
# the settings need values to import, and these throwaway ones reach nothing.
RUN VILLAGE_ENV=production \
    DJANGO_SECRET_KEY=build-only-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG \
    DJANGO_ALLOWED_HOSTS=build DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 EMAIL_URL=consolemail:// \
    python manage.py collectstatic --noinput

USER village
EXPOSE 8000
# No --proxy-headers: it would believe the client-written left end of
# X-Forwarded-For. Village reads the address itself (VILLAGE_TRUSTED_PROXIES).
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--websocket_connect_timeout", "30", "village.asgi:application"]
