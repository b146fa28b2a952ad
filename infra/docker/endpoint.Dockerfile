# syntax=docker/dockerfile:1
#
# fewclick endpoint: the inference server as a SageMaker real-time endpoint container
# (also usable as a plain container or Kubernetes pod).
#
#   docker build -f infra/docker/endpoint.Dockerfile -t fewclick-endpoint .      # from the repo root
#   docker run --rm -p 8080:8080 fewclick-endpoint serve                          # as SageMaker starts it
#
# SageMaker contract: started with the argument `serve`; answers GET /ping and POST /invocations
# on port 8080, or on $SAGEMAKER_BIND_TO_PORT (the label below tells SageMaker we honour it);
# model parameters, if any, come from /opt/ml/model (ModelDataUrl, see infra/README.md); the
# image carries the clicknet weights, so the learned models need no model data.
# The ENTRYPOINT is exec form, so the endpoint is PID 1 and receives SageMaker's/Docker's SIGTERM
# directly (a shell form would leave /bin/sh as PID 1, which does not forward it).
#
# Build for the instance architecture: ml.c6i/ml.c7i are x86_64 (--platform linux/amd64),
# ml.c7g/ml.m7g (Graviton) are arm64 (--platform linux/arm64).

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:12-slim

# ---------------------------------------------------------------- build
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4-openssl-dev libturbojpeg0-dev libspng-dev libdnnl-dev pkg-config zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies in their own layer, so source edits do not refetch them.
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve
COPY . .
# Static Swift runtime (and Foundation): the runtime image needs no Swift toolchain.
RUN swift build -c release --product endpoint --static-swift-stdlib -Xlinker -s \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/endpoint" /out/usr/local/bin/endpoint

# ---------------------------------------------------------------- runtime
FROM ${RUNTIME_IMAGE}
# With the Swift runtime static, the endpoint needs glibc, libstdc++ and libgcc_s (ldd of the
# build, all already in debian:12-slim) and oneDNN for the learned model (libdnnl2, which brings
# libgomp1, its OpenMP runtime); it links neither libcurl nor the image codecs (the proxy decodes
# images). ca-certificates only in case a future model fetches weights over TLS.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libdnnl2 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /opt/ml/model
COPY --from=build /out/ /
# The released clicknet weights (fp16 safetensors, ~6 MB) at the path the endpoint searches
# (ClickNetWeights.imagePath); a model.tar.gz with clicknet.safetensors in /opt/ml/model overrides it.
COPY Models/clicknet/clicknet.safetensors /opt/fewclick/models/clicknet.safetensors

LABEL com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true \
      org.opencontainers.image.title="fewclick-endpoint" \
      org.opencontainers.image.description="fewclick inference server (SageMaker container contract + KServe V2)"

ENV LOG_LEVEL=info
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/endpoint"]
CMD ["serve"]
