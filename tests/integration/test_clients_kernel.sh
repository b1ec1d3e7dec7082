#!/usr/bin/env bash
# Every real client downloads files of every edge size from xtftpd with its
# kernel tiers attached to the server end of a veth pair; sha256 compared;
# then >= 99 % of DATA blocks must have come from XDP/TC (once bpf_active 1).
. "$(dirname "$0")/lib.sh"
xt_client_suite kernel
