# syntax=docker/dockerfile:1.7
#
# Orchestrator images: one Dockerfile, two runtime targets.
#
#   docker build --target api    -t orchestrator-api:dev .
#   docker build --target worker -t orchestrator-worker:dev .
#
# Stages
#   base       Node.js LTS runtime, NODE_IMAGE (Debian bookworm slim; glibc is required by
#              the prebuilt Temporal core bridge, so no Alpine); pin it by digest (below)
#   toolchain  base + the npm release the lockfile is maintained with (npm 11, which honours
#              the `allowScripts` field of package.json during install)
#   build      full dependency tree, `npm run build` -> dist/ (tsc output, compiled
#              migrations, the prebuilt Temporal workflow bundle dist/workflow-bundle.js and
#              the operator console's static files dist/console)
#   prod-deps  production dependencies only (`npm install --omit=dev`; not `npm ci`,
#              see scripts/bootstrap.sh: the lockfile cannot list other platforms' @swc binaries)
#   runtime    base + prod-deps + dist, owned by root and read-only for the app user,
#              running as the numeric non-root user 1000 (so Kubernetes `runAsNonRoot`
#              can verify it)
#   api        runtime + HEALTHCHECK on the control plane + `node dist/src/main-api.js`
#   worker     runtime + HEALTHCHECK on the worker health port + `node dist/src/main-worker.js`
#
# The migration one-shot (compose `migrate`, Helm Job) runs the api image with
# `sh scripts/migrate.sh up`.

# The base image: a supported Node.js LTS (24; Node 20 reached end of life in April 2026). Pin it
# by digest for production builds, so a rebuild gets the same bytes:
#   docker buildx imagetools inspect node:24-bookworm-slim     # prints the sha256 digest
#   docker build --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<digest> --target api .
# The default below is the tag alone (a placeholder for that digest), so a plain build works.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG NPM_VERSION=11.19.1

FROM ${NODE_IMAGE} AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

FROM base AS toolchain
ARG NPM_VERSION
RUN npm install --global "npm@${NPM_VERSION}" \
 && npm cache clean --force

FROM toolchain AS build
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm install --no-audit --no-fund
# The operator console (console/, its own lockfile): built into dist/console, served by the api.
COPY console/package.json console/package-lock.json ./console/
RUN --mount=type=cache,target=/root/.npm \
    npm --prefix console ci --no-audit --no-fund
# Everything the build needs; .dockerignore keeps node_modules, dist, secrets, docs and
# deployment files out of the context.
COPY . .
RUN npm run build \
 && test -f dist/src/main-api.js \
 && test -f dist/src/main-worker.js \
 && test -f dist/workflow-bundle.js \
 && test -f dist/console/index.html

FROM toolchain AS prod-deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm install --omit=dev --no-audit --no-fund

FROM base AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_CACHE=/tmp/.npm \
    NPM_CONFIG_LOGS_MAX=0
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY scripts/migrate.sh ./scripts/migrate.sh
COPY docker/healthcheck.js ./docker/healthcheck.js
# Numeric UID/GID of the `node` user shipped with the base image.
USER 1000:1000
STOPSIGNAL SIGTERM

FROM runtime AS worker
ENV WORKER_HEALTH_PORT=4003
EXPOSE 4003
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "docker/healthcheck.js", "worker"]
CMD ["node", "dist/src/main-worker.js"]

# Last stage = default target.
FROM runtime AS api
ENV CONTROL_PORT=4000 \
    EXEC_PORT=4001 \
    OPERATOR_PORT=4002
EXPOSE 4000 4001 4002
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "docker/healthcheck.js", "api"]
CMD ["node", "dist/src/main-api.js"]
