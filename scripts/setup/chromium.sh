#!/usr/bin/env bash
# Debian's Chromium (driven by Playwright in the UI harness through launchOptions.executablePath; we
# never run `npx playwright install`, which downloads and fails offline) and Xvfb for headed runs.
# Idempotent: installs only what is missing and says what it installs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# fonts-inter gives screenshots the typeface the stylesheet asks for first (the app never loads web fonts).
ensure_packages chromium xvfb fonts-dejavu-core fonts-inter
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: chromium: /usr/bin/chromium is missing after install; the UI suite cannot run" >&2
  exit 1
fi
echo "setup: chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1) at /usr/bin/chromium"
