# cortex neuron: one per GPU host (13131). The runtime base must provide the CUDA 13 runtime and
# cuBLAS that node-llama-cpp's CUDA prebuilt links against; its sm_90 code needs a driver that can
# run CUDA 13.1 PTX (>= 590) — on 580-branch Hopper hosts, mount a libggml-cuda.so built for sm_90
# over the prebuilt one (see docs/deploy.md). For a CPU-only neuron:
#   docker build -f docker/neuron.Dockerfile --build-arg RUNTIME=node:24-bookworm-slim -t cortex-neuron:cpu .
ARG RUNTIME=nvidia/cuda:13.1.0-runtime-ubuntu24.04

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# patches/ fixes node-llama-cpp's multi-sequence batching (docs/engine-throughput.md); applied by postinstall.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
# The build records its commit (docker build --build-arg CORTEX_GIT_SHA=$(git rev-parse HEAD)).
ARG CORTEX_GIT_SHA=""
ARG CORTEX_GIT_DIRTY=""
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim AS node

FROM ${RUNTIME}
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
VOLUME /var/lib/cortex/models
EXPOSE 13131
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:13131/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/apps/cli/src/main.js"]
CMD ["neuron", "--config", "/etc/cortex/neuron.toml"]
