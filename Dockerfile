# OpsAgent service image: `docker build -t opsagent:0.1.0 .` (the chart's default image is opsagent:<appVersion>).
# Runs as UID 1000 with a read-only root filesystem; /tmp and /app/.cache are the only paths meant to be written
# (emptyDirs in the chart), and the agent itself writes nothing.

# --- build: every dependency, then compile TypeScript to dist/ ----------------------------------------------------
# Node 20 LTS, pinned to a patch release (the version CI tests on); the three stages use the same image.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# --- deps: production dependencies only --------------------------------------------------------------------------
FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: no production dependency needs one (the only one that has one is an analytics ping).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------------------------
FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production \
    HOME=/app
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/apps ./dist/apps
COPY --from=build /app/dist/libs ./dist/libs
# The CLI reads its version from here.
COPY package.json ./
# Files stay owned by root and read-only to the agent; only the cache directory (an emptyDir in the chart) is its own.
RUN mkdir -p /app/config /app/.cache && chown 1000:1000 /app/.cache
USER 1000
# 18080: REST API (server.port); 9090: Prometheus /metrics (metrics.port).
EXPOSE 18080 9090
# node as PID 1 handles SIGTERM itself: the agent stops its scheduler, closes both servers and exits 0.
ENTRYPOINT ["node", "/app/dist/apps/opsagent/src/main.js"]
# The chart mounts its ConfigMap at /app/config; with plain docker, mount a config.yaml there.
CMD ["serve", "--config", "/app/config/config.yaml"]
