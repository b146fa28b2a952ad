#!/usr/bin/env bash
# Installs the system packages fewclick needs on Debian 12 (run as root, or with sudo available).
#   install-deps.sh          build/run dependencies (libcurl, libjpeg-turbo, libspng, oneDNN, hiredis)
#   install-deps.sh --test   also what the test suite needs (Chromium + driver for the browser test,
#                            Prometheus for the monitoring check,
#                            redis-server for the shared image store tests and the fault script,
#                            Python helpers: cfn-lint, aws-sam-translator, selenium, boto3, PyYAML)
#   install-deps.sh --train  PyTorch & co. from PyPI (infra/training/requirements.txt' core: torch,
#                            numpy, scipy, pillow, safetensors) for training and its smoke test
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_pkgs=(libcurl4-openssl-dev libturbojpeg0-dev libspng-dev libdnnl-dev libhiredis-dev pkg-config zlib1g-dev)
py_pkgs=()
if [ "${1:-}" = "--train" ]; then
  apt_pkgs=(python3 python3-pip)
  py_pkgs+=(torch numpy scipy pillow safetensors)
fi
if [ "${1:-}" = "--test" ]; then
  apt_pkgs+=(chromium chromium-driver python3 python3-pip redis-server)
  # Prometheus + promtool: infra/monitoring/check_monitoring.py evaluates the dashboard's queries.
  apt_pkgs+=(prometheus)
  py_pkgs+=(pytest cfn-lint aws-sam-translator selenium boto3 PyYAML pycocotools)
fi

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${#py_pkgs[@]}" -gt 0 ]; then
  need=()
  for p in "${py_pkgs[@]}"; do python3 -m pip show -q "$p" >/dev/null 2>&1 || need+=("$p"); done
  if [ "${#need[@]}" -gt 0 ]; then
    echo "pip installing: ${need[*]}"
    python3 -m pip install -q "${need[@]}" 2>/dev/null \
      || python3 -m pip install -q --break-system-packages "${need[@]}"
  fi
fi
