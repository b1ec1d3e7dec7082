/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One table of ACKs, run against both sides of the ACK arithmetic: the BPF
 * programs under BPF_PROG_TEST_RUN (tests/bpf/test_ack_table.c) and
 * userspace's classifier and transfer state machine (tests/unit/test_xfer.c).
 * Both compile include/xtftp_ack.h; the table keeps their answers the same
 * at the edges (rollover, before the start, the final block, re-basing).
 * What each side then does with a class is its own: BEFORE_START (a block
 * never sent) is dropped and counted in the kernel tiers (ack_unsent), the
 * session staying there; a DUP of last_acked may resend the outstanding
 * block (xtftp_rto.h rule 2) in both.
 *
 * Images are tests/bpf/harness.h's: 'a' 200000 bytes, 'b' 5120 (ends with an
 * empty block at 512), 'c' 600000 (blksize 8 reaches past block 65536).
 * Final blocks: a at 512 = 391, a at 1468 = 137, b at 512 = 11, c at 8 =
 * 75001.
 */
#ifndef XT_TESTS_ACK_CASES_H
#define XT_TESTS_ACK_CASES_H

#include <stdint.h>

#define ACK_IMAGE_SIZE(c) ((c) == 'a' ? 200000u : (c) == 'b' ? 5120u : 600000u)
#define OACK_ONLY 0xffffffffu          /* last_acked: nothing acknowledged yet */

struct ack_case {
	const char *name;
	char image;
	uint16_t blksize;
	uint16_t window;
	uint32_t last_sent;
	uint32_t last_acked;
	uint16_t wire;
	int cls;                        /* enum xt_ack_class */
	uint32_t abs;                   /* the block named (not for BEFORE_START) */
};

static const struct ack_case ack_cases[] = {
	{ "oack_ack0",           'a', 512,  1, 0,     OACK_ONLY, 0,     XT_ACK_NEW,          0 },
	{ "lockstep",            'a', 512,  1, 5,     4,     5,         XT_ACK_NEW,          5 },
	{ "dup_previous",        'a', 512,  1, 5,     4,     4,         XT_ACK_DUP,          4 },
	{ "dup_older",           'a', 512,  1, 5,     4,     2,         XT_ACK_DUP,          2 },
	{ "never_sent",          'a', 512,  1, 5,     4,     9,         XT_ACK_BEFORE_START, 0 },
	{ "oack_never_sent",     'a', 512,  1, 0,     OACK_ONLY, 65535, XT_ACK_BEFORE_START, 0 },
	{ "never_sent_wrapped",  'c', 8,    1, 70004, 70003, 70009 - 65536, XT_ACK_DUP,  70009 - 65536 },
	{ "final",               'a', 1468, 1, 137,   136,   137,       XT_ACK_FINAL,        137 },
	{ "final_empty_block",   'b', 512,  1, 11,    10,    11,        XT_ACK_FINAL,        11 },
	{ "final_in_window",     'a', 1468, 4, 137,   133,   137,       XT_ACK_FINAL,        137 },
	{ "past_final",          'a', 1468, 1, 139,   136,   138,       XT_ACK_PAST_FINAL,   138 },
	{ "window_rebase",       'a', 512,  8, 16,    8,     12,        XT_ACK_NEW,          12 },
	{ "window_late",         'a', 512,  8, 20,    12,    10,        XT_ACK_DUP,          10 },
	{ "window_cut_at_final", 'a', 1468, 4, 137,   130,   134,       XT_ACK_NEW,          134 },
	{ "rollover_wire0",      'c', 8,    1, 65536, 65535, 0,         XT_ACK_NEW,          65536 },
	{ "rollover_wire1",      'c', 8,    1, 65537, 65536, 1,         XT_ACK_NEW,          65537 },
	{ "rollover_late",       'c', 8,    1, 65537, 65536, 65535,     XT_ACK_DUP,          65535 },
	{ "rollover_dup_wire0",  'c', 8,    1, 65537, 65536, 0,         XT_ACK_DUP,          65536 },
	{ "window_over_rollover", 'c', 8,   8, 65541, 65529, 2,         XT_ACK_NEW,          65538 },
	{ "window_below_rollover", 'c', 8,  8, 65541, 65529, 65533,     XT_ACK_NEW,          65533 },
};

#define N_ACK_CASES (sizeof(ack_cases) / sizeof(ack_cases[0]))

#endif /* XT_TESTS_ACK_CASES_H */
