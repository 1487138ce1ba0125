#!/usr/bin/env bash
# Makes sure Debian's `chromium` is at /usr/bin/chromium (or $OPSAGENT_CHROMIUM), for the dashboard's browser spec
# (test/e2e/dashboard.e2e.spec.ts drives it with playwright-core, which ships no browser of its own).
#
# When it is missing this installs Debian's `chromium` package with apt-get (as root, non-interactively: CI is a
# fresh Debian machine with no stdin); when the install fails (an old or empty package list) it runs apt-get update
# and tries once more. Parallel callers (Jest workers, several clones on one machine) take a machine-wide lock, so
# only the first one installs. Idempotent: does nothing when the browser is there. Exits non-zero with the reason
# when it cannot install it, so the spec fails rather than skips.
set -euo pipefail

browser="${OPSAGENT_CHROMIUM:-/usr/bin/chromium}"
have_it() { [ -x "$browser" ]; }

if have_it; then
  exit 0
fi

lock="${TMPDIR:-/tmp}/opsagent-setup-chromium.lock"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$lock"
  flock 9
  if have_it; then
    exit 0
  fi
fi

if [ "$(id -u)" != 0 ]; then
  echo "setup-chromium: $browser is missing and installing Debian's chromium package needs root; install it (apt-get install -y chromium) or set OPSAGENT_CHROMIUM to a Chromium binary" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-chromium: $browser is missing and there is no apt-get to install Debian's chromium package; set OPSAGENT_CHROMIUM to a Chromium binary" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
install() {
  # Another apt/dpkg run on the machine (not ours) may hold the dpkg lock for a while: wait for it rather than fail.
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium </dev/null >&2
}
echo "setup-chromium: installing Debian's chromium package" >&2
if ! install; then
  echo "setup-chromium: the install failed; updating the package lists and trying again" >&2
  apt-get -o DPkg::Lock::Timeout=300 update -qq </dev/null >&2
  install
fi

if ! have_it; then
  echo "setup-chromium: the chromium package installed no $browser" >&2
  exit 1
fi
echo "setup-chromium: installed $("$browser" --version 2>/dev/null | head -n 1)" >&2
