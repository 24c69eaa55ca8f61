#!/usr/bin/env bash
# Rootful Podman serving the Docker Engine API on a unix socket, for the sandbox.
# Idempotent: installs only missing packages, rewrites the config only when it changed, and starts
# `podman system service` only when nothing answers on the socket yet.
#
# Why a config of our own: on hosts with hybrid cgroup v1 crun cannot run containers (use runc), and
# when root lacks CAP_SYS_RESOURCE the stock rlimits fail; podman 4.3 also swaps soft/hard of
# default_ulimits over the API, so soft == hard. CONTAINERS_CONF makes podman read only this file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SOCKET="${COSPEC_CONTAINER_SOCKET:-/run/cospec/podman.sock}"
CONF_DIR="${COSPEC_CONTAINERS_CONF_DIR:-/etc/cospec}"
CONF="$CONF_DIR/containers.conf"
LOG="${COSPEC_PODMAN_LOG:-/var/log/cospec-podman.log}"

ensure_packages curl podman runc conmon uidmap nftables iptables iproute2 debootstrap socat \
  containernetworking-plugins golang-github-containers-common

want_conf='# Written by scripts/setup/podman.sh (coSPEC). Read through CONTAINERS_CONF.
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
'
as_root mkdir -p "$CONF_DIR"
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$(printf '%s' "$want_conf")" ]; then
  printf '%s' "$want_conf" | as_root tee "$CONF" >/dev/null
  echo "setup: podman: wrote $CONF"
fi

# Answers if a GET /_ping on the socket returns OK.
engine_answers() {
  [ -S "$SOCKET" ] && as_root curl -sf --max-time 3 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1
}

if engine_answers; then
  echo "setup: podman: API already answering on $SOCKET"
else
  as_root mkdir -p "$(dirname "$SOCKET")"
  as_root rm -f "$SOCKET"
  # setsid + nohup: the service must outlive this script and the shell that ran it. It runs in the
  # socket's folder, not the checkout: conmon leaves an `oom` file in the service's working
  # directory when the memory limit kills a container (the sandbox tests do that on purpose).
  pushd "$(dirname "$SOCKET")" >/dev/null
  as_root env CONTAINERS_CONF="$CONF" setsid nohup podman system service --time=0 "unix://$SOCKET" \
    >>"$LOG" 2>&1 </dev/null &
  popd >/dev/null
  for _ in $(seq 1 50); do
    engine_answers && break
    sleep 0.2
  done
  engine_answers || { echo "setup: podman: the API did not come up on $SOCKET; see $LOG" >&2; exit 1; }
  echo "setup: podman: started 'podman system service' on $SOCKET (log: $LOG)"
fi
as_root env CONTAINERS_CONF="$CONF" podman --version
echo "setup: podman: use CONTAINERS_CONF=$CONF for the podman CLI; the app talks to $SOCKET"
