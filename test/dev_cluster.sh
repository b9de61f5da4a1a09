#!/usr/bin/env bash
# Build this checkout into a private copy of the PostgreSQL 15 installation
# and (re)start a cluster on it, so several checkouts can be tested side by
# side without sharing /usr/lib/postgresql/15/lib/automl.so.
#
#   bash test/dev_cluster.sh ROOT PORT     # install, then start or restart
#   bash test/dev_cluster.sh ROOT stop
#
# Connect with: psql -h ROOT -p PORT -U postgres
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh
root=$1
action=${2:-55440}
bin=$root/usr/lib/postgresql/15/bin
user=postgres
[ "$(id -u)" -eq 0 ] || user=$(id -un)

run() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }

if [ "$action" = stop ]; then
	run "$bin/pg_ctl -D $root/data -m fast stop" || true
	exit 0
fi

# PostgreSQL finds share/ and lib/ relative to its binary, so a copy works.
if [ ! -x "$bin/postgres" ]; then
	mkdir -p "$root/usr/lib/postgresql" "$root/usr/share/postgresql"
	cp -a /usr/lib/postgresql/15 "$root/usr/lib/postgresql/"
	cp -a /usr/share/postgresql/15 "$root/usr/share/postgresql/"
fi
make -s PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
make -s PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config install DESTDIR="$root" >/dev/null
[ "$(id -u)" -eq 0 ] && chown -R postgres "$root"
if [ ! -d "$root/data" ]; then
	run "$bin/initdb -D $root/data -A trust -U $user >/dev/null"
fi
run "$bin/pg_ctl -D $root/data -m fast stop >/dev/null 2>&1" || true
run "$(blas_environment) $bin/pg_ctl -D $root/data -w -l $root/server.log -o \"-p $action -k $root -c listen_addresses=''\" start >/dev/null"
echo "cluster on socket $root port $action: psql -h $root -p $action -U $user"
