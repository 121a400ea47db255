#!/usr/bin/env bash
# Installs the Debian packages the build loads (and, with `test`, the tools the tests call),
# each only when what it provides is missing, all in one apt-get install.
# As root it runs apt-get, waiting for a dpkg lock another apt holds (a fresh cloud machine
# runs unattended upgrades in its first minutes); otherwise it prints the one command to run.
#   tools/setup-system.sh          what `make pdf` needs
#   tools/setup-system.sh test     that, and what `make test` calls
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
need() { missing+=("$1"); }
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig) # not on a user's PATH on Debian
have_library() { "$ldconfig" -p 2>/dev/null | awk '{print $1}' | grep -qxF "$1"; }
have_command() { command -v "$1" >/dev/null 2>&1; }
have_font() { have_command fc-list && fc-list : family 2>/dev/null | grep -qi "$1"; }

# The shared libraries WeasyPrint opens (weasyprint/text/ffi.py), with Fontconfig's tools.
have_library libgobject-2.0.so.0 || need libglib2.0-0
have_library libpango-1.0.so.0 || need libpango-1.0-0
have_library libpangoft2-1.0.so.0 || need libpangoft2-1.0-0
have_library libharfbuzz.so.0 || need libharfbuzz0b
have_library libharfbuzz-subset.so.0 || need libharfbuzz-subset0 # font subsetting: small PDFs, fast
have_library libfontconfig.so.1 || need libfontconfig1
have_command fc-list || need fontconfig
# The fonts the stylesheets and templates name.
have_font "Linux Libertine O" || need fonts-linuxlibertine
have_font "Lato" || need fonts-lato
have_font "WenQuanYi Micro Hei" || need fonts-wqy-microhei
have_font "Noto Serif CJK SC" || need fonts-noto-cjk # the guide's Chinese: a Song face, regular and bold
have_font "DejaVu Sans" || need fonts-dejavu-core
if [ "${1:-}" = test ]; then
  have_command pdftotext || need poppler-utils # pdftotext, pdffonts, pdfimages, pdfinfo
  have_command java || need default-jre-headless # EPUBCheck
  [ -x /usr/bin/chromium ] || need chromium      # Ace by DAISY drives it
  have_command npm || need npm                    # installs Ace by DAISY (brings Node.js)
  have_command strace || need strace              # the test that traces a build's file opens
fi

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages. Run this once, then make again:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
# apt-get waits for the dpkg lock itself (DPkg::Lock::Timeout); the package lists' lock it
# does not wait for (apt 2.6), so `update` is tried again while another apt holds it.
apt_wait() {
  local output tries=0
  until output=$(apt-get -o DPkg::Lock::Timeout=600 "$@" 2>&1); do
    case $output in
      *"Could not get lock"* | *"Unable to lock"* | *"Could not open lock"*)
        [ $tries -eq 0 ] && echo "Another apt is running (unattended upgrades?): waiting for it to finish ..." >&2
        tries=$((tries + 1))
        [ $tries -le 120 ] || { echo "$output" >&2; return 1; }
        sleep 5 ;;
      *) echo "$output" >&2; return 1 ;;
    esac
  done
}
echo "Installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt_wait update -qq
apt_wait install -y -qq --no-install-recommends "${missing[@]}"
fc-cache -f >/dev/null 2>&1 || true
