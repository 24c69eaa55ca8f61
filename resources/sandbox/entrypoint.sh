#!/bin/sh
# coSPEC sandbox entrypoint: runs as the non-root agent user in a container with no network.
# 1. Starts the relay: 127.0.0.1:3128 inside → the run's egress proxy on the host, reached through
#    the unix socket mounted at /cospec/run/proxy.sock (HTTP_PROXY/HTTPS_PROXY point here).
# 2. Builds the CA bundle that trusts the run's credential gateway, when the instance is https.
# 3. Runs the agent command in /workspace.
set -eu
RUN_DIR=${COSPEC_RUN_DIR:-/cospec/run}

# -b: a 128 KiB transfer buffer (socat's 8 KiB default caps downloads at a fraction of the link).
socat -b 131072 TCP-LISTEN:3128,bind=127.0.0.1,reuseaddr,fork,nodelay "UNIX-CONNECT:$RUN_DIR/proxy.sock" 2>/dev/null &

# Wait until the relay listens (127.0.0.1:3128 is 0100007F:0C38, state 0A = LISTEN) so the agent's
# first request does not race it; checked in /proc so no connection is made to test it.
tries=0
until grep -q '0100007F:0C38 00000000:0000 0A' /proc/net/tcp 2>/dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -gt 500 ]; then echo "coSPEC sandbox: the proxy relay did not start" >&2; exit 70; fi
  sleep 0.01
done

# HOME is on the /tmp tmpfs (the root filesystem is read-only).
mkdir -p -m 700 "${HOME:-/tmp/home}"

if [ -n "${COSPEC_TRUST_SETUP:-}" ]; then sh -c "$COSPEC_TRUST_SETUP"; fi

cd "${COSPEC_WORKSPACE:-/workspace}"
exec /bin/sh -c "$COSPEC_AGENT_COMMAND"
