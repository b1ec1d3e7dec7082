// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tftpd-hpa compatible file name remapping (-m MAPFILE). See remap.h for the
 * rule syntax and where we differ from in.tftpd 5.2.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "remap.h"

enum rule_flag {
	RULE_REWRITE = 1 << 0,  /* r */
	RULE_GLOBAL  = 1 << 1,  /* g */
	RULE_EXIT    = 1 << 2,  /* e */
	RULE_RESTART = 1 << 3,  /* s */
	RULE_ABORT   = 1 << 4,  /* a */
	RULE_INVERSE = 1 << 5,  /* ~ */
	RULE_RRQ     = 1 << 6,  /* G */
	RULE_WRQ     = 1 << 7,  /* P */
	RULE_IPV4    = 1 << 8,  /* 4 */
	RULE_IPV6    = 1 << 9,  /* 6 */
};

#define REMAP_NSUB 10   /* \0 .. \9 */

struct remap_rule {
	unsigned int line;
	unsigned int flags;
	regex_t rx;
	char *replacement;      /* as written, escapes still in it; "" if none */
};

struct remap_rules {
	struct remap_rule *rule;
	unsigned int n_rules;
	unsigned int cap;
};

/* The client as the rules see it: family for 4/6, texts for \i and \x. */
struct client_view {
	int family;             /* AF_INET, AF_INET6, or 0 when unknown */
	char text[INET6_ADDRSTRLEN];
	char hex[33];
};

/*
 * Copy the next field of *pos into buf: leading white space skipped, ends at
 * unescaped white space or '#'. Backslashes are kept: the regex compiler and
 * the replacement expander interpret them. Returns the field length (0: none).
 * buf must hold strlen(*pos) + 1 bytes.
 */
static size_t next_field(const char **pos, char *buf)
{
	const char *p = *pos;
	bool escaped = false;
	size_t len = 0;

	while (*p && isspace((unsigned char)*p))
		p++;
	while (*p) {
		if (!escaped && (isspace((unsigned char)*p) || *p == '#'))
			break;
		/* "\\" leaves us unescaped again: the second one is literal. */
		escaped = !escaped && *p == '\\';
		buf[len++] = *p++;
	}
	buf[len] = '\0';
	*pos = p;
	return len;
}

__attribute__((format(printf, 4, 5)))
static void report(FILE *errs, const char *source, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (!errs)
		return;
	fprintf(errs, "%s:%u: ", source, line);
	va_start(ap, fmt);
	vfprintf(errs, fmt, ap);
	va_end(ap);
	fputc('\n', errs);
}

static int parse_flags(const char *ops, unsigned int *flags, int *rx_flags, char *bad)
{
	*flags = 0;
	*rx_flags = REG_EXTENDED;
	for (const char *p = ops; *p; p++) {
		switch (*p) {
		case 'r': *flags |= RULE_REWRITE; break;
		case 'g': *flags |= RULE_GLOBAL; break;
		case 'e': *flags |= RULE_EXIT; break;
		case 's': *flags |= RULE_RESTART; break;
		case 'a': *flags |= RULE_ABORT; break;
		case '~': *flags |= RULE_INVERSE; break;
		case 'G': *flags |= RULE_RRQ; break;
		case 'P': *flags |= RULE_WRQ; break;
		case '4': *flags |= RULE_IPV4; break;
		case '6': *flags |= RULE_IPV6; break;
		case 'i': *rx_flags |= REG_ICASE; break;
		default:
			*bad = *p;
			return -EINVAL;
		}
	}
	/* g only means something on a rewrite (tftpd-hpa drops it too). */
	if (!(*flags & RULE_REWRITE))
		*flags &= ~RULE_GLOBAL;
	return 0;
}

