# Caddy from Debian's packages on the local Debian base (compose.offline.yaml), with the
# official image's folders for its data and configuration.
ARG BASE=chaud-base/debian:bookworm
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends caddy ca-certificates \
    && rm -rf /var/lib/apt/lists/*
ENV XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config
EXPOSE 80 443
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
