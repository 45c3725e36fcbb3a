# syntax=docker/dockerfile:1
# burnrate: the collector, the SLO engine, the demo and the CLI in one image. Sources are
# TypeScript run through tsx (a production dependency), so there is no build output to copy; the
# first stage type-checks them and the runtime stage takes its sources from it, so an image is
# only ever built from code that type-checks.

FROM node:20-bookworm-slim AS check
WORKDIR /app
COPY package.json package-lock.json ./
# Optional packages are platform binaries; the embedded ClickHouse's (~550 MB) is not needed to type-check.
RUN npm ci --omit=optional --no-audit --no-fund
COPY . .
RUN npx tsc --noEmit

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=check /app/bin ./bin
COPY --from=check /app/cli ./cli
COPY --from=check /app/auth ./auth
COPY --from=check /app/collector ./collector
COPY --from=check /app/slo-engine ./slo-engine
COPY --from=check /app/storage ./storage
COPY --from=check /app/runtime ./runtime
COPY --from=check /app/demo ./demo
COPY --from=check /app/dashboards ./dashboards
COPY --from=check /app/examples ./examples
COPY --from=check /app/tsconfig.json ./tsconfig.json
# The image's user: the node image's unprivileged "node" (uid 1000); sources stay root-owned, read-only to it.
USER node
EXPOSE 4317 4318 8080 9000 9464
# Every long-running command answers HTTP; compose points BURNRATE_HEALTH_URL at the right one.
ENV BURNRATE_HEALTH_URL=http://127.0.0.1:4318/healthz
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.BURNRATE_HEALTH_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/burnrate.js"]
CMD ["collector"]
