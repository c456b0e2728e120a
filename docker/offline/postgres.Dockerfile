# PostgreSQL from Debian's packages on the local Debian base, for a stack run where no image
# registry is reachable (compose.offline.yaml). It takes the official image's three settings.
ARG BASE=chaud-base/debian:bookworm
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint
# A new named volume takes this folder's owner: the server's user, not root.
RUN mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
USER postgres
EXPOSE 5432
# Fast shutdown, as the official image: a stop does not wait for every client to leave.
STOPSIGNAL SIGINT
ENTRYPOINT ["postgres-entrypoint"]
