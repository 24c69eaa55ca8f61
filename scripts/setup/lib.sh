# Shared helpers for the scripts/setup/*.sh steps. Sourced, not run.
# ensure_packages PKG... installs the Debian/Ubuntu packages that are missing, and nothing else.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1; then sudo "$@";
  else echo "setup: need root to run: $*  (re-run as root or install sudo)" >&2; return 1; fi
}

ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing system packages: ${missing[*]}; this script knows only apt-get (Debian/Ubuntu). Install them with your package manager and re-run." >&2
    return 1
  fi
  echo "setup: installing ${missing[*]}"
  local stamp=/tmp/cospec-apt-updated
  if [ ! -f "$stamp" ]; then
    as_root flock /tmp/apt.lock apt-get update -qq || { echo "setup: apt-get update failed (no network to the Debian mirror?)" >&2; return 1; }
    touch "$stamp"
  fi
  as_root env DEBIAN_FRONTEND=noninteractive flock /tmp/apt.lock apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "setup: apt-get install ${missing[*]} failed" >&2; return 1; }
}
