# syntax=docker/dockerfile:1
# Mystery Match as one executable on a small Debian: `docker build -t mystery-match .`
# Runs on the embedded database in the /data volume unless DATABASE_URL (and JWT_SECRET) are set.

# Build stage: the locked runtime dependencies, then `bun build --compile` (see package.json "build").
FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json bun.lock bunfig.toml tsconfig.json ./
# patchedDependencies in package.json: bun install applies these to node_modules.
COPY patches ./patches
RUN bun install --frozen-lockfile --production
COPY drizzle ./drizzle
COPY src ./src
RUN bun run build && ./dist/mystery-match version

# Runtime stage: the binary needs only glibc; it runs as an unprivileged user that owns /data.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home --shell /usr/sbin/nologin mystery \
  && mkdir /data && chown mystery:mystery /data && chmod 700 /data
COPY --from=build /src/dist/mystery-match /usr/local/bin/mystery-match
# An image is for deploying: it listens on every interface (HOST=0.0.0.0; outside Docker the embedded
# database listens on 127.0.0.1 only), so the web page's demo sign-in is off (DEMO=0 says so
# whatever HOST is set to); `-e DEMO=1` turns it on for a trial.
ENV DATA_DIR=/data HOST=0.0.0.0 PORT=3000 DEMO=0
USER mystery
WORKDIR /data
VOLUME /data
EXPOSE 3000
# The binary checks itself (GET /health on PORT): the image needs no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["mystery-match", "healthcheck"]
# SIGTERM: stop accepting, finish in-flight requests, close sockets with 1001, exit 0 (SHUTDOWN_TIMEOUT_SECONDS).
STOPSIGNAL SIGTERM
ENTRYPOINT ["mystery-match"]
CMD ["serve"]
