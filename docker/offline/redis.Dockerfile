# Redis from Debian's packages on the local Debian base (compose.offline.yaml).
ARG BASE=chaud-base/debian:bookworm
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/*
USER redis
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--save", "", "--appendonly", "no"]
