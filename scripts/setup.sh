#!/usr/bin/env bash
# Installs what the suite needs, idempotently: `setup.sh test` for `make test`,
# `setup.sh bench` for `make bench`, `setup.sh coverage` for `make coverage` (each a superset of
# test). Debian packages come from apt-get; Python packages are pinned in requirements.txt
# (bench adds requirements-bench.txt, coverage requirements-coverage.txt) and installed into
# ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
case "$mode" in
  test) lists="deps/apt-test.txt" ;;
  bench) lists="deps/apt-test.txt deps/apt-bench.txt" ;;
  coverage) lists="deps/apt-test.txt" ;;
  *) echo "setup.sh: mode=$mode: expected test, bench or coverage" >&2; exit 2 ;;
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
  rm -f .venv/.requirements-bench.sha .venv/.requirements-coverage.sha
fi

# bench and coverage only: the peers' packages (requirements-bench.txt) or gcovr
# (requirements-coverage.txt), after the base ones; test mode (CI's `make test`) never
# downloads them.
if [ "$mode" != test ]; then
  want=$(sha256sum "requirements-$mode.txt" | cut -d' ' -f1)
  if [ "$(cat ".venv/.requirements-$mode.sha" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing requirements-$mode.txt into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "requirements-$mode.txt"
    echo "$want" > ".venv/.requirements-$mode.sha"
  fi
fi
