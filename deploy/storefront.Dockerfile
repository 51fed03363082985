# syntax=docker/dockerfile:1.7
# The storefront (storefront/, Next.js standalone output) on Node.js, apart from the
# platform's image:
#   docker build -f deploy/storefront.Dockerfile -t shopgraph-storefront .
#   docker run -e SHOPGRAPH_GRAPHQL_URL=http://gateway:8000/graphql -p 3000:3000 shopgraph-storefront
# The context is the repository: the build types the operations against
# schema/api.graphql and writes their manifest into schema/operations/. What it may read
# is listed in deploy/storefront.Dockerfile.dockerignore.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS builder
ENV NEXT_TELEMETRY_DISABLED=1 \
    npm_config_update_notifier=false
WORKDIR /src/storefront
COPY storefront/package.json storefront/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY schema/api.graphql /src/schema/api.graphql
COPY storefront ./
# next.config.ts turns the media URL into the image optimizer's allowed origin at build
# time: build with the URL the storefront will fetch product pictures from.
ARG SHOPGRAPH_MEDIA_URL=https://cdn.shopgraph.dev/media
RUN mkdir -p /src/schema/operations \
    && SHOPGRAPH_MEDIA_URL="${SHOPGRAPH_MEDIA_URL}" npm run build

FROM ${NODE_IMAGE} AS runtime
ARG APP_UID=10001
LABEL org.opencontainers.image.title="shopgraph-storefront" \
      org.opencontainers.image.description="Shopgraph storefront: Next.js, server-rendered against the federated gateway"
RUN groupadd --system --gid "${APP_UID}" storefront \
    && useradd --system --uid "${APP_UID}" --gid storefront --home-dir /tmp --no-create-home \
       --shell /usr/sbin/nologin storefront
WORKDIR /app
# The standalone server with the static assets beside it (scripts/standalone-assets.mjs);
# nothing from the sources or node_modules beyond what the server traced.
COPY --from=builder --chown=root:root /src/storefront/.next/standalone ./
# Read-only-root friendly: Next writes its data and image cache under .next/cache, the
# one writable path besides /tmp (mount an emptyDir or tmpfs on both). The directory
# exists, owned by the app user, so a mounted volume there is writable.
RUN install -d -o "${APP_UID}" -g "${APP_UID}" -m 0750 /app/.next/cache
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    PORT=3000 \
    HOSTNAME=0.0.0.0
USER ${APP_UID}:${APP_UID}
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/robots.txt`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.js"]
