#!/usr/bin/env bash
# OpenSSH server and client, for the remote-engine tests: the test harness starts its own
# sshd on 127.0.0.1 with a throw-away host key and config (test/integration/sandbox/remote-engine-harness.ts),
# so this only installs the binaries; it never enables or starts the system's sshd service.
# Idempotent and fast when already installed (ensure_packages installs only what is missing).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# On hosts with an init system apt may also enable the system sshd; the tests never rely on it.
ensure_packages openssh-client openssh-server
# sshd refuses to start without its privilege-separation directory.
[ -d /run/sshd ] || as_root mkdir -p -m 0755 /run/sshd
echo "setup: sshd: $(/usr/sbin/sshd -V 2>&1 | head -1)"
