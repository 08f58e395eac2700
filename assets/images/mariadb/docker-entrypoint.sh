#!/bin/bash
# Entrypoint of the locally built MariaDB base image (see scripts/base-images).
#
# It behaves like the official image's entrypoint for the variables Capstan and most users rely on:
# MARIADB_ROOT_PASSWORD, MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD, each also as a *_FILE
# variant read from a file, and MARIADB_RANDOM_ROOT_PASSWORD / MARIADB_ALLOW_EMPTY_ROOT_PASSWORD.
# The data directory is initialised on first start only; later starts keep what is there.
set -euo pipefail

log() { printf '%s [Note] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*"; }
fail() { printf '%s [ERROR] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; exit 1; }

# file_env VAR: sets VAR from VAR or from the file named by VAR_FILE (not both).
file_env() {
	local var="$1" file_var="${1}_FILE"
	local val="${!var:-}" file="${!file_var:-}"
	if [ -n "$val" ] && [ -n "$file" ]; then
		fail "both $var and $file_var are set; use one"
	fi
	if [ -n "$file" ]; then
		[ -r "$file" ] || fail "$file_var names $file, which cannot be read"
		val="$(< "$file")"
	fi
	export "$var"="$val"
	unset "$file_var"
}

# Let `docker run IMAGE bash` and friends through untouched.
if [ "${1:0:1}" = '-' ]; then
	set -- mariadbd "$@"
fi
if [ "$1" != 'mariadbd' ] && [ "$1" != 'mysqld' ]; then
	exec "$@"
fi

for v in MARIADB_ROOT_PASSWORD MARIADB_PASSWORD MARIADB_USER MARIADB_DATABASE; do
	file_env "$v"
done

DATADIR=/var/lib/mysql
install -d -o mysql -g mysql -m 0755 /run/mysqld
chown mysql:mysql "$DATADIR"

if [ ! -d "$DATADIR/mysql" ]; then
	if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "${MARIADB_RANDOM_ROOT_PASSWORD:-}" ] \
		&& [ -z "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" ]; then
		fail "database is uninitialized and no root password option is set" \
			"(MARIADB_ROOT_PASSWORD[_FILE], MARIADB_RANDOM_ROOT_PASSWORD or" \
			"MARIADB_ALLOW_EMPTY_ROOT_PASSWORD)"
	fi
	if [ -n "${MARIADB_RANDOM_ROOT_PASSWORD:-}" ]; then
		MARIADB_ROOT_PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
		log "GENERATED ROOT PASSWORD: $MARIADB_ROOT_PASSWORD"
	fi

	log "initializing database files"
	mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db \
		--auth-root-authentication-method=normal >/dev/null

	log "starting temporary server"
	mariadbd --user=mysql --datadir="$DATADIR" --skip-networking \
		--socket=/run/mysqld/init.sock &
	pid=$!
	for _ in $(seq 1 300); do
		mariadb --no-defaults -S /run/mysqld/init.sock -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || fail "temporary server exited during initialization"
		sleep 0.1
	done

	# SQL string literal: double every backslash and single quote.
	sql_escape() { printf '%s' "$1" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/''/g"; }
	{
		echo "SET @@SESSION.SQL_LOG_BIN=0;"
		echo "DELETE FROM mysql.user WHERE user='' OR host NOT IN ('localhost');"
		root_pw="$(sql_escape "$MARIADB_ROOT_PASSWORD")"
		echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_pw';"
		echo "CREATE USER 'root'@'%' IDENTIFIED BY '$root_pw';"
		echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
		if [ -n "$MARIADB_DATABASE" ]; then
			echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"
		fi
		if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
			user_pw="$(sql_escape "$MARIADB_PASSWORD")"
			echo "CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$user_pw';"
			if [ -n "$MARIADB_DATABASE" ]; then
				echo "GRANT ALL ON \`$MARIADB_DATABASE\`.* TO '$MARIADB_USER'@'%';"
			fi
		fi
		echo "FLUSH PRIVILEGES;"
	} | mariadb --no-defaults -S /run/mysqld/init.sock -uroot

	kill -TERM "$pid"
	wait "$pid" || true
	log "database initialized"
fi

unset MARIADB_ROOT_PASSWORD MARIADB_PASSWORD
exec "$@" --user=mysql --datadir="$DATADIR" --bind-address=0.0.0.0 --skip-name-resolve
