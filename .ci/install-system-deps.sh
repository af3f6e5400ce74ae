#!/usr/bin/env bash
# System packages the tests need: bubblewrap (bwrap) and util-linux (prlimit, setpriv) for the
# worker sandbox; PostgreSQL and Redis servers for the store contract tests (the tests start them
# on loopback ports themselves; the packages' own services are not needed); SUNDIALS CVODE for the
# optional "cvode" solver; nginx and chromium for the scale-out and browser e2e tests. Under
# CI=true a missing one fails the suite (test/unit/ci-prerequisites.test.ts). gcc is expected to be present (the FMU library is compiled from C).
# Installs only what is missing, with apt-get, when running as root on a Debian/Ubuntu machine.
set -euo pipefail
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
{ command -v prlimit >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; } || missing+=(util-linux)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# nginx: the load balancer in the scale-out e2e; chromium: the /docs and MCP App screenshots.
{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || missing+=(nginx)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Optional solver "cvode": SUNDIALS CVODE 6, loaded at run time through koffi (no headers needed).
{ ldconfig -p 2>/dev/null | grep -q 'libsundials_cvode\.so\.6 '; } || missing+=(libsundials-cvode6)
# SciPy reads our MAT v4 exports in test/integration/result-formats.test.ts (an independent reader).
/usr/bin/python3 -c 'import scipy.io' >/dev/null 2>&1 || missing+=(python3-scipy)
# The Python client (clients/python, test/e2e/python-client.test.ts): type-checked with mypy,
# installed with pip offline (setuptools + wheel build it).
/usr/bin/python3 -m mypy --version >/dev/null 2>&1 || missing+=(python3-mypy)
/usr/bin/python3 -c 'import setuptools, wheel, pip' >/dev/null 2>&1 || missing+=(python3-pip python3-setuptools python3-wheel)
# strace: watches the run store's fsyncs from outside (test/integration/store/durable-save-syscalls.test.ts).
command -v strace >/dev/null 2>&1 || missing+=(strace)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system deps: all present (bwrap, prlimit, setpriv, cc, postgres, redis-server, nginx, chromium, libsundials_cvode, python3-scipy, python3-mypy, python3-pip, python3-wheel, strace)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system deps: missing ${missing[*]} and no apt-get here; the sandbox tests will be skipped or fail" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "system deps: installed ${missing[*]}"
