#!/usr/bin/env bash
# The same client matrix as test_clients_kernel.sh against xtftpd --no-bpf:
# the userspace engine alone must be a complete TFTP server.
. "$(dirname "$0")/lib.sh"
xt_client_suite userspace
