#!/usr/bin/env sh
# Makes sure the system has what the build and the tests need: a C compiler for cgo,
# libzmq with its pkg-config file, a Python interpreter that can import zmq (pyzmq) for
# the interop tests and the pyzmq benchmark row, and iproute2's `ip` for the tests
# that make network namespaces. On Debian it installs what is
# missing with apt-get (as root, or through sudo); elsewhere it stops with one
# line saying what to install.
set -eu

have_libzmq() { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists 'libzmq >= 4.3'; }
have_pyzmq() {
	for py in python3 /usr/bin/python3; do
		if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import zmq' >/dev/null 2>&1; then
			return 0
		fi
	done
	return 1
}

have_cc() { command -v "${CC:-cc}" >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1; }
have_ip() { command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ]; }

if have_cc && have_libzmq && have_pyzmq && have_ip; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: install a C compiler, libzmq >= 4.3 with its headers and pkg-config file, pyzmq and iproute2 (Debian: apt-get install gcc libc6-dev libzmq3-dev pkg-config python3-zmq iproute2)" >&2
	exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "deps: run as root or install sudo, or install by hand: apt-get install gcc libc6-dev libzmq3-dev pkg-config python3-zmq iproute2" >&2
	exit 1
fi

echo "deps: installing gcc libc6-dev libzmq3-dev pkg-config python3-zmq iproute2 with apt-get" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq gcc libc6-dev libzmq3-dev pkg-config python3-zmq iproute2 >/dev/null

if ! have_cc; then
	echo "deps: no C compiler after apt-get install gcc (cgo needs one)" >&2
	exit 1
fi
if ! have_libzmq; then
	echo "deps: libzmq >= 4.3 is still not visible to pkg-config after apt-get install libzmq3-dev" >&2
	exit 1
fi
if ! have_pyzmq; then
	echo "deps: python3-zmq installed but no python3 on PATH or at /usr/bin/python3 can import zmq" >&2
	exit 1
fi
