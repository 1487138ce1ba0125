#!/usr/bin/env bash
# Makes sure `promtool` (Prometheus' rule and metrics checker, and its TSDB backfiller) and `prometheus` (the server
# the Prometheus usage-source specs and the bench query) are on PATH, for the specs that run them.
#
# Both come with Debian's `prometheus` package (2.42 on bookworm). When it is missing this installs that package
# with apt-get (as root, non-interactively: CI is a fresh Debian machine with no stdin). Parallel callers (one per
# Jest worker, or several clones on one machine) take a machine-wide lock, so only the first one installs and the
# others find promtool when they get the lock. Idempotent: does nothing when promtool is already there. Exits non-zero
# with the reason when it cannot install it, so the specs fail rather than skip.
set -euo pipefail

have_both() { command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; }

if have_both; then
  exit 0
fi

lock="${TMPDIR:-/tmp}/opsagent-setup-promtool.lock"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$lock"
  flock 9
  if have_both; then
    exit 0
  fi
fi

if [ "$(id -u)" != 0 ]; then
  echo "setup-promtool: promtool or prometheus is not on PATH and installing Debian's prometheus package needs root; install it (apt-get install -y prometheus) or put promtool and prometheus on PATH" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-promtool: promtool or prometheus is not on PATH and there is no apt-get to install Debian's prometheus package; put them on PATH" >&2
  exit 1
fi

echo "setup-promtool: installing Debian's prometheus package (for promtool)" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt/dpkg run on the machine (not ours) holds the dpkg lock for a while: wait for it rather than fail.
apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
# The package would also start its Prometheus server (on :9090, the agent's metrics port) where an init system runs:
# a policy-rc.d that answers 101 ("action forbidden") keeps every service it installs stopped.
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
fi
trap '[ -n "$own_policy" ] && rm -f "$policy"' EXIT
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends prometheus </dev/null >&2

if ! have_both; then
  echo "setup-promtool: the prometheus package installed no promtool or no prometheus on PATH" >&2
  exit 1
fi
echo "setup-promtool: installed $(promtool --version 2>&1 | head -n 1)" >&2
