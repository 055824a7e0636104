# Tessera's image. The web app and the wheel are built in stages of their own; the runtime is a
# slim Python without compilers, Node or uv, running as an unprivileged user. No secret is baked
# in: JWT_SECRET, TESSERA_MASTER_KEY and DATABASE_URL come from the environment at run time
# (docker-compose.yml shows the scaled layout).

# --- the web app ---------------------------------------------------------------------------
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build

# --- the wheel and its locked dependencies -------------------------------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
RUN pip install uv==0.13.9
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
# The dependencies first (from uv.lock, without the dev group), so a code change reuses them.
RUN uv sync --locked --no-dev --no-install-project
COPY src/ src/
COPY migrations/ migrations/
RUN uv build --wheel --out-dir /dist \
    && uv pip install --python /opt/venv/bin/python --no-deps /dist/tessera-*.whl
# The service serves the web app from the package when it is there (tessera/_web).
COPY --from=web /src/web/dist /opt/venv/lib/python3.11/site-packages/tessera/_web

# --- the runtime ---------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 tessera \
    && useradd --system --uid 10001 --gid tessera --home-dir /var/lib/tessera --create-home tessera
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APP_ENV=prod \
    HOST=0.0.0.0 \
    PORT=8000 \
    VAR_DIR=/var/lib/tessera \
    RUN_WORKER_IN_PROCESS=false
USER 10001:10001
WORKDIR /var/lib/tessera
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/v1/health', timeout=2).status != 200)"]
# The production server (WEB_CONCURRENCY workers); run `tessera worker` in a container of its
# own and `tessera migrate` once per release before the APIs start.
CMD ["tessera", "serve", "--prod"]
