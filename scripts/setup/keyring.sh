#!/usr/bin/env bash
# A real Secret Service for the integration and UI suites (gnome-keyring over D-Bus) and the
# libsecret tools to inspect it. Idempotent: installs only what is missing and says what it installs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_packages gnome-keyring dbus-x11 libsecret-1-0 libsecret-tools
echo "setup: keyring: gnome-keyring, dbus-run-session and secret-tool are present"
