# OpsAgent service image: `docker build -t opsagent:0.1.0 .` (the chart's default image is opsagent:<appVersion>).
# Runs as the user opsagent (UID/GID 1000, as the architecture names it) with a read-only root filesystem; /tmp and /app/.cache are the only paths meant to be written
# (emptyDirs in the chart), and the agent itself writes nothing.

# --- build: every dependency, then compile TypeScript to dist/ ----------------------------------------------------
# Node 24 LTS, pinned to the patch release the project runs and is tested on (package.json's `node` devDependency);
# the three stages use the same image.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
# `npm run build` ends by bundling the CLI (dist/apps/opsagent/src/cli/opsagent.bundle.js) with esbuild…
COPY scripts/bundle-cli.cjs ./scripts/bundle-cli.cjs
# …and the dashboard (dist/apps/dashboard, served at GET /) with esbuild too.
COPY scripts/bundle-dashboard.cjs ./scripts/bundle-dashboard.cjs
RUN npm run build

# --- deps: production dependencies only --------------------------------------------------------------------------
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: no production dependency needs one (the only one that has one is an analytics ping).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------------------------
FROM node:24.21.0-bookworm-slim
# `docker build --build-arg REVISION=$(git rev-parse HEAD) --build-arg SOURCE=<repository URL> .`; VERSION is
# package.json's version (a test holds them equal).
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="opsagent" \
      org.opencontainers.image.description="Kubernetes resource auditor: missing requests/limits and over-provisioned containers" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    HOME=/app
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/dist/libs ./dist/libs
# The CLI reads its version from here.
COPY package.json ./
COPY bin/opsagent /app/bin/opsagent
# The base image's user at UID 1000 is `node`; the agent's is `opsagent` (architecture document), so it takes the UID
# over. Files stay owned by root and read-only to the agent; only the cache directory (an emptyDir in the chart) is
# its own.
RUN userdel --remove node \
    && if getent group node > /dev/null; then groupdel node; fi \
    && groupadd --gid 1000 opsagent \
    && useradd --uid 1000 --gid opsagent --no-create-home --home-dir /app --shell /usr/sbin/nologin opsagent \
    && mkdir -p /app/config /app/.cache \
    && chown opsagent:opsagent /app/.cache
# Numeric, so that the kubelet can verify runAsNonRoot from the image alone; /etc/passwd names 1000 opsagent.
USER 1000:1000
# 18080: REST API (server.port); 9090: Prometheus /metrics (metrics.port).
EXPOSE 18080 9090
# bin/opsagent adds the chart's heap flags (--max-old-space-size=384 --max-semi-space-size=4) to `serve` unless
# NODE_OPTIONS sets them, then execs node, which as PID 1 handles SIGTERM itself: the agent stops its scheduler,
# closes both servers and exits 0.
ENTRYPOINT ["/app/bin/opsagent"]
# The chart mounts its ConfigMap at /app/config; with plain docker, mount a config.yaml there.
CMD ["serve", "--config", "/app/config/config.yaml"]
