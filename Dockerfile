# Multi-stage build: compile in the Rust image, run in a slim Debian with only what the binary
# needs. `docker compose up --build` uses this together with PostgreSQL.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo build --release --locked -p dorfapp \
    && cp target/release/dorfapp /usr/local/bin/dorfapp

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data dorfapp \
    && mkdir -p /data && chown dorfapp /data
COPY --from=build /usr/local/bin/dorfapp /usr/local/bin/dorfapp
USER dorfapp
WORKDIR /data
ENV DORFAPP_BIND=0.0.0.0:8080 \
    DORFAPP_DATA_DIR=/data \
    DORFAPP_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
# SIGTERM lets requests in flight finish (DORFAPP_SHUTDOWN_TIMEOUT_SECONDS).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/dorfapp"]
CMD ["serve"]
