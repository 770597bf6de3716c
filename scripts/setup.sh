#!/usr/bin/env bash
# Idempotent setup on a fresh Linux machine: Mesa's EGL (for the faster CPU renderer) via apt when
# root, a .venv, and simgen installed into it. Usage: scripts/setup.sh [dev]
set -euo pipefail
cd "$(dirname "$0")/.."

extra="${1:-}"
py="${PYTHON:-python3}"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  # libegl1 + libegl-mesa0 + libgl1-mesa-dri: pybullet's EGL renderer on llvmpipe (no GPU needed).
  pkgs=(libegl1 libegl-mesa0 libgl1-mesa-dri libgl1)
  if ! "$py" -m venv --help >/dev/null 2>&1; then pkgs+=(python3-venv); fi
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$py" -m venv .venv
fi

spec="."
[ -n "$extra" ] && spec=".[${extra}]"
stamp=".venv/.simgen-installed-${extra:-runtime}-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing simgen${extra:+ with [$extra]} into .venv (first run takes a minute)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e "$spec"
  touch "$stamp"
fi
