#!/usr/bin/env bash
# Accessibility check of an EPUB with Ace by DAISY (headless Chromium through Puppeteer).
#
# Usage: tools/ace_check.sh BOOK.epub OUTDIR
#
# Writes Ace's report (report.json, report.html, data/) to OUTDIR, with Ace's log in
# OUTDIR/ace.log, and prints a one-line summary of the violations by impact.
# Exit status: 0 if Ace's outcome is "pass", 1 if "fail", 2 on usage error or if Ace
# did not produce a report, 3 if Ace or Chromium is not installed.
#
# Install once: npm ci (with ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1)
# and, as root, apt-get install -y chromium. Ace itself launches Chromium with
# --no-sandbox --disable-setuid-sandbox and headless, so it runs as root and offline.
set -uo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BOOK.epub OUTDIR" >&2
  exit 2
fi
book=$1
outdir=$2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ace="$root/node_modules/.bin/ace-puppeteer"
chromium=${PUPPETEER_EXECUTABLE_PATH:-/usr/bin/chromium}

if [ ! -x "$ace" ] || [ ! -x "$chromium" ] || ! command -v node >/dev/null 2>&1; then
  echo "Ace by DAISY is not installed: run npm ci (and apt-get install chromium)" >&2
  exit 3
fi
if [ ! -f "$book" ]; then
  echo "$0: no such EPUB: $book" >&2
  exit 2
fi

mkdir -p "$outdir" || exit 2
rm -f "$outdir/report.json"
log="$outdir/ace.log"

# -f: overwrite an existing report in OUTDIR. Ace's log goes to ace.log (its colour
# codes included); it is shown only if no report comes out.
PUPPETEER_EXECUTABLE_PATH="$chromium" "$ace" -f -o "$outdir" "$book" >"$log" 2>&1
ace_status=$?

if [ ! -s "$outdir/report.json" ]; then
  echo "Ace failed (exit $ace_status) without writing $outdir/report.json; last lines of $log:" >&2
  tail -n 20 "$log" >&2
  exit 2
fi

python3 - "$outdir/report.json" "$book" <<'PY'
import json
import sys
from collections import Counter

path, book = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    report = json.load(f)

outcome = report.get("earl:result", {}).get("earl:outcome", "unknown")
impacts = Counter()
rules = Counter()
failing_docs = set()
for doc in report.get("assertions", []):
    for a in doc.get("assertions", []):
        if a.get("earl:result", {}).get("earl:outcome") != "fail":
            continue
        test = a.get("earl:test", {})
        impacts[test.get("earl:impact", "unknown")] += 1
        rules[test.get("dct:title", "?")] += 1
        failing_docs.add(doc.get("earl:testSubject", {}).get("url", "?"))

order = ["critical", "serious", "moderate", "minor"]
order += sorted(k for k in impacts if k not in order)
by_impact = ", ".join(f"{k} {impacts[k]}" for k in order)
total = sum(impacts.values())
line = f"Ace {outcome}: {total} violation{'s' if total != 1 else ''} ({by_impact})"
if total:
    line += f" in {len(failing_docs)} document{'s' if len(failing_docs) != 1 else ''}"
    line += "; rules: " + ", ".join(f"{r} x{n}" for r, n in rules.most_common())
print(f"{line} [{book}; report: {path}]")
sys.exit(0 if outcome == "pass" else 1)
PY
