#!/usr/bin/env bash
# Gradescope autograder setup: runs once when the autograder image is built.
# Upload a zip of this folder plus the gradkey source as gradkey/ (or pin a release).
set -euo pipefail
apt-get update -qq && apt-get install -y -qq python3 python3-pip python3-venv
python3 -m venv /opt/gradkey
/opt/gradkey/bin/pip install --quiet /autograder/source/gradkey
