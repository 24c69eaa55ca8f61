#!/usr/bin/env bash
# The sandbox base image without a registry: a Debian bookworm minbase root filesystem made by
# debootstrap, with git, curl, CA certificates and socat (the in-container proxy relay), plus a
# non-root "agent" user (uid 1000), imported into Podman as cospec-sandbox-base.
# Idempotent and cached: the root filesystem tarball is kept under ~/.cache/cospec, keyed by a hash
# of this definition, and the image is re-imported only when its label says another definition.
# The app layers the agent's install steps on top (src-main/services/sandbox/image.ts).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

IMAGE="${COSPEC_SANDBOX_BASE_IMAGE:-cospec-sandbox-base}"
SUITE=bookworm
MIRROR="${COSPEC_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PACKAGES="git,curl,ca-certificates,socat,procps"
CONF="${CONTAINERS_CONF:-/etc/cospec/containers.conf}"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/cospec"

ensure_packages debootstrap podman
[ -f "$CONF" ] || { echo "setup: sandbox-image: $CONF is missing; run scripts/setup/podman.sh first" >&2; exit 1; }
podman_() { as_root env CONTAINERS_CONF="$CONF" podman "$@"; }

# Everything that changes the image's content goes into the key (bump "v2" when the steps below change).
DEFINITION="v2 $SUITE minbase $PACKAGES user=agent:1000"
KEY=$(printf '%s' "$DEFINITION" | sha256sum | cut -c1-16)
TARBALL="$CACHE_DIR/sandbox-rootfs-$KEY.tar"

current=$(podman_ image inspect --format '{{ index .Config.Labels "cospec.definition" }}' "$IMAGE" 2>/dev/null || true)
if [ "$current" = "$KEY" ]; then
  echo "setup: sandbox-image: $IMAGE is up to date (definition $KEY)"
  exit 0
fi

mkdir -p "$CACHE_DIR"
if [ ! -s "$TARBALL" ]; then
  work=$(mktemp -d /var/tmp/cospec-rootfs.XXXXXX)
  trap 'as_root rm -rf "$work"' EXIT
  echo "setup: sandbox-image: debootstrap $SUITE (minbase + $PACKAGES), about 2 minutes"
  as_root debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$work/root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; echo "setup: sandbox-image: debootstrap failed" >&2; exit 1; }
  # The agent runs as this user; /workspace is where the clone is mounted.
  as_root chroot "$work/root" /usr/sbin/useradd --create-home --uid 1000 --user-group --shell /bin/bash agent
  as_root mkdir -p "$work/root/workspace" "$work/root/opt/cospec"
  as_root chown 1000:1000 "$work/root/workspace"
  # Smaller image: apt caches and lists are rebuilt by any later apt-get update.
  as_root rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"* "$work/root/var/log/"*
  as_root tar -C "$work/root" -cf "$TARBALL.part" .
  as_root mv "$TARBALL.part" "$TARBALL"
  # Older cached root filesystems are from other definitions.
  find "$CACHE_DIR" -maxdepth 1 -name 'sandbox-rootfs-*.tar' ! -name "sandbox-rootfs-$KEY.tar" -delete
else
  echo "setup: sandbox-image: using the cached root filesystem $TARBALL"
fi

podman_ import --quiet \
  --change 'CMD ["/bin/bash"]' \
  --change 'USER agent' \
  --change 'WORKDIR /workspace' \
  --change 'ENV HOME=/home/agent' \
  --change "LABEL cospec.definition=$KEY" \
  "$TARBALL" "$IMAGE" >/dev/null
echo "setup: sandbox-image: imported $IMAGE (definition $KEY)"
