#!/usr/bin/env bash
# Starts the RHEL stand-in test host: a container (assets/images/rhel-standin) whose RHEL tools
# (dnf, rpm, getenforce, getsebool, setsebool, semanage, restorecon, firewall-cmd, systemctl,
# httpd, apachectl) are stand-in scripts, reached over its real sshd on a 127.0.0.1 port as the
# passwordless-sudo user `deploy`. This is how Capstan's RHEL path is verified: no RHEL can run
# here. The image is built once per content hash of its directory.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
run="$CAPSTAN_TEST_RUN/rhel-host"
context="$root/assets/images/rhel-standin"
hash=$(cd "$context" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
image="capstan-test/rhel-standin:$hash"
name="capstan-test-rhel-host-$$"

if ! docker image inspect "$image" >/dev/null 2>&1; then
	docker build --label dev.capstan.test=rhel-standin -t "$image" "$context" >"$CAPSTAN_TEST_RUN/rhel-host-build.log" 2>&1 || {
		cat "$CAPSTAN_TEST_RUN/rhel-host-build.log" >&2
		exit 1
	}
fi

rm -rf "$run"
install -d -m 0700 "$run"
ssh-keygen -q -t ed25519 -N '' -C capstan-rhel-test -f "$run/id_ed25519"
docker run -d --name "$name" --label dev.capstan.test=rhel-standin \
	-e STANDIN_AUTHORIZED_KEY="$(cat "$run/id_ed25519.pub")" \
	-p 127.0.0.1::22 "$image" >/dev/null
port=$(docker port "$name" 22/tcp | head -n1 | sed 's/.*://')

for _ in $(seq 1 100); do
	ssh -q -p "$port" -i "$run/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null deploy@127.0.0.1 true \
		2>/dev/null && break
	sleep 0.2
done

printf 'docker rm -f %s\n' "$name" >>"$CAPSTAN_TEST_RUN/stop"
{
	echo "CAPSTAN_TEST_RHEL_SSH_PORT=$port"
	echo "CAPSTAN_TEST_RHEL_SSH_USER=deploy"
	echo "CAPSTAN_TEST_RHEL_SSH_KEY=$run/id_ed25519"
	echo "CAPSTAN_TEST_RHEL_CONTAINER=$name"
} >>"$CAPSTAN_TEST_RUN/env"
echo "rhel-host: $name ready on 127.0.0.1:$port"
