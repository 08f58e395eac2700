#!/bin/sh
# Starts the stand-in host: sshd in the foreground, and a stand-in for the stack's published port
# (127.0.0.1:8000 answering /api/health) so the reverse proxy has an upstream.
set -eu
if [ -n "${STANDIN_AUTHORIZED_KEY:-}" ]; then
	printf '%s\n' "$STANDIN_AUTHORIZED_KEY" >/home/deploy/.ssh/authorized_keys
	chown deploy:deploy /home/deploy/.ssh/authorized_keys
	chmod 0600 /home/deploy/.ssh/authorized_keys
fi
ssh-keygen -A >/dev/null
install -d /run/sshd /run/httpd /run/systemd/system
busybox httpd -p 127.0.0.1:8000 -h /srv/upstream
exec /usr/sbin/sshd -D -e -o PasswordAuthentication=no
