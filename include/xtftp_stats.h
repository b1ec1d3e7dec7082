/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel tiers' counters, once: the BPF programs index the per-CPU
 * stats array with enum xt_stat, the daemon names them from the same list
 * (stats --json/--prometheus, xtftpctl stats), so a counter added here has
 * its name everywhere and the two sides cannot disagree on an index.
 *
 * X(ID, NAME, CTL_NAME, HELP)
 *   NAME      its name in `stats --json` ("kernel" object) and Prometheus
 *   CTL_NAME  its line in `xtftpctl stats` (the first eight kept the names
 *             scripts read since the first release; the rest use NAME)
 *   HELP      what it counts
 */
#ifndef XTFTP_STATS_H
#define XTFTP_STATS_H

#define XT_STATS(X) \
	X(ACK_SEEN,           "ack_seen",           "kernel_ack_seen",      "TFTP ACKs for a live session") \
	X(DATA_XDP,           "data_xdp",           "kernel_data_xdp",      "DATA frames sent by XDP_TX") \
	X(DATA_TC,            "data_tc",            "kernel_data_tc",       "DATA frames sent by the TC tier") \
	X(BYTES_XDP,          "bytes_xdp",          "bytes_xdp",            "payload bytes sent by XDP") \
	X(BYTES_TC,           "bytes_tc",           "bytes_tc",             "payload bytes sent by TC") \
	X(DUP_ACK,            "dup_ack",            "kernel_dup_acks",      "duplicate ACKs (never answered as such; at most the block after one is resent: DUP_RESEND)") \
	X(SESSION_DONE,       "session_done",       "kernel_sessions_done", "final ACK seen") \
	/* reasons a frame was passed on untouched */ \
	X(PASS_NOT_IP,        "pass_not_ip",        "pass_not_ip",          "not IPv4/IPv6 (incl. ARP, VLAN stacks)") \
	X(PASS_NOT_UDP,       "pass_not_udp",       "pass_not_udp",         "not UDP") \
	X(PASS_IP_OPTIONS,    "pass_ip_options",    "pass_ip_options",      "IPv4 IHL != 5") \
	X(PASS_FRAGMENT,      "pass_fragment",      "pass_fragment",        "IPv4 fragment") \
	X(PASS_IPV6_EXT,      "pass_ipv6_ext",      "pass_ipv6_ext",        "IPv6 extension header") \
	X(PASS_TRUNCATED,     "pass_truncated",     "pass_truncated",       "frame shorter than its headers say") \
	X(PASS_NOT_ACK,       "pass_not_ack",       "pass_not_ack",         "TFTP opcode other than ACK") \
	X(PASS_NO_SESSION,    "pass_no_session",    "pass_no_session",      "no live session for this 5-tuple") \
	X(PASS_PAUSED,        "pass_paused",        "pass_paused",          "session owned by userspace") \
	X(PASS_WINDOW,        "pass_window",        "pass_window",          "XDP: windowsize > 1, left to TC") \
	X(PASS_GROW_FAILED,   "pass_grow_failed",   "pass_grow_failed",     "XDP: bpf_xdp_adjust_tail could not grow") \
	X(PASS_BAD_BLOCK,     "pass_bad_block",     "pass_bad_block",       "no longer produced (an ACK for a block never sent is ACK_UNSENT now); kept so the indices stay") \
	X(PASS_BAD_SESSION,   "pass_bad_session",   "pass_bad_session",     "session value inconsistent (blksize, chunk)") \
	X(PASS_HELPER_FAILED, "pass_helper_failed", "pass_helper_failed",   "a helper call failed mid-build") \
	X(RACE_LOST,          "race_lost",          "kernel_race_lost",     "another CPU answered the same ACK first") \
	X(PASS_XDP_TX_OFF,    "pass_xdp_tx_off",    "pass_xdp_tx_off",      "XDP: interface not in xdp_tx_ifaces (veth, generic XDP: frames cannot grow and XDP_TX may not deliver), left to TC") \
	X(INJECT_DROP,        "inject_drop",        "kernel_inject_drop",   "DATA frames dropped by fault injection") \
	X(INJECT_DUP,         "inject_dup",         "kernel_inject_dup",    "DATA frames sent twice by fault injection") \
	X(PASS_INJECT,        "pass_inject",        "pass_inject",          "XDP: a frame to be duplicated, left to TC (XDP_TX sends one frame per ACK)") \
	X(DUP_RESEND,         "dup_resend",         "kernel_dup_resends",   "DATA resent at once on a duplicate ACK (xtftp_rto.h rule 2)") \
	X(ACK_UNSENT,         "ack_unsent",         "kernel_ack_unsent",    "ACKs naming a block never sent (a stray, late ACK): dropped") \
	X(TIMER_RESEND,       "timer_resend",       "kernel_timer_resends", "DATA resent from the pool by TC egress on the daemon's timer (xt_resend_req)") \
	X(RESEND_REFUSED,     "resend_refused",     "kernel_resend_refused", "resend requests dropped at egress (no session, paused, block not outstanding): the daemon sends those blocks itself, or nothing when acknowledged meanwhile")

/* per-CPU stats array index */
enum xt_stat {
#define XT_STAT_ENUM(id, name, ctl_name, help) XT_STAT_##id,
	XT_STATS(XT_STAT_ENUM)
#undef XT_STAT_ENUM
	XT_STAT_MAX,
};

#endif
