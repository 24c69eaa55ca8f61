#!/usr/bin/env bash
# Runs CMD... with a real, unlocked Secret Service: a private D-Bus session (dbus-run-session) and
# gnome-keyring-daemon (secrets component only) unlocked with a throw-away password. HOME points at
# a scratch folder so the keyring file ($HOME/.local/share/keyrings) never touches the user's own,
# unless COSPEC_KEEP_HOME=1. Install the pieces first with scripts/setup/keyring.sh.
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: scripts/with-keyring.sh CMD [ARGS...]" >&2
  exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-keyring: $tool is missing; run: bash scripts/setup/keyring.sh" >&2
    exit 127
  fi
done
PASSWORD='cospec-test'

if [ "${COSPEC_INSIDE_KEYRING_SESSION:-}" != "1" ]; then
  # Everything of this session lives in one scratch folder, removed when CMD ends: the keyring's
  # HOME, and the bus's configuration with its own activation file for the Secret Service.
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/cospec-keyring-home.XXXXXX")"
  trap 'rm -rf "$scratch"' EXIT
  home="$scratch"
  [ -n "${COSPEC_KEEP_HOME:-}" ] && home="${HOME:-/root}"
  mkdir -p "$scratch/dbus-services" "$home/.local/share/keyrings"
  # If the daemon ever stops mid-run, the bus starts the Secret Service again on the next call.
  # Debian's own activation file starts it locked (its password comes from the login), and a locked
  # keyring refuses every write and hides every item: a long suite would fail from that moment on.
  # This one starts it unlocked, on the same keyring file, and notes that it had to.
  cat >"$scratch/secret-service.sh" <<EOF
#!/bin/sh
echo "\$(date +%T)" >>"$scratch/restarts"
export HOME="$home" XDG_DATA_HOME="$home/.local/share"
printf '%s' '$PASSWORD' | exec gnome-keyring-daemon --foreground --unlock --components=secrets >>"$scratch/daemon.log" 2>&1
EOF
  chmod +x "$scratch/secret-service.sh"
  printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s\n' "$scratch/secret-service.sh" \
    >"$scratch/dbus-services/org.freedesktop.secrets.service"
  # Service folders listed first win over the standard ones the session configuration adds.
  cat >"$scratch/session.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <servicedir>$scratch/dbus-services</servicedir>
  <include>/usr/share/dbus-1/session.conf</include>
</busconfig>
EOF
  status=0
  COSPEC_INSIDE_KEYRING_SESSION=1 COSPEC_KEYRING_HOME="$home" \
    dbus-run-session --config-file="$scratch/session.conf" -- bash "$0" "$@" || status=$?
  if [ -s "$scratch/restarts" ]; then
    echo "with-keyring: the keyring daemon stopped during the run and was started again at: $(tr '\n' ' ' <"$scratch/restarts")" >&2
  fi
  exit "$status"
fi

if [ -z "${COSPEC_KEEP_HOME:-}" ]; then
  # Tools that cache under HOME (npm, vitest) keep working from the real one.
  export npm_config_cache="${npm_config_cache:-${HOME:-/root}/.npm}"
  export HOME="$COSPEC_KEYRING_HOME"
  export XDG_DATA_HOME="$HOME/.local/share"
fi

# --unlock reads the password from stdin and creates the login keyring if it does not exist yet.
eval "$(printf '%s' "$PASSWORD" | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
export GNOME_KEYRING_CONTROL
unset COSPEC_INSIDE_KEYRING_SESSION COSPEC_KEYRING_HOME
"$@"
