#!/usr/bin/env bash
# Installs Debian's clickhouse-server/clickhouse-client when missing (as root, or with sudo).
# Prints the exact command to run when it cannot install by itself.
set -euo pipefail
for bin in /usr/bin/clickhouse-server /usr/sbin/clickhouse-server /usr/bin/clickhouse /usr/local/bin/clickhouse; do
  [ -x "$bin" ] && exit 0
done
install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y clickhouse-server clickhouse-client"
if [ "$(id -u)" = 0 ]; then
  bash -c "$install_cmd"
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo bash -c "$install_cmd"
else
  echo "clickhouse-server is not installed. Run: sudo bash -c '$install_cmd'" >&2
  exit 1
fi