/*
 * glibc's regcomp copies the operand of every '+' and {n,m} (x+ is x x*,
 * x{2,4} is x x x? x?), and its closure sets grow with the square of the
 * copies of optional parts: measured here, "(.*)" and 34 '+' ran 9 s into a
 * 4 GB limit, "(a?){5000}" took 1.9 GB, "(a?){1300}" 137 MB. A map file
 * reread on SIGHUP must not take the daemon down with it, so the nodes the
 * repeats add are counted first (an upper bound: an atom is one node, a
 * group its contents plus one, a repeat adds its operand times its largest
 * count) and a regex adding more than REMAP_RX_COPIES_MAX is refused. The
 * copies also slow every regexec on a client's name (up to 4 KiB): "(.*)"
 * with nine '+' (1533 added) took 25 s per name under ASan. A UUID or MAC
 * pattern adds about 40, "^.{1,255}$" 254: they pass.
 */
#define REMAP_RX_COPIES_MAX 256.0
#define REMAP_RX_DEPTH_MAX 64

static double regex_copies(const char *rx)
{
	double added = 0;                               /* nodes the repeats add */
	double seq[REMAP_RX_DEPTH_MAX + 1] = { 0 };     /* size of each open group so far */
	double last = 0;                                /* size of the latest atom */
	int depth = 0;

	for (const char *p = rx; *p; p++) {
		double atom = 1;

		switch (*p) {
		case '\\':
			if (p[1])
				p++;
			break;
		case '(':
			if (depth == REMAP_RX_DEPTH_MAX)
				return INFINITY;
			seq[++depth] = 0;
			last = 0;
			continue;
		case ')':
			if (depth > 0)
				atom = seq[depth--] + 1;
			break;
		case '[':
			/* one set, whatever its contents: skip to its ']' */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
					const char *end = strchr(p + 2, p[1]);

					p = end && end[1] == ']' ? end + 1 : p;
				}
				p++;
			}
			if (!*p)
				p--;
			break;
		case '+':
			seq[depth] += last;
			added += last;
			last *= 2;
			continue;
		case '{': {
			unsigned long most = 1;

			/* {n}, {n,}, {,m}, {n,m}: the largest count given; the
			 * digits are no atoms (a repeat right after repeats all) */
			while (isdigit((unsigned char)p[1]) || p[1] == ',') {
				unsigned long v = 0;

				for (p++; isdigit((unsigned char)*p); p++)
					if (v < 1000000)
						v = v * 10 + (unsigned long)(*p - '0');
				if (v > most)
					most = v;
				if (*p != ',') {
					p--;
					break;
				}
			}
			if (p[1] == '}')
				p++;
			seq[depth] += last * (double)most;
			added += last * (double)most;
			last *= (double)most + 1;
			continue;
		}
		case '*':
		case '?':
			/* no copy, one node more (a repeat after it copies both) */
			seq[depth] += 1;
			last += 1;
			continue;
		case '|':
			seq[depth] += 1;
			last = 0;
			continue;
		default:
			break;
		}
		seq[depth] += atom;
		last = atom;
	}
	return added;
}

/*
 * A repetition operator right after another ("a**", "a+*", "a?{2}"): POSIX
 * leaves it undefined, and glibc nests one repeat in the other per
 * operator: "A" with 75 '*' took over 5 minutes and 765 MB in regcomp
 * (found by fuzz_remap). It never means more than one operator, so it is
 * refused with a line that says so. Escapes and bracket sets are skipped.
 */
static int regex_stacked_repeat(const char *rx)
{
	int after_repeat = 0;

	for (const char *p = rx; *p; p++) {
		switch (*p) {
		case '\\':
			if (p[1])
				p++;
			after_repeat = 0;
			break;
		case '[':
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']')
				p++;
			if (!*p)
				return 0;
			after_repeat = 0;
			break;
		case '*':
		case '+':
		case '?':
		case '{':
			if (after_repeat)
				return 1;
			if (*p == '{') {
				while (p[1] && p[1] != '}')
					p++;
				if (p[1])
					p++;
			}
			after_repeat = 1;
			break;
		default:
			after_repeat = 0;
			break;
		}
	}
	return 0;
}

/* Parse one line; 1 = rule stored in *r, 0 = blank/comment, -EINVAL = bad. */
static int parse_line(const char *line, unsigned int lineno, const char *source, char *field,
		      struct remap_rule *r, FILE *errs)
{
	const char *pos = line;
	char ops[64], bad[2] = "";
	int rx_flags, rc;

