#!/bin/sh
# The test command (README, .ci/run): installs what the tests need when it is missing,
# then runs every test of the workspace.
#
# The oracle tests run UW c-client's own tools (Debian's uw-mailutils) against ours, as a
# test account; they need root. In CI (CI=true) a missing oracle fails the run instead of
# being skipped. The charset tests compare with the system's converters: glibc iconv
# (libc-bin), Python's codecs and Perl's Encode (perl). The build links libpam
# (libpam0g-dev); the system-user tests make accounts with passwd's tools and log in
# through pam_unix (libpam-modules).
set -eu
cd "$(dirname "$0")/.."

packages="uw-mailutils fetchmail isync python3 perl libc-bin systemd libpam0g-dev libpam-modules passwd mlock"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "test.sh: installing$missing" >&2
    if [ "$(id -u)" = 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        SUDO="none"
    fi
    if [ "$SUDO" = none ]; then
        echo "test.sh: cannot install$missing (not root, no sudo)" >&2
        [ "${CI:-}" = true ] && exit 1
    else
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq >/dev/null 2>&1 || true
        if ! $SUDO apt-get install -y -qq $missing >/dev/null; then
            echo "test.sh: apt-get install$missing failed" >&2
            [ "${CI:-}" = true ] && exit 1
        fi
    fi
fi

exec cargo test --workspace --locked "$@"
