#!/usr/bin/env bash
# Starts a real OpenSSH server on 127.0.0.1:2222 for the SSH and provisioning tests: its own
# config and host key under $CAPSTAN_TEST_RUN/sshd (nothing in /etc/ssh is used or changed), a
# login user with a client key and passwordless sudo, and a second user whose sudo wants a
# password. Re-running stops the previous server first and keeps the keys.
set -euo pipefail

run="$CAPSTAN_TEST_RUN/sshd"
port=2222
user=capstan-deploy
pw_user=capstan-sudopw

# Stop a server left by an earlier run. A killed daemon stays <defunct> until PID 1 reaps it.
if [ -f "$run/sshd.pid" ]; then
	pid="$(cat "$run/sshd.pid")"
	if kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq 1 50); do
			state="$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1 || true)"
			{ [ -z "$state" ] || [ "$state" = Z ]; } && break
			sleep 0.1
		done
	fi
	rm -f "$run/sshd.pid"
fi

install -d -m 0755 "$run"
install -d -m 0755 /run/sshd # sshd refuses to start without its privilege separation directory

# Keys: the server's host key and the client key the test users accept.
[ -f "$run/ssh_host_ed25519_key" ] ||
	ssh-keygen -q -t ed25519 -N '' -C capstan-test-host -f "$run/ssh_host_ed25519_key"
[ -f "$run/client_ed25519" ] ||
	ssh-keygen -q -t ed25519 -N '' -C capstan-test-client -f "$run/client_ed25519"

# Users: both locked for passwords (pubkey only). The first may sudo without a password, the
# second only with one, so `sudo -n` fails for it with "a password is required".
for u in "$user" "$pw_user"; do
	id "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$u"
	home="$(getent passwd "$u" | cut -d: -f6)"
	install -d -m 0700 -o "$u" -g "$u" "$home/.ssh"
	install -m 0600 -o "$u" -g "$u" "$run/client_ed25519.pub" "$home/.ssh/authorized_keys"
done
printf '%s ALL=(ALL) NOPASSWD:ALL\n%s ALL=(ALL) ALL\n' "$user" "$pw_user" >"$run/sudoers"
visudo -cqf "$run/sudoers"
install -m 0440 -o root -g root "$run/sudoers" /etc/sudoers.d/90-capstan-test

cat >"$run/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $run/ssh_host_ed25519_key
PidFile $run/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM yes
LogLevel VERBOSE
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
/usr/sbin/sshd -t -f "$run/sshd_config"
/usr/sbin/sshd -f "$run/sshd_config" -E "$run/sshd.log"

# Ready when a real client logs in and sudo works.
ok=""
for _ in $(seq 1 50); do
	if ssh -p "$port" -i "$run/client_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		"$user@127.0.0.1" sudo -n true 2>/dev/null; then
		ok=1
		break
	fi
	sleep 0.1
done
if [ -z "$ok" ]; then
	echo "sshd: not ready on 127.0.0.1:$port; its log:" >&2
	cat "$run/sshd.log" >&2
	exit 1
fi

printf 'kill -TERM %s\n' "$(cat "$run/sshd.pid")" >>"$CAPSTAN_TEST_RUN/stop"
cat >>"$CAPSTAN_TEST_RUN/env" <<EOF
CAPSTAN_TEST_SSH_HOST=127.0.0.1
CAPSTAN_TEST_SSH_PORT=$port
CAPSTAN_TEST_SSH_USER=$user
CAPSTAN_TEST_SSH_KEY=$run/client_ed25519
CAPSTAN_TEST_SSH_HOST_KEY_PUB=$run/ssh_host_ed25519_key.pub
CAPSTAN_TEST_SSH_SUDO_PASSWORD_USER=$pw_user
EOF
echo "sshd: ready on 127.0.0.1:$port (user $user)"
