# relbot container image: `docker build -t relbot .` then see README "Deploy to Kubernetes".
#
# Stage 1 installs the production dependencies exactly as package-lock.json pins them. Scripts are skipped and
# optional packages left out: the runtime is the Bun of the base image (the npm `bun` package is only for
# machines without one) and better-sqlite3 is only the Node.js storage driver (under Bun it is bun:sqlite).
ARG BUN_VERSION=1.4
ARG NODE_VERSION=20
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/bun node_modules/@oven node_modules/.bin/bun*

# Stage 2: the slim Bun image with the code and those packages, nothing else. `relbot serve` reads and writes
# git over HTTP with isomorphic-git and verifies signatures in-process, so there is no git, gpg or ssh-keygen.
FROM oven/bun:${BUN_VERSION}-slim
WORKDIR /app
# A fixed, unprivileged UID/GID; deploy/kubernetes sets the same numbers in runAsUser/fsGroup.
RUN groupadd --system --gid 10001 relbot \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin relbot \
 && mkdir -p /data && chown 10001:10001 /data
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY migrations ./migrations
COPY schemas ./schemas
# /data holds the SQLite database and the git caches; the config is mounted at /etc/relbot/relbot.yaml.
# Bun's transpiler cache is off so that a read-only root filesystem needs no writable home.
ENV NODE_ENV=production \
    RELBOT_CONFIG=/etc/relbot/relbot.yaml \
    RELBOT_DB=/data/relbot.db \
    BUN_RUNTIME_TRANSPILER_CACHE_PATH=0 \
    HOME=/data
VOLUME /data
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["bun", "src/cli.ts"]
CMD ["serve"]
