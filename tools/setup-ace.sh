#!/usr/bin/env bash
# Installs Ace by DAISY from package-lock.json (npm), without the browser downloads: Ace drives
# Debian's chromium, which `tools/setup-system.sh test` installs with Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-system.sh test
ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
