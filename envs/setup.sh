#!/usr/bin/env bash
# One-step set-up on Debian 12 / Python 3.11 as root: system tools (GROMACS, SLURM, munge,
# graphviz; slurmdbd and MariaDB for the SLURM test's accounting) from Debian, then a virtual
# environment .venv with the pinned Python packages and activediff itself (editable).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(gromacs slurmctld slurmd slurmdbd slurm-client munge mariadb-server-core mariadb-client-core
              graphviz python3-venv)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
stamp=.venv/.activediff-setup
if [ ! -f "$stamp" ] || [ envs/requirements.txt -nt "$stamp" ] || [ envs/constraints.txt -nt "$stamp" ] \
   || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages (envs/requirements.txt, versions from envs/constraints.txt)"
  # Some machines' pip configuration lists extra local indexes that may be absent; pip warns
  # once per package about them. Drop those lines, keep everything else (set -o pipefail keeps
  # pip's exit status).
  .venv/bin/pip install -q --disable-pip-version-check -r envs/requirements.txt -c envs/constraints.txt 2>&1 \
    | { grep -v "^WARNING: Location '.*' is ignored" || true; }
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -e . 2>&1 \
    | { grep -v "^WARNING: Location '.*' is ignored" || true; }
  touch "$stamp"
fi
echo "setup: ready ($(.venv/bin/python -c 'import torch, snakemake; print("torch", torch.__version__, "snakemake", snakemake.__version__)'))"
