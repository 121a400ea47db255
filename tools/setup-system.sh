#!/usr/bin/env bash
# Installs the Debian packages the build needs, when they are missing.
# As root it runs apt-get; otherwise it prints the one command to run and fails.
set -euo pipefail
packages=(fonts-linuxlibertine fonts-lato fonts-wqy-microhei libharfbuzz-subset0 poppler-utils default-jre-headless)
missing=()
fc-list | grep -q "Linux Libertine O" || missing+=(fonts-linuxlibertine)
fc-list | grep -q "Lato" || missing+=(fonts-lato)
fc-list | grep -q "WenQuanYi Micro Hei" || missing+=(fonts-wqy-microhei)
ldconfig -p | grep -q "libharfbuzz-subset.so.0" || missing+=(libharfbuzz-subset0)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v java >/dev/null || missing+=(default-jre-headless)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fc-cache -f >/dev/null 2>&1 || true
else
  echo "Missing system packages. Run this once, then make again:" >&2
  echo "  sudo apt-get install -y ${packages[*]}" >&2
  exit 1
fi
