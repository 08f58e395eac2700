#!/usr/bin/env bash
# Starts a throwaway MariaDB server on 127.0.0.1:3307 with its own data directory, and a test
# account the app's integration tests use.
set -euo pipefail

run="$CAPSTAN_TEST_RUN/mariadb"
port=3307
if [ -f "$run/mariadbd.pid" ] && kill -0 "$(cat "$run/mariadbd.pid")" 2>/dev/null; then
	kill -TERM "$(cat "$run/mariadbd.pid")" || true
	sleep 2
fi
rm -rf "$run"
install -d -o mysql -g mysql "$run" "$run/data"

mariadb-install-db --user=mysql --datadir="$run/data" --auth-root-authentication-method=socket \
	--skip-test-db >"$run/install.log" 2>&1
# --pidfile: without it start-stop-daemon takes any mariadbd on the machine (one in a container,
# say) for this one and refuses to start.
start-stop-daemon --start --background --make-pidfile --pidfile "$run/ssd.pid" --chuid mysql \
	--exec /usr/sbin/mariadbd -- \
	--no-defaults --datadir="$run/data" --socket="$run/mysqld.sock" --port=$port \
	--bind-address=127.0.0.1 --log-error="$run/error.log" --pid-file="$run/mariadbd.pid" \
	--skip-name-resolve

for _ in $(seq 1 300); do
	mariadb --no-defaults -S "$run/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
	sleep 0.1
done
mariadb --no-defaults -S "$run/mysqld.sock" -uroot -e "
	CREATE USER 'capstan'@'127.0.0.1' IDENTIFIED BY 'capstan-test';
	GRANT ALL ON *.* TO 'capstan'@'127.0.0.1' WITH GRANT OPTION;" || {
	cat "$run/error.log" >&2
	exit 1
}

printf 'kill -TERM %s\n' "$(cat "$run/mariadbd.pid")" >>"$CAPSTAN_TEST_RUN/stop"
echo "CAPSTAN_TEST_MYSQL=mysql://capstan:capstan-test@127.0.0.1:$port" >>"$CAPSTAN_TEST_RUN/env"
echo "mariadb: ready on 127.0.0.1:$port"
