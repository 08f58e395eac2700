#!/usr/bin/env bash
# Installs the Debian packages the tests need, when any is missing.
set -euo pipefail

packages=(
	mariadb-server mariadb-client openssh-server openssh-client apache2 sudo curl
	debootstrap tmux chromium chromium-driver ca-certificates
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "packages: all present"
	exit 0
fi

echo "packages: installing ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