	if (!next_field(&pos, field))
		return 0;
	if (strlen(field) >= sizeof(ops)) {
		report(errs, source, lineno, "operation \"%.20s...\" is too long", field);
		return -EINVAL;
	}
	strcpy(ops, field);
	if (parse_flags(ops, &r->flags, &rx_flags, bad) < 0) {
		report(errs, source, lineno,
		       "unknown operation '%s' in \"%s\" (known: r g i e s a G P 4 6 ~)", bad, ops);
		return -EINVAL;
	}
	if ((r->flags & RULE_REWRITE) && (r->flags & RULE_INVERSE)) {
		report(errs, source, lineno,
		       "operation \"%s\": r cannot be inverted with ~ (a rewrite needs a match)",
		       ops);
		return -EINVAL;
	}
	if (!next_field(&pos, field)) {
		report(errs, source, lineno, "operation \"%s\" has no regex", ops);
		return -EINVAL;
	}
	if (regex_stacked_repeat(field)) {
		report(errs, source, lineno,
		       "regex \"%.40s%s\" stacks repetition operators (\"**\", \"+*\", ...): POSIX leaves that undefined; write one",
		       field, strlen(field) > 40 ? "..." : "");
		return -EINVAL;
	}
	if (regex_copies(field) > REMAP_RX_COPIES_MAX) {
		report(errs, source, lineno,
		       "regex \"%.40s%s\" repeats too much for the regex compiler (+ and {n,m} copy what they repeat): simplify it",
		       field, strlen(field) > 40 ? "..." : "");
		return -EINVAL;
	}
	rc = regcomp(&r->rx, field, rx_flags);
	if (rc) {
		char why[160];

		regerror(rc, &r->rx, why, sizeof(why));
		report(errs, source, lineno, "bad regex \"%s\": %s", field, why);
		return -EINVAL;
	}
	next_field(&pos, field);
	r->replacement = strdup(field);
	if (!r->replacement) {
		regfree(&r->rx);
		return -ENOMEM;
	}
	r->line = lineno;
	return 1;
}

int remap_parse(const char *text, const char *source, struct remap_rules **out, FILE *errs)
{
	struct remap_rules *rules = NULL;
	char *field = NULL, *line = NULL;
	unsigned int lineno = 0, bad = 0;
	const char *p = text;
	int err = 0;

	rules = calloc(1, sizeof(*rules));
	/* A field is never longer than the text it comes from. */
	field = malloc(strlen(text) + 1);
	line = malloc(strlen(text) + 1);
	if (!rules || !field || !line) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (*p) {
		size_t len = strcspn(p, "\n");
		struct remap_rule r = { 0 };
		int rc;

		lineno++;
		memcpy(line, p, len);
		line[len] = '\0';
		p += len;
		if (*p == '\n')
			p++;
		rc = parse_line(line, lineno, source, field, &r, errs);
		if (rc == -ENOMEM) {
			err = rc;
			goto cleanup;
		}
		if (rc < 0) {
			bad++;
			continue;
		}
		if (rc == 0)
			continue;
		if (rules->n_rules == rules->cap) {
			unsigned int cap = rules->cap ? rules->cap * 2 : 16;
			struct remap_rule *grown = realloc(rules->rule, cap * sizeof(*grown));

			if (!grown) {
				regfree(&r.rx);
				free(r.replacement);
				err = -ENOMEM;
				goto cleanup;
			}
			rules->rule = grown;
			rules->cap = cap;
		}
		rules->rule[rules->n_rules++] = r;
	}
	if (bad) {
		err = -EINVAL;
		goto cleanup;
	}
	*out = rules;
	rules = NULL;
cleanup:
	remap_free(rules);
	free(field);
	free(line);
	return err;
}

