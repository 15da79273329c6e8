#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster: Debian's postgresql
# binaries (/usr/lib/postgresql/*/bin, or PG_BIN), a new cluster in a
# temporary directory listening on a unix socket only, stopped and removed
# when the command ends. The command sees TONPAY_TEST_POSTGRES, the URL of
# the cluster's database (the store's tests then run on PostgreSQL too).
#
#   deploy/pgtest.sh go test -count=1 ./store/
#
# Run as root, the cluster runs as the unprivileged user postgres (the
# package creates it), since PostgreSQL refuses to run as root.
set -euo pipefail

if [ $# -eq 0 ]; then
	echo "usage: $0 command [args...]" >&2
	exit 2
fi

bin="${PG_BIN:-}"
if [ -z "$bin" ]; then
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
	echo "pgtest: no PostgreSQL binaries (install Debian's postgresql: apt-get install -y postgresql, or set PG_BIN)" >&2
	exit 1
fi

dir=$(mktemp -d /tmp/tonpay-pg.XXXXXX)
as=()
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
	chown postgres "$dir"
	as=(runuser -u postgres --)
fi

stop() {
	"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap stop EXIT INT TERM

"${as[@]}" "$bin/initdb" -D "$dir/data" -U tonpay -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
	{ cat "$dir/initdb.log" >&2; exit 1; }
# A test cluster: no durability (fsync off), room for parallel tests.
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
	-o "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
	start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }

export TONPAY_TEST_POSTGRES="postgres://tonpay@/postgres?host=$dir"
echo "pgtest: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $dir" >&2
"$@"
