#!/usr/bin/env bash
# Builds the two Lambda deployment packages for the provided.al2023 runtime:
#
#   infra/lambda/dist/proxy.zip        bootstrap -> `proxy` (Runtime API loop when AWS_LAMBDA_RUNTIME_API is set)
#   infra/lambda/dist/authorizer.zip   bootstrap -> `gateway authorizer` (the TOKEN authorizer)
#
# usage: infra/lambda/package.sh [--arch x86_64|arm64] [--scratch-path DIR] [--out DIR] [--max-glibc 2.34]
#                                [--configuration release|debug]
#
# Each zip holds the release binary (Swift runtime and Foundation linked statically with
# --static-swift-stdlib), a `bootstrap` script that starts it in Lambda mode, and lib/ with every
# shared library the binary needs that is not part of glibc (found with ldd: libcurl and its
# dependencies, libturbojpeg, libspng, libstdc++...). Lambda puts $LAMBDA_TASK_ROOT/lib on
# LD_LIBRARY_PATH. glibc itself cannot be bundled, so the script checks that no file needs a
# glibc symbol newer than AL2023's glibc 2.34 and fails if one does. That is the case for any
# build on Debian 12 (glibc 2.36): the static Swift runtime needs GLIBC_2.35 (hypot) and Debian's
# libstdc++ needs GLIBC_2.36. Build on an older-glibc system instead: infra/lambda/build.Dockerfile
# (Swift's Amazon Linux 2 image, glibc 2.26) runs this script there.
#
# Architecture: the script builds for the machine it runs on (no cross toolchain is assumed).
# For arm64 (Graviton, the template's default) run it on an arm64 Linux host, or inside an arm64
# container: see infra/lambda/build.Dockerfile and infra/README.md. The Swift static Linux SDK
# (musl) is not enough by itself here: it carries Swift's libraries, not libcurl/libjpeg-turbo/
# libspng built for musl.
set -euo pipefail
cd "$(dirname "$0")/../.."

arch="$(uname -m)"
# AL2023 (provided.al2023) ships glibc 2.34. Raising this only makes sense to test the packaging
# itself on a newer system: such a zip does not start on Lambda.
max_glibc="2.34"
# Its own scratch path: --static-swift-stdlib objects must not mix with a normal build's (sharing one
# leaves objects whose autolink entries break later dynamic links: "cannot find -lCoreFoundation").
scratch=".build-lambda"
configuration="release"
out="infra/lambda/dist"
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch="$2"; shift 2 ;;
    --scratch-path) scratch="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --max-glibc) max_glibc="$2"; shift 2 ;;
    --configuration) configuration="$2"; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$arch" in aarch64) arch=arm64 ;; amd64) arch=x86_64 ;; esac
mkdir -p "$out" && out="$(cd "$out" && pwd)"
host="$(uname -m)"; case "$host" in aarch64) host=arm64 ;; esac
if [ "$arch" != "$host" ]; then
  echo "this machine is $host; building $arch needs an $arch host or container (infra/lambda/build.Dockerfile):" >&2
  echo "  docker buildx build --platform linux/$([ "$arch" = arm64 ] && echo arm64 || echo amd64) -f infra/lambda/build.Dockerfile -o infra/lambda/dist ." >&2
  exit 2
fi

echo "==> swift build -c $configuration (proxy, gateway) for $arch"
swift build -c "$configuration" --scratch-path "$scratch" --product proxy --static-swift-stdlib -Xlinker -s
swift build -c "$configuration" --scratch-path "$scratch" --product gateway --static-swift-stdlib -Xlinker -s
bin="$(swift build -c "$configuration" --scratch-path "$scratch" --show-bin-path)"

glibc_libs='^(libc|libm|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl|libnss_[a-z]+|libBrokenLocale|libmvec|ld-linux(-x86-64|-aarch64)?)\.so'

# needs_newer_glibc FILE: print the GLIBC_x.y versions FILE needs above $max_glibc.
needs_newer_glibc() {
  objdump -T "$1" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -u | sed 's/GLIBC_//' | while read -r v; do
    if [ "$(printf '%s\n%s\n' "$v" "$max_glibc" | sort -V | tail -1)" != "$max_glibc" ]; then echo "$v"; fi
  done
}

# package NAME BINARY ARGS...: build dist/NAME.zip whose bootstrap runs `BINARY ARGS...`.
package() {
  local name="$1" binary="$2"; shift 2
  local stage; stage="$(mktemp -d)"
  install -m 0755 "$bin/$binary" "$stage/$binary"
  mkdir -p "$stage/lib"
  # Every resolved non-glibc dependency goes into lib/.
  ldd "$stage/$binary" | awk '/=> \// { print $1, $3 }' | while read -r soname path; do
    if ! [[ "$soname" =~ $glibc_libs ]]; then cp -L "$path" "$stage/lib/$soname"; fi
  done
  if ldd "$stage/$binary" | grep -q 'not found'; then
    echo "unresolved libraries for $binary:" >&2; ldd "$stage/$binary" | grep 'not found' >&2; exit 1
  fi
  local bad=0
  for f in "$stage/$binary" "$stage"/lib/*; do
    [ -e "$f" ] || continue
    local newer; newer="$(needs_newer_glibc "$f" | tr '\n' ' ')"
    if [ -n "$newer" ]; then echo "$(basename "$f") needs glibc $newer(> $max_glibc on AL2023)" >&2; bad=1; fi
  done
  if [ "$bad" -ne 0 ]; then
    echo "build on an older-glibc system (infra/lambda/build.Dockerfile) so it runs on provided.al2023" >&2
    exit 1
  fi
  cat > "$stage/bootstrap" <<SCRIPT
#!/bin/sh
# Lambda custom runtime entry point (provided.al2023): run the Runtime API loop.
exec "\$LAMBDA_TASK_ROOT/$binary" $*
SCRIPT
  chmod 0755 "$stage/bootstrap"
  rm -f "$out/$name.zip"
  (cd "$stage" && zip -q -r -X "$out/$name.zip" bootstrap "$binary" lib)
  echo "$out/$name.zip: $(du -h "$out/$name.zip" | cut -f1), lib/: $(ls "$stage/lib" | tr '\n' ' ')"
  rm -rf "$stage"
}

package proxy proxy
package authorizer gateway authorizer
echo "==> done ($arch). Deploy: sam deploy --guided --template-file infra/aws/template.yaml --parameter-overrides Architecture=$arch ..."
