#!/usr/bin/env bash
# Installs what the suite needs, idempotently: `setup.sh test` for `make test`,
# `setup.sh bench` for `make bench` (a superset). Debian packages come from apt-get; Python
# packages are pinned in requirements.txt (bench adds requirements-bench.txt) and installed
# into ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
case "$mode" in
  test) lists="deps/apt-test.txt" ;;
  bench) lists="deps/apt-test.txt deps/apt-bench.txt" ;;
  *) echo "setup.sh: mode=$mode: expected test or bench" >&2; exit 2 ;;
esac

missing=()
for p in $(grep -hv '^#' $lists); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.requirements.sha 2>/dev/null)" != "$want" ]; then
  echo "setup: creating .venv from requirements.txt"
  /usr/bin/python3 -m venv --system-site-packages .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > .venv/.requirements.sha
  rm -f .venv/.requirements-bench.sha
fi

# bench only: the peers' packages (requirements-bench.txt), after the base ones; test mode
# (CI's `make test`) never downloads them.
if [ "$mode" = bench ]; then
  want=$(sha256sum requirements-bench.txt | cut -d' ' -f1)
  if [ "$(cat .venv/.requirements-bench.sha 2>/dev/null)" != "$want" ]; then
    echo "setup: installing requirements-bench.txt into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-bench.txt
    echo "$want" > .venv/.requirements-bench.sha
  fi
fi
