# cortex gateway: the OpenAI + Anthropic API (31313) and Prometheus metrics (31314).
# Build from the repository root:  docker build -f docker/gateway.Dockerfile -t cortex-gateway .
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# node-llama-cpp's binaries are not needed to build, and the gateway never loads them.
RUN NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The build records its commit (docker build --build-arg CORTEX_GIT_SHA=$(git rev-parse HEAD)).
ARG CORTEX_GIT_SHA=""
ARG CORTEX_GIT_DIRTY=""
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts \
 && rm -rf node_modules/node-llama-cpp node_modules/@node-llama-cpp

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 31313 31314
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:31313/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/apps/cli/src/main.js"]
CMD ["serve", "--config", "/etc/cortex/cortex.toml"]
