#!/usr/bin/env bash
# Installs Ace by DAISY (npm, from package-lock.json) and Debian's chromium, which Ace drives.
# As root it runs apt-get; otherwise it prints the command to run and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian's chromium for Ace by DAISY" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Ace by DAISY needs chromium: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
if ! command -v npm >/dev/null; then
  echo "Ace by DAISY needs Node.js and npm: sudo apt-get install -y nodejs npm" >&2
  exit 1
fi
ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
