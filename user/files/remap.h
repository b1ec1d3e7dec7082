/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File name remapping with tftpd-hpa's rule files (in.tftpd -m MAPFILE).
 *
 * One rule per line: OPERATION REGEX [REPLACEMENT]; '#' starts a comment
 * unless escaped; fields are split on unescaped white space. REGEX is a POSIX
 * extended regex (regcomp/regexec, glibc). OPERATION letters:
 *   r  replace the first match of REGEX with REPLACEMENT
 *   g  with r: repeat the rule until it no longer matches
 *   i  match case-insensitively
 *   e  if the rule matched, stop processing (accept the name)
 *   s  if the rule matched, start over at the first rule
 *   a  if the rule matched, refuse the request (TFTP error 2); a non-empty
 *      REPLACEMENT, expanded, is the message sent to the client
 *   G / P  RRQ only / WRQ only (both: the rule never applies)
 *   4 / 6  IPv4 clients only / IPv6 clients only
 *   ~  invert: the rule "matches" when REGEX does not (not with r)
 * REPLACEMENT escapes: \0 whole match, \1..\9 groups, \i client address
 * (dotted quad / RFC 5952), \x client address in upper-case hex (8 or 32
 * digits), \U \L \E upper/lower/no case conversion of what follows
 * (captures included), \\ backslash, '\' + any other character: that
 * character (so "\ " is a space and "\#" a hash mark).
 *
 * Differences from Debian's in.tftpd 5.2 (kept on purpose, and covered by
 * tests/integration/test_remap_vs_hpa.sh):
 * - 's' restarts at the first rule, as the man page says (5.2 resumes at
 *   the second rule; later tftp-hpa releases fixed this).
 * - The message of an 'a' rule is the expanded REPLACEMENT alone (5.2
 *   prefixes the text before the match: "b.pvt" with "a \.pvt$ private"
 *   answers "bprivate", measured).
 * - Work is bounded: at most REMAP_MAX_STEPS regex evaluations per name,
 *   'g' repetitions included (the 5.2 source does not count those, so
 *   "rg a aa" never ends there), and results longer than the caller's
 *   buffer fail; both refuse the request instead of hanging or truncating.
 * - A regex whose '+' and {n,m} repeats would make glibc's regcomp copy
 *   more than 256 nodes ("(a?){100}", "(.*)" with seven '+') is refused as
 *   a bad line: such copies cost regcomp up to GBs and every regexec on a
 *   long name seconds (measured).
 * - Names with a ".." component are refused after remapping (names.c);
 *   in.tftpd -s serves them, its chroot keeps them inside the root.
 * - An IPv4-mapped IPv6 client (::ffff:a.b.c.d) counts as IPv4 for 4/6,
 *   \i and \x.
 *
 * Remapping only rewrites a string: confinement to the served root is done
 * afterwards by the path module, so no rule can reach outside the root.
 */
#ifndef XTFTP_REMAP_H
#define XTFTP_REMAP_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#define REMAP_MAX_STEPS 1024   /* regex evaluations per name (tftpd-hpa's deadman) */
#define REMAP_MSG_MAX 128      /* longest refusal message kept from an 'a' rule */

struct remap_rules;

/* Why remap_apply() decided what it did (for logs and the TFTP error). */
struct remap_verdict {
	unsigned int line;             /* rule line that refused/ended, 0 = none */
	unsigned int rewrites;         /* how many rewrites happened */
	char message[REMAP_MSG_MAX];   /* 'a' rule message for the client, "" = default */
};

/*
 * Parse rules from a NUL-terminated text. source names the text in messages
 * ("FILE:LINE: ..."). Every bad line is reported, one line each, to errs
 * (may be NULL), and parsing goes on so all of them are seen.
 * Returns 0 and *out (never NULL on success, possibly with zero rules), or
 * -EINVAL when at least one line is bad (*out untouched), -ENOMEM.
 */
int remap_parse(const char *text, const char *source, struct remap_rules **out, FILE *errs);

/* Same, from a file. -errno from open/read is reported to errs too. */
int remap_load(const char *path, struct remap_rules **out, FILE *errs);

/* Number of rules (not counting blank and comment lines). */
unsigned int remap_count(const struct remap_rules *rules);

void remap_free(struct remap_rules *rules);

/*
 * Run the rules over name. is_write selects G/P rules; client (may be NULL:
 * then 4/6 rules never apply and \i, \x expand to nothing) selects 4/6 and
 * feeds \i, \x. The result goes to out (NUL-terminated).
 * Returns 0, or:
 *   -EACCES        an 'a' rule refused the name (v->line, v->message);
 *   -ELOOP         more than REMAP_MAX_STEPS evaluations (v->line: the
 *                  rule running when the limit hit);
 *   -ENAMETOOLONG  a rewrite would not fit in out_len.
 * All three mean: refuse the request with TFTP error 2. Thread-safe: rules
 * are read-only after parsing. v may be NULL.
 */
int remap_apply(const struct remap_rules *rules, const char *name, int is_write,
		const struct sockaddr *client, char *out, size_t out_len,
		struct remap_verdict *v);

#endif
