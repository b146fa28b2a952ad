# syntax=docker/dockerfile:1
#
# Builds the Lambda zips (infra/lambda/package.sh) on Amazon Linux 2 (glibc 2.26), so the binaries
# and the bundled libraries load on provided.al2023 (glibc 2.34). A Debian 12 build cannot: its
# static Swift runtime needs GLIBC_2.35 and its libstdc++ GLIBC_2.36 (package.sh checks this).
#
#   docker buildx build --platform linux/arm64 -f infra/lambda/build.Dockerfile -o infra/lambda/dist .
#   docker buildx build --platform linux/amd64 -f infra/lambda/build.Dockerfile -o infra/lambda/dist .
#
# arm64 on an x86_64 machine runs under QEMU (docker run --privileged --rm tonistiigi/binfmt --install arm64)
# and is slow; an arm64 host (Graviton, Apple silicon) builds natively.
# Not verified in this repository's CI (no container engine there); see infra/README.md.

ARG SWIFT_IMAGE=swift:6.3-amazonlinux2

FROM ${SWIFT_IMAGE} AS build
RUN yum -y install libcurl-devel zlib-devel libjpeg-turbo-devel turbojpeg-devel cmake3 gcc make \
      binutils zip tar gzip findutils which \
 && yum clean all
# libspng is not packaged for Amazon Linux 2: build the release the Debian package has (0.7.x).
ARG SPNG_VERSION=0.7.4
RUN curl -fsSL "https://github.com/randy408/libspng/archive/refs/tags/v${SPNG_VERSION}.tar.gz" | tar xz -C /tmp \
 && cmake3 -S "/tmp/libspng-${SPNG_VERSION}" -B /tmp/spng-build -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LIBDIR=lib64 -DSPNG_STATIC=OFF -DBUILD_EXAMPLES=OFF \
 && cmake3 --build /tmp/spng-build -j"$(nproc)" && cmake3 --install /tmp/spng-build \
 && rm -rf /tmp/libspng-* /tmp/spng-build && ldconfig
# hiredis (the proxy's Redis image store) is not packaged for Amazon Linux 2 either: the Debian 12 release.
ARG HIREDIS_VERSION=0.14.1
RUN curl -fsSL "https://github.com/redis/hiredis/archive/refs/tags/v${HIREDIS_VERSION}.tar.gz" | tar xz -C /tmp \
 && make -C "/tmp/hiredis-${HIREDIS_VERSION}" -j"$(nproc)" \
 && make -C "/tmp/hiredis-${HIREDIS_VERSION}" install PREFIX=/usr LIBRARY_PATH=lib64 \
 && rm -rf /tmp/hiredis-* && ldconfig
WORKDIR /src
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve
COPY . .
RUN infra/lambda/package.sh --scratch-path /tmp/build --out /dist

FROM scratch AS export
COPY --from=build /dist/ /
