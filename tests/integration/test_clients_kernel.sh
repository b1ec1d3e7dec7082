#!/usr/bin/env bash
# Every real client downloads files of every edge size from xtftpd with its
# kernel tiers attached to the server end of a veth pair; sha256 compared;
# then >= 99 % of DATA blocks must have come from XDP/TC, and each transfer
# the kernel tiers can take (an OACK, or more than one block) must have had
# blocks from them. bpf_active 0 fails (skip only where BPF is unavailable).
. "$(dirname "$0")/lib.sh"
xt_client_suite kernel
