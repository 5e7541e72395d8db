#!/usr/bin/env bash
# Debian packages the test and benchmark suites use as references and peers:
#   docker-registry (the CNCF distribution registry), skopeo, umoci, bsdtar (libarchive-tools),
#   GNU tar, zstd, attr (setfattr: overlayfs opaque markers). Safe to run again; does nothing when everything is present.
set -euo pipefail
packages=(docker-registry skopeo umoci libarchive-tools tar zstd attr)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The package starts a registry on :5000 through systemd where systemd runs; tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  $sudo systemctl stop docker-registry || true
fi
echo "installed: ${missing[*]}"
