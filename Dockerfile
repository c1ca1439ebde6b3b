# One image for every service. SERVICE (build arg, or env at run time) picks what a container
# runs: gateway, customer, sales, marketing, or migrate (applies pending migrations and exits;
# arguments name the subgraphs, default all). See docs/deploy.md.
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only: tsx runs the TypeScript and prisma generates the client.
# Nothing relies on install scripts (they would try to download Prisma's native engines).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The web console is built with the development dependencies (Vite, the code generator) and
# only its output, web/dist, goes into the image; the gateway serves it at /. Vite 8 needs npm 11.
FROM node:${NODE_VERSION}-bookworm-slim AS web
WORKDIR /app
RUN npm install --global npm@11.19.1 --no-audit --no-fund
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build:web

FROM deps AS build
COPY . .
COPY --from=web /app/web/dist ./web/dist
# generate.ts points the Prisma CLI at a stand-in schema engine: generate never runs it.
RUN npm run generate

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the service user; tsx caches in /tmp.
COPY --from=build /app ./
USER node
ARG SERVICE=gateway
ENV SERVICE=${SERVICE}
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "--import", "tsx", "scripts/container-healthcheck.ts"]
ENTRYPOINT ["/bin/sh", "deploy/docker/entrypoint.sh"]
