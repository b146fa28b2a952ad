# syntax=docker/dockerfile:1
#
# fewclick proxy: labeling payload <-> model tensors, behind a Lambda Invoke API.
#
#   docker build -f infra/docker/proxy.Dockerfile -t fewclick-proxy .      # from the repo root
#   docker run --rm -p 9001:9001 fewclick-proxy
#
# Configuration by environment: FEWCLICK_ENDPOINT_URL (self-hosted endpoint, e.g. http://endpoint:8080)
# or FEWCLICK_SAGEMAKER_ENDPOINT + AWS_REGION (+ AWS credentials) for a SageMaker endpoint;
# FEWCLICK_IMAGE_STORE=redis://host:6379/0 shares images between replicas (hiredis, libhiredis0.14).
# Exec-form ENTRYPOINT: the binary is PID 1 and gets SIGTERM for a graceful shutdown.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:12-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4-openssl-dev libturbojpeg0-dev libspng-dev libhiredis-dev pkg-config zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve
COPY . .
RUN swift build -c release --product proxy --static-swift-stdlib -Xlinker -s \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/proxy" /out/usr/local/bin/proxy

FROM ${RUNTIME_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libcurl4 libturbojpeg0 libspng0 libhiredis0.14 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /
LABEL org.opencontainers.image.title="fewclick-proxy" \
      org.opencontainers.image.description="fewclick proxy: labeling payload <-> model tensors, behind a Lambda Invoke API"
EXPOSE 9001
STOPSIGNAL SIGTERM
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/proxy"]
CMD ["serve", "--host", "0.0.0.0", "--port", "9001"]
