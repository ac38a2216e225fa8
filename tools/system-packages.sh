#!/usr/bin/env bash
# Install the Debian packages of bindep.txt (every dpkg line, the test profile included) that are missing.
# As root, with apt-get: installs them (CI runs as root on a fresh machine). Otherwise: names them and fails, since
# pypsrp[kerberos] cannot build and the lab's KDC cannot start without them.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dpkg-query >/dev/null 2>&1 || { echo "system-packages: not a Debian system; install what bindep.txt lists"; exit 0; }
# A line is "name [profiles and platforms]": keep the names whose brackets say platform:dpkg (or name no platform).
wanted=$(sed -e 's/#.*//' bindep.txt | awk 'NF { name=$1; rest=substr($0, length($1) + 1);
  if (rest !~ /platform:/ || rest ~ /platform:dpkg/) print name }')
missing=()
for pkg in $wanted; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-packages: missing Debian packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "system-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The packages' own services are not started: the lab runs its KDC on loopback from its own kdc.conf.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
