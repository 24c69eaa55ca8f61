#!/bin/sh
# coSPEC sandbox entrypoint: runs as the non-root agent user. The container's only way out is the
# run's egress proxy, outside the container (src-main/services/sandbox/egress-route.ts):
# - COSPEC_EGRESS=socket: no network at all; a relay started here forwards 127.0.0.1:3128 to the
#   proxy's unix socket mounted at /cospec/run/proxy.sock (relay.pl, copied there with it), or
#   first hands its listener to the app (handoff.sock there).
# - COSPEC_EGRESS=network: only a per-run internal network, where the relay container listens at
#   COSPEC_PROXY_ADDR; HTTP_PROXY/HTTPS_PROXY carry the run's proxy credentials.
# Then it builds the CA bundle that trusts the run's credential gateway (https instances) and runs
# the agent command in /workspace.
set -eu
RUN_DIR=${COSPEC_RUN_DIR:-/cospec/run}
EGRESS=${COSPEC_EGRESS:-socket}

tries=0
wait_tick() {
  tries=$((tries + 1))
  if [ "$tries" -gt 500 ]; then echo "coSPEC sandbox: the egress proxy relay did not start ($EGRESS)" >&2; exit 70; fi
  sleep 0.01
}

if [ "$EGRESS" = socket ]; then
  # One process relays every connection (relay.pl); a fork per connection would add milliseconds to
  # each request. It returns once 127.0.0.1:3128 accepts: handed to the app's proxy when the app
  # waits for it (COSPEC_EGRESS_HANDOFF), else relayed by a child it leaves running.
  offer=""
  if [ -n "${COSPEC_EGRESS_HANDOFF:-}" ]; then offer="--hand-off unix:$RUN_DIR/handoff.sock"; fi
  # shellcheck disable=SC2086 # $offer is two words or none.
  if ! perl "$RUN_DIR/relay.pl" $offer --detach 127.0.0.1 3128 "unix:$RUN_DIR/proxy.sock" 2>/dev/null; then
    echo "coSPEC sandbox: the egress proxy relay did not start ($EGRESS)" >&2
    exit 70
  fi
else
  # The relay container was started just before this one; wait until it accepts connections.
  host=${COSPEC_PROXY_ADDR%:*}
  port=${COSPEC_PROXY_ADDR##*:}
  until bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; do wait_tick; done
fi

# HOME is on the /tmp tmpfs (the root filesystem is read-only).
mkdir -p -m 700 "${HOME:-/tmp/home}"

if [ -n "${COSPEC_TRUST_SETUP:-}" ]; then sh -c "$COSPEC_TRUST_SETUP"; fi

cd "${COSPEC_WORKSPACE:-/workspace}"
exec /bin/sh -c "$COSPEC_AGENT_COMMAND"
