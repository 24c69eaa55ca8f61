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

if [ "${COSPEC_INSIDE_KEYRING_SESSION:-}" != "1" ]; then
  # Re-enter this script inside a private session bus; the bus (and the daemon) die with it.
  export COSPEC_INSIDE_KEYRING_SESSION=1
  exec dbus-run-session -- bash "$0" "$@"
fi

scratch=""
if [ -z "${COSPEC_KEEP_HOME:-}" ]; then
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/cospec-keyring-home.XXXXXX")"
  # Tools that cache under HOME (npm, vitest) keep working from the real one.
  export npm_config_cache="${npm_config_cache:-${HOME:-/root}/.npm}"
  export HOME="$scratch"
  export XDG_DATA_HOME="$scratch/.local/share"
  mkdir -p "$XDG_DATA_HOME/keyrings"
  trap 'rm -rf "$scratch"' EXIT
fi

# --unlock reads the password from stdin and creates the login keyring if it does not exist yet.
eval "$(printf 'cospec-test' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
export GNOME_KEYRING_CONTROL
unset COSPEC_INSIDE_KEYRING_SESSION
"$@"
