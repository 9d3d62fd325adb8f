# syntax=docker/dockerfile:1
#
# Gatehouse's container image: `gatehouse serve` as a non-root user, configured by a mounted file and the
# environment (DATABASE_URL, REDIS_URL, GATEHOUSE_KEYS_FILE, …; see docs/configuration.md). compose.yaml runs it
# with PostgreSQL and Redis. docs/operations/deploying.md has the whole story.
#
# The build stage installs Gatehouse exactly as a user installs it from the registry: the workspace packages
# are packed and the tarballs installed into an empty directory by scripts/pack-install.mjs — the script the
# pack test (test/packaging/pack.test.ts) runs on every CI run. (This image is not built in CI: no container
# engine runs there.)

ARG NODE_VERSION=20

# ---- build: compile the TypeScript, pack, install the tarballs (better-sqlite3 compiles from source) ----------
FROM node:${NODE_VERSION}-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The TypeScript build needs no native addon: install scripts are skipped here, and run in the installation below.
RUN npm ci --no-audit --no-fund --ignore-scripts \
  && npm run build \
  && node scripts/pack-install.mjs --out /out --packages core,storage,server,cli

# ---- runtime: the installation only, as the unprivileged `node` user -----------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    GATEHOUSE_HOST=0.0.0.0 \
    GATEHOUSE_PORT=8080
WORKDIR /app
COPY --from=build /out/app /app
# /config: the mounted configuration (read-only). /data: a SQLite database, if you use one (PostgreSQL is the
# production database; compose.yaml uses it).
RUN mkdir -p /config /data && chown node:node /data
USER node
EXPOSE 8080 9464
# Ready = the database answers (/readyz): what a load balancer should route on.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.GATEHOUSE_PORT||8080)+'/readyz').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself, with the V8 heap settings `serve --workers` gives its workers (WORKER_V8_FLAGS in
# packages/cli/src/cluster.ts): V8 reads them only at start, and one of them is not allowed in NODE_OPTIONS,
# so a single process (`--workers 1`, one per container) gets them only from here. Workers inherit them.
ENTRYPOINT ["node", "--max-semi-space-size=4", "--heap-growing-percent=50", "/app/node_modules/@gatehouse-auth/cli/dist/bin.js"]
CMD ["serve", "--config", "/config/gatehouse.config.json"]
