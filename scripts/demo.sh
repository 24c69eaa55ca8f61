#!/usr/bin/env bash
# `npm run demo`: makes sure the system pieces are there (idempotent: a keyring, Podman, the
# sandbox image), then runs the offline demo inside a private, throw-away keyring session.
set -euo pipefail
cd "$(dirname "$0")/.."
for step in keyring podman sandbox-image; do
  bash "scripts/setup/$step.sh" >/tmp/cospec-demo-setup.log 2>&1 || {
    echo "demo: setting up $step failed; see /tmp/cospec-demo-setup.log" >&2
    exit 1
  }
done
exec bash scripts/with-keyring.sh npx tsx scripts/demo.ts
