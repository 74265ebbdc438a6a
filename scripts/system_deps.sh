#!/usr/bin/env bash
# The Debian packages the test suite needs, installed with apt when this user can (root, or sudo
# without a password); otherwise one line saying what to install, and a non-zero exit, so that
# `make test` never skips the browser, PDF or rendering tests silently. Fast when all are there.
#   libegl1 libegl-mesa0 libgl1-mesa-dri  Mesa's software EGL for the validation studio renderer
#   poppler-utils                         pdftotext / pdftoppm for the PDF report test
#   chromium                              the real-browser tests (Playwright drives /usr/bin/chromium)
#   postgresql                            the history store against PostgreSQL
#   strace                                the no-network test records attempted connections
# LUMBAR_ROM_SKIP_SYSTEM_DEPS=1 skips this check on purpose (it says so).
set -euo pipefail

PACKAGES=(libegl1 libegl-mesa0 libgl1-mesa-dri poppler-utils chromium postgresql strace)

if [ "${LUMBAR_ROM_SKIP_SYSTEM_DEPS:-}" = "1" ]; then
  echo "system packages: not checked (LUMBAR_ROM_SKIP_SYSTEM_DEPS=1); tests that need them fail." >&2
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "make test needs these Debian packages (or your system's equivalents): ${PACKAGES[*]};" \
    "install them, then run with LUMBAR_ROM_SKIP_SYSTEM_DEPS=1." >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null)" != "ii " ]; then
    missing+=("$pkg")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "make test needs: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "system packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq >/dev/null
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
