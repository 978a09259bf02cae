# The service with its bundled offline models. Build: docker compose build
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY prompts ./prompts
COPY corpora ./corpora
COPY scripts ./scripts
# Vendored vision weights (selfie, ESRGAN slim, nsfwjs MobileNetV2) and the critic heads.
COPY models ./models
# Convert USE-lite to ONNX at build time, so the first start is quick.
RUN npx tsx scripts/prepare-models.ts
ENV HOST=0.0.0.0 PORT=8080 DATA_DIR=/app/data
EXPOSE 8080
VOLUME ["/app/data"]
CMD ["npx", "tsx", "src/server.ts"]
