#!/bin/sh
# The dispatcher's compiled search was built into the image (/opt/chaud/numba-cache); numba
# wants its cache writable, and the root filesystem is not: copied to /tmp (a tmpfs) at each
# start, it loads in a second instead of compiling for twenty.
set -eu
if [ -d /opt/chaud/numba-cache ] && [ ! -d "$NUMBA_CACHE_DIR" ]; then
  cp -r /opt/chaud/numba-cache "$NUMBA_CACHE_DIR"
fi
exec "$@"
