#!/usr/bin/env bash
# install-deps.sh — install the Debian/Ubuntu packages KeyDock's tests use (real peers, not mocks).
#
# Usage: scripts/install-deps.sh [--list]
# Idempotent: when every package is present it only asks dpkg and exits in well under a second.
# Needs root or passwordless sudo; non-interactive, safe in CI. Service start-up during the
# install is suppressed so installing openssh-server never starts a system sshd.
set -euo pipefail

PKGS=(openssh-client openssh-server putty-tools putty gnome-keyring dbus dbus-daemon libsecret-tools
      chromium xvfb xauth fonts-liberation python3 ca-certificates
      wine wine64    # Wine runs Windows node.exe for the Windows transport tests
      openssh-tests make gdb libcap2-bin    # OpenSSH's own regression suite run against KeyDock's agent
      softhsm2 opensc)                      # PKCS#11: SoftHSM as the token, pkcs11-tool (docs/hardware-keys.md)
TOOLS=(ssh sshd ssh-keygen ssh-agent ssh-add puttygen plink pageant gnome-keyring-daemon dbus-run-session
       secret-tool chromium wine make gdb setcap setpriv softhsm2-util pkcs11-tool)
# Files (no binary on PATH) that a package above must have put in place.
FILES=(/usr/lib/openssh/regress/run-tests)

say() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

if [ "${1:-}" = "--list" ]; then printf '%s\n' "${PKGS[@]}"; exit 0; fi
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install the packages listed by --list with your package manager"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "run as root (or with sudo available)"
  SUDO=(sudo -n)
fi

missing=()
for p in "${PKGS[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o Dpkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
  policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  trap '[ "$policy_added" = 1 ] && "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
  log=$(mktemp)
  if ! "${APT[@]}" install -y "${missing[@]}" >"$log" 2>&1 </dev/null; then
    say "install with cached package lists failed; running apt-get update"
    "${APT[@]}" update >"$log" 2>&1 </dev/null || { tail -n 20 "$log" >&2; die "apt-get update failed"; }
    "${APT[@]}" install -y "${missing[@]}" >"$log" 2>&1 </dev/null || { tail -n 30 "$log" >&2; die "apt-get install failed"; }
  fi
  rm -f "$log"
else
  say "all ${#PKGS[@]} packages already installed"
fi

absent=()
for b in "${TOOLS[@]}"; do command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || absent+=("$b"); done
for f in "${FILES[@]}"; do [ -e "$f" ] || absent+=("$f"); done
[ "${#absent[@]}" -eq 0 ] || die "still missing after install: ${absent[*]}"
say "ok: ${TOOLS[*]} ${FILES[*]}"
