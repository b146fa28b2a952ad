#!/usr/bin/env bash
# One command to run fewclick locally on Debian 12 with Swift 6.3: installs the system libraries,
# builds the release binaries, and starts endpoint + proxy + gateway on loopback (`fewclick up`).
# Extra arguments go to `fewclick up` (see `.build/release/fewclick up --help`). Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/local/install-deps.sh
swift build -c release
exec .build/release/fewclick up --ui-dir infra/groundtruth "$@"
