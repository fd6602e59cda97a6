# An almacen warehouse node. Build: docker build -t almacen .   Run three: compose.yaml.
#
# Two stages: the build installs the production dependencies (sqlite3 is a native module and is
# compiled here if no prebuilt binary can be downloaded; zeromq ships prebuilt ones) and compiles
# the TypeScript into dist/; the runtime stage takes node_modules and dist/ only, without the
# compilers. Both stages are the same Debian (bookworm) with the same Node, so the native modules
# find there the C library and libstdc++ they were built against.
ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# node-gyp takes Node's headers from the image (/usr/local/include/node) instead of downloading them.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY api api
COPY lib lib
COPY runtime runtime
COPY network network
COPY handlers handlers
COPY db db
COPY migrations migrations
COPY client client
COPY web web
COPY ops/container-healthcheck.js ops/
# The compiler, the TypeScript runner and the web client's bundler and UI library are dependencies
# (the service builds on its own machine), but the built node needs none of them (the page is
# bundled into dist/web; the worker into dist/db/worker.js, whose source map stays, for
# ALMACEN_WORKER_NODE_OPTIONS=--enable-source-maps): drop them from what the runtime stage copies, with sqlite3's
# sources and object files and zeromq's binaries for other systems (the .node files stay).
RUN npm run build --silent \
  && npm uninstall --no-save --omit=dev --no-audit --no-fund typescript tsx esbuild preact \
  && find dist -name '*.map' ! -path dist/db/worker.js.map -delete \
  && rm -rf node_modules/sqlite3/deps node_modules/sqlite3/src node_modules/sqlite3/build/Release/obj* \
  && find node_modules/zeromq/build -mindepth 1 -maxdepth 1 -type d ! -name linux -exec rm -rf {} +

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
  ALMACEN_HOST=0.0.0.0 \
  ALMACEN_PORT=8080 \
  ALMACEN_DATA_DIR=/data
# Its own user, as the systemd unit has one; /data is its alone (the node keeps it 0700 anyway).
RUN groupadd --system --gid 10001 almacen \
  && useradd --no-create-home --uid 10001 --gid almacen --home-dir /data --shell /usr/sbin/nologin almacen \
  && install -d -m 0700 -o almacen -g almacen /data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/ops/container-healthcheck.js ops/
USER almacen
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "ops/container-healthcheck.js"]
# node is PID 1: it handles SIGTERM itself (leaves the network, finishes requests, stops the worker).
CMD ["node", "dist/runtime/main.js"]
