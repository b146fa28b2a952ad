# syntax=docker/dockerfile:1
#
# fewclick gateway: bearer-token auth, CORS and limits in front of the proxy.
#
#   docker build -f infra/docker/gateway.Dockerfile -t fewclick-gateway .      # from the repo root
#   docker run --rm -p 8000:8000 fewclick-gateway
#
# Configuration: FEWCLICK_JWT_SECRET (>= 32 bytes), FEWCLICK_CORS_ORIGINS, --proxy-url (the proxy's
# Invoke API, e.g. http://proxy:9001): `docker run IMAGE serve --host 0.0.0.0 --proxy-url ...`.
# Exec-form ENTRYPOINT: the binary is PID 1 and gets SIGTERM for a graceful shutdown.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:12-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4-openssl-dev libturbojpeg0-dev libspng-dev pkg-config zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve
COPY . .
RUN swift build -c release --product gateway --static-swift-stdlib -Xlinker -s \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/gateway" /out/usr/local/bin/gateway

FROM ${RUNTIME_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libcurl4 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /
LABEL org.opencontainers.image.title="fewclick-gateway" \
      org.opencontainers.image.description="fewclick gateway: bearer-token auth, CORS and limits in front of the proxy"
EXPOSE 8000
STOPSIGNAL SIGTERM
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/gateway"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
