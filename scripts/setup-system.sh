#!/usr/bin/env bash
# Installs what the test suites and the demo need from the system (idempotent; prints what it does):
# a real Secret Service (gnome-keyring), Debian's Chromium for the UI harness, rootful Podman and
# the offline-built sandbox image, and sshd (the remote-engine tests reach Podman over ssh). Each step lives in scripts/setup/ and can be run on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
for step in keyring chromium podman sandbox-image sshd; do
  script="scripts/setup/$step.sh"
  [ -f "$script" ] || continue
  echo "setup: $step"
  bash "$script"
done
echo "setup: done"
