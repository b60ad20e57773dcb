# Multi-stage build: compile with dev dependencies, ship production dependencies only.
# Node 24, the current LTS (Node 20 reached end of life on 30 April 2026); .ci/run tests on it.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json .swcrc ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS runtime
# Heap caps: see deploy/bitbylaw-hub.service (peak RSS ~180 MB instead of ~300 MB under load).
ENV NODE_ENV=production LOG_FORMAT=json PORT=3000 NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=16"
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM drains active jobs (SHUTDOWN_DRAIN_TIMEOUT_SECONDS); give `docker stop -t` more than that.
CMD ["node", "dist/main.js"]