int remap_load(const char *path, struct remap_rules **out, FILE *errs)
{
	FILE *f = NULL;
	char *text = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		if (errs)
			fprintf(errs, "%s: cannot open map file: %s\n", path, strerror(-err));
		goto cleanup;
	}
	for (;;) {
		size_t got;

		if (cap - len < 4096) {
			char *grown = realloc(text, cap + 65536);

			if (!grown) {
				err = -ENOMEM;
				goto cleanup;
			}
			text = grown;
			cap += 65536;
		}
		got = fread(text + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		err = -EIO;
		if (errs)
			fprintf(errs, "%s: cannot read map file\n", path);
		goto cleanup;
	}
	text[len] = '\0';
	/* Like tftpd-hpa: NUL and CR bytes in the file are dropped. */
	for (size_t i = 0, j = 0; i <= len; i++)
		if (i == len || (text[i] != '\0' && text[i] != '\r'))
			text[j++] = text[i];
	err = remap_parse(text, path, out, errs);
cleanup:
	if (f)
		fclose(f);
	free(text);
	return err;
}

unsigned int remap_count(const struct remap_rules *rules)
{
	return rules ? rules->n_rules : 0;
}

void remap_free(struct remap_rules *rules)
{
	if (!rules)
		return;
	for (unsigned int i = 0; i < rules->n_rules; i++) {
		regfree(&rules->rule[i].rx);
		free(rules->rule[i].replacement);
	}
	free(rules->rule);
	free(rules);
}

/* ---- expansion ------------------------------------------------------------ */

enum case_conv { CASE_KEEP, CASE_UPPER, CASE_LOWER };

/* Bounded output: once full, further output is dropped and flagged. */
struct out_buf {
	char *p;
	size_t len, cap;        /* cap includes the NUL */
	bool overflow;
};

static void put_bytes(struct out_buf *b, const char *s, size_t n, enum case_conv conv)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (b->len + 1 >= b->cap) {
			b->overflow = true;
			return;
		}
		if (conv == CASE_UPPER)
			c = (unsigned char)toupper(c);
		else if (conv == CASE_LOWER)
			c = (unsigned char)tolower(c);
		b->p[b->len++] = (char)c;
	}
	b->p[b->len] = '\0';
}

/*
 * Expand replacement for a match in input. With whole = true the result is
 * input with the match (pm[0]) replaced; with whole = false it is the
 * expanded replacement alone (the 'a' message). Returns 0 or -ENAMETOOLONG.
 */
static int expand(const char *replacement, const char *input, const regmatch_t *pm,
		  const struct client_view *client, bool whole, struct out_buf *b)
{
	enum case_conv conv = CASE_KEEP;
	const char *p = replacement;

	b->len = 0;
	b->p[0] = '\0';
	if (whole)
		put_bytes(b, input, (size_t)pm[0].rm_so, CASE_KEEP);
	while (*p) {
		if (*p != '\\') {
			put_bytes(b, p++, 1, conv);
			continue;
		}
		p++;
		switch (*p) {
		case '\0':      /* trailing backslash: literal */
			put_bytes(b, "\\", 1, conv);
			continue;
		case '0': case '1': case '2': case '3': case '4':
		case '5': case '6': case '7': case '8': case '9': {
			const regmatch_t *m = &pm[*p - '0'];

			if (m->rm_so >= 0)
				put_bytes(b, input + m->rm_so, (size_t)(m->rm_eo - m->rm_so), conv);
			break;
		}
		case 'i':
			put_bytes(b, client->text, strlen(client->text), conv);
			break;
		case 'x':
			put_bytes(b, client->hex, strlen(client->hex), conv);
			break;
		case 'U': conv = CASE_UPPER; break;
		case 'L': conv = CASE_LOWER; break;
		case 'E': conv = CASE_KEEP; break;
		default:        /* \\, "\ ", \#, and any other: the character itself */
			put_bytes(b, p, 1, conv);
			break;
		}
		p++;
	}
	if (whole)
		put_bytes(b, input + pm[0].rm_eo, strlen(input + pm[0].rm_eo), CASE_KEEP);
	return b->overflow ? -ENAMETOOLONG : 0;
}

