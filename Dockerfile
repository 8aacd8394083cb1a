# elyza-bot for a GPU host: CUDA runtime + Node 20, non-root, models and probe history on volumes.
#   docker build -t elyza-bot .
#   docker run --gpus all --env-file .env -p 3000:3000 -v elyza-models:/app/models -v elyza-data:/app/data elyza-bot
# (or `docker compose up -d`, see docker-compose.yml). `docker stop` sends SIGTERM to PID 1: that is
# tini, which passes it to node (never npm: npm → sh → node would swallow it), and the bot drains.
# node-llama-cpp's prebuilt CUDA binary (in node_modules) is built on Ubuntu 22.04 with CUDA 12.

ARG CUDA_VERSION=12.4.1

FROM node:20-bookworm-slim AS node

FROM nvidia/cuda:${CUDA_VERSION}-runtime-ubuntu22.04 AS base
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && apt-get update && apt-get install -y --no-install-recommends ca-certificates libgomp1 tini \
 && rm -rf /var/lib/apt/lists/*

FROM base AS build
# NATIVE=cpu (docker build --build-arg NATIVE=cpu .): for a CPU-only host, compile node-llama-cpp's
# addon for the build machine's CPU (npm run build:native; about 1.5x the prebuilt binary's
# throughput in our bench). Run such an image on that kind of CPU: elsewhere node-llama-cpp finds
# the build does not run and falls back to its prebuilt binary.
ARG NATIVE=false
# better-sqlite3 compiles from source when no prebuilt binary can be fetched; a native build needs
# cmake and git too.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
 && if [ "$NATIVE" != false ]; then apt-get install -y --no-install-recommends cmake git; fi \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin bin
COPY src src
# `npm ci` runs `prepare`, which compiles src/ to dist/; dev dependencies are dropped after. A
# native build lands in node_modules/node-llama-cpp/llama/localBuilds, which the last stage copies.
RUN npm ci \
 && if [ "$NATIVE" != false ]; then npm run build:native -- --flavour "$NATIVE"; fi \
 && npm prune --omit=dev

FROM base
ENV NODE_ENV=production \
    UV_THREADPOOL_SIZE=1
RUN useradd --create-home --uid 10001 bot
WORKDIR /app
COPY --from=build --chown=bot /app/node_modules node_modules
COPY --from=build --chown=bot /app/dist dist
COPY --chown=bot package.json package-lock.json ./
COPY --chown=bot bin bin
COPY --chown=bot config config
RUN mkdir -p models data && chown bot models data
USER bot
VOLUME ["/app/models", "/app/data"]
# /healthz, /readyz and /metrics (and Slack's HTTP mode) listen on PORT.
ENV PORT=3000
EXPOSE 3000
# Ready = model loaded and platforms connected. The first start downloads the 4.9 GB model: the
# start period allows an hour for it before failed checks count.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60m --retries=3 CMD ["node", "bin/healthcheck.js"]
# Exec form, node itself under tini (an init: signals forwarded, zombies reaped).
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/elyza-bot.js", "start"]
