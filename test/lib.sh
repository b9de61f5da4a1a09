# Shared steps of the demo and test scripts: install missing packages,
# build and install the extension, and run a throwaway PostgreSQL cluster.
# Source it from bash; it sets PGHOST, PGPORT and PGUSER for psql.

PG_BIN=/usr/lib/postgresql/15/bin
PACKAGES="build-essential postgresql-15 postgresql-server-dev-15 libopenblas-dev liblapacke-dev postgresql-15-cron"

# Run a command as root, through sudo when not root already.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian packages that are missing, after one apt-get update.
install_packages() {
	local missing=""
	for package in $PACKAGES; do
		dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
	done
	if [ -n "$missing" ]; then
		echo "installing:$missing"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
	fi
}

build_and_install() {
	make -s PG_CONFIG=$PG_BIN/pg_config
	as_root make -s PG_CONFIG=$PG_BIN/pg_config install
}

# The server refuses to run as root, so root runs it as the postgres user.
run_as_server_user() {
	if [ "$(id -u)" -eq 0 ]; then
		su postgres -s /bin/bash -c "$*"
	else
		bash -c "$*"
	fi
}

# OpenBLAS picks its kernels by CPU, and the kernels round differently, so
# scores and the expected outputs would vary between machines.  Print the
# setting that pins the AVX2 (Haswell) kernels, on CPUs that have AVX2.
blas_environment() {
	if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
		echo "OPENBLAS_CORETYPE=Haswell"
	fi
}

# Start a cluster in a new temporary folder, listening only on a Unix socket.
# CLUSTER_OPTIONS adds server options, such as "-c shared_preload_libraries=pg_cron".
start_cluster() {
	CLUSTER_DIR=$(mktemp -d /tmp/automl-cluster.XXXXXX)
	[ "$(id -u)" -eq 0 ] && chown postgres "$CLUSTER_DIR"
	export PGHOST="$CLUSTER_DIR" PGPORT=${PGPORT:-55432}
	if [ "$(id -u)" -eq 0 ]; then export PGUSER=postgres; else export PGUSER=$(id -un); fi
	run_as_server_user "$PG_BIN/initdb -D $CLUSTER_DIR/data -A trust -U $PGUSER >$CLUSTER_DIR/initdb.log 2>&1"
	run_as_server_user "$(blas_environment) $PG_BIN/pg_ctl -D $CLUSTER_DIR/data -w -l $CLUSTER_DIR/server.log \
		-o \"-p $PGPORT -k $CLUSTER_DIR -c listen_addresses='' ${CLUSTER_OPTIONS:-}\" start >/dev/null"
	trap stop_cluster EXIT
}

stop_cluster() {
	if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/data" ]; then
		run_as_server_user "$PG_BIN/pg_ctl -D $CLUSTER_DIR/data -m fast stop >/dev/null" || true
		rm -rf "$CLUSTER_DIR"
	fi
}