static void view_client(const struct sockaddr *sa, struct client_view *cv)
{
	memset(cv, 0, sizeof(*cv));
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		cv->family = AF_INET;
		inet_ntop(AF_INET, &sin->sin_addr, cv->text, sizeof(cv->text));
		snprintf(cv->hex, sizeof(cv->hex), "%08X", ntohl(sin->sin_addr.s_addr));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		const unsigned char *a = sin6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			/* A dual-stack socket's IPv4 client: treat as IPv4. */
			cv->family = AF_INET;
			inet_ntop(AF_INET, a + 12, cv->text, sizeof(cv->text));
			snprintf(cv->hex, sizeof(cv->hex), "%02X%02X%02X%02X", a[12], a[13], a[14], a[15]);
			return;
		}
		cv->family = AF_INET6;
		inet_ntop(AF_INET6, a, cv->text, sizeof(cv->text));
		for (int i = 0; i < 16; i++)
			snprintf(cv->hex + 2 * i, 3, "%02X", a[i]);
	}
}

static bool rule_applies(const struct remap_rule *r, int is_write, int family)
{
	if ((r->flags & RULE_RRQ) && is_write)
		return false;
	if ((r->flags & RULE_WRQ) && !is_write)
		return false;
	if ((r->flags & RULE_IPV4) && family != AF_INET)
		return false;
	if ((r->flags & RULE_IPV6) && family != AF_INET6)
		return false;
	return true;
}

int remap_apply(const struct remap_rules *rules, const char *name, int is_write,
		const struct sockaddr *client, char *out, size_t out_len,
		struct remap_verdict *v)
{
	struct remap_verdict scratch;
	struct client_view cv;
	struct out_buf next = { 0 };
	unsigned int steps = 0, i = 0;
	int err = 0;

	if (!v)
		v = &scratch;
	memset(v, 0, sizeof(*v));
	if (!out_len)
		return -ENAMETOOLONG;
	if (strlen(name) >= out_len)
		return -ENAMETOOLONG;
	strcpy(out, name);
	if (!rules || !rules->n_rules)
		return 0;

	view_client(client, &cv);
	/* Rewrites are built in a second buffer of the caller's size, then copied. */
	next.p = malloc(out_len);
	next.cap = out_len;
	if (!next.p)
		return -ENOMEM;

	while (i < rules->n_rules) {
		const struct remap_rule *r = &rules->rule[i];
		const int want = (r->flags & RULE_INVERSE) ? REG_NOMATCH : 0;
		regmatch_t pm[REMAP_NSUB];
		bool matched = false;

		if (!rule_applies(r, is_write, cv.family)) {
			i++;
			continue;
		}
		for (;;) {
			if (++steps > REMAP_MAX_STEPS) {
				v->line = r->line;
				err = -ELOOP;
				goto cleanup;
			}
			if (regexec(&r->rx, out, REMAP_NSUB, pm, 0) != want)
				break;
			matched = true;
			if (r->flags & RULE_INVERSE) {
				/* Nothing matched: \0..\9 expand to nothing. */
				for (int k = 0; k < REMAP_NSUB; k++)
					pm[k].rm_so = pm[k].rm_eo = -1;
			}
			if (r->flags & RULE_ABORT) {
				struct out_buf msg = { .p = v->message, .cap = sizeof(v->message) };

				/* A message too long for the buffer is cut, not refused. */
				expand(r->replacement, out, pm, &cv, false, &msg);
				v->line = r->line;
				err = -EACCES;
				goto cleanup;
			}
			if (!(r->flags & RULE_REWRITE))
				break;
			err = expand(r->replacement, out, pm, &cv, true, &next);
			if (err) {
				v->line = r->line;
				goto cleanup;
			}
			memcpy(out, next.p, next.len + 1);
			v->rewrites++;
			if (!(r->flags & RULE_GLOBAL))
				break;
		}
		if (matched && (r->flags & RULE_EXIT)) {
			v->line = r->line;
			break;
		}
		if (matched && (r->flags & RULE_RESTART)) {
			i = 0;
			continue;
		}
		i++;
	}
cleanup:
	free(next.p);
	if (err && err != -ENOMEM)
		out[0] = '\0';
	return err;
}
