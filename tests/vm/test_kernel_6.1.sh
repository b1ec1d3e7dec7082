#!/usr/bin/env bash
# The kernel tiers on Debian's 6.1 kernel under QEMU: see kernel_suite.sh.
exec bash "$(dirname "$0")/kernel_suite.sh" 6.1
