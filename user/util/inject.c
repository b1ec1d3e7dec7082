// SPDX-License-Identifier: GPL-2.0-or-later
/* Fault injection settings as text (see inject.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "inject.h"
#include "xtftp_kern.h"

int inject_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	/* %x alone would skip blanks and take a sign: "aa: b..." or a newline
	 * inside (a request line split in two) must not pass */
	if (strspn(s, "0123456789abcdefABCDEF:") != strlen(s))
		return -EINVAL;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int parse_prob(const char *s, uint32_t *out)
{
	char *end;
	double p;

	/* strtod would skip leading blanks and newlines: a value must start
	 * with a digit or '.', so a control line can never be split by one */
	if (!((*s >= '0' && *s <= '9') || *s == '.'))
		return -EINVAL;
	errno = 0;
	p = strtod(s, &end);
	if (errno || end == s || *end || !(p >= 0.0 && p <= 1.0))
		return -EINVAL;
	*out = (uint32_t)(p * XT_INJECT_PROB_ONE + 0.5);
	return 0;
}

static int add_block(struct xt_inject *c, const char *s)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')       /* no blanks, sign or newline before it */
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	if (c->n_blocks >= XT_INJECT_MAX_BLOCKS)
		return -E2BIG;
	c->blocks[c->n_blocks++] = (uint32_t)v;
	return 0;
}

static int set_key(struct xt_inject *c, const char *key, const char *val, char *err, size_t errlen)
{
	int rc;

	if (!strcmp(key, "prob")) {
		if (parse_prob(val, &c->prob)) {
			snprintf(err, errlen, "prob=%s: expected a probability 0..1", val);
			return -EINVAL;
		}
	} else if (!strcmp(key, "blocks") || !strcmp(key, "block")) {
		rc = add_block(c, val);
		if (rc == -E2BIG) {
			snprintf(err, errlen, "blocks: at most %d", XT_INJECT_MAX_BLOCKS);
			return -EINVAL;
		}
		if (rc) {
			snprintf(err, errlen, "blocks: \"%.32s\" is not a block number >= 1", val);
			return -EINVAL;
		}
	} else if (!strcmp(key, "client-ip") || !strcmp(key, "client")) {
		memset(c->addr, 0, sizeof(c->addr));
		if (inet_pton(AF_INET, val, c->addr) == 1) {
			c->family = XT_FAMILY_INET;
		} else if (inet_pton(AF_INET6, val, c->addr) == 1) {
			c->family = XT_FAMILY_INET6;
		} else {
			snprintf(err, errlen, "client-ip=%.64s: not an IPv4 or IPv6 address", val);
			return -EINVAL;
		}
	} else if (!strcmp(key, "client-mac") || !strcmp(key, "mac")) {
		if (inject_parse_mac(val, c->mac)) {
			snprintf(err, errlen, "client-mac=%.32s: expected aa:bb:cc:dd:ee:ff", val);
			return -EINVAL;
		}
		c->has_mac = 1;
	} else {
		snprintf(err, errlen, "unknown key \"%.32s\" (prob, blocks, client-ip, client-mac)", key);
		return -EINVAL;
	}
	return 0;
}

int inject_parse(const char *spec, struct xt_inject *out, char *err, size_t errlen)
{
	char buf[512], *rest, *tok, *save = NULL, key[32] = "";
	int rc = 0;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	rest = strchr(buf, ':');
	if (rest)
		*rest++ = '\0';
	if (!strcmp(buf, "off") || !strcmp(buf, "clear") || !strcmp(buf, "none")) {
		if (rest && *rest) {
			snprintf(err, errlen, "%s takes no settings", buf);
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(buf, "drop")) {
		out->mode = XT_INJECT_DROP;
	} else if (!strcmp(buf, "dup")) {
		out->mode = XT_INJECT_DUP;
	} else {
		snprintf(err, errlen, "\"%.32s\": expected drop, dup or off", buf);
		return -EINVAL;
	}
	out->prob = XT_INJECT_PROB_ONE;
	for (tok = rest ? strtok_r(rest, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *val = tok;

		if (eq) {
			*eq = '\0';
			snprintf(key, sizeof(key), "%s", tok);
			val = eq + 1;
		} else if (!key[0]) {
			snprintf(err, errlen, "\"%.32s\": expected KEY=VALUE", tok);
			return -EINVAL;
		}
		rc = set_key(out, key, val, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

void inject_format(const struct xt_inject *c, char *buf, size_t len)
{
	size_t off = 0;
	int n;

#define APPEND(...) do { \
		n = snprintf(buf + off, len - off, __VA_ARGS__); \
		if (n < 0 || (size_t)n >= len - off) \
			return; \
		off += (size_t)n; \
	} while (0)

	if (!len)
		return;
	buf[0] = '\0';
	if (c->mode != XT_INJECT_DROP && c->mode != XT_INJECT_DUP) {
		snprintf(buf, len, "off");
		return;
	}
	APPEND("%s prob=%.4f", c->mode == XT_INJECT_DROP ? "drop" : "dup",
	       (double)c->prob / XT_INJECT_PROB_ONE);
	for (uint32_t i = 0; i < c->n_blocks && i < XT_INJECT_MAX_BLOCKS; i++)
		APPEND("%s%u", i ? "," : " blocks=", c->blocks[i]);
	if (c->family) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(c->family == XT_FAMILY_INET ? AF_INET : AF_INET6, c->addr, a, sizeof(a));
		APPEND(" client-ip=%s", a);
	}
	if (c->has_mac)
		APPEND(" client-mac=%02x:%02x:%02x:%02x:%02x:%02x", c->mac[0], c->mac[1],
		       c->mac[2], c->mac[3], c->mac[4], c->mac[5]);
#undef APPEND
}

int inject_request(const char *mode, const char *prob, const char *blocks, const char *client_ip,
		   const char *client_mac, int clear, char *out, size_t len, char *err, size_t errlen)
{
	struct xt_inject c;
	int n;

	err[0] = '\0';
	if (clear && (mode || prob || blocks || client_ip || client_mac)) {
		snprintf(err, errlen, "--clear takes nothing else");
		return -EINVAL;
	}
	if (clear) {
		snprintf(out, len, "inject off\n");
		return 0;
	}
	if (!mode) {
		if (prob || blocks || client_ip || client_mac) {
			snprintf(err, errlen, "say what to inject: drop or dup");
			return -EINVAL;
		}
		snprintf(out, len, "inject\n");
		return 0;
	}
	n = snprintf(out, len, "inject %s:%s%s%s%s%s%s%s%s", mode,
		     prob ? "prob=" : "", prob ? prob : "",
		     blocks ? (prob ? ",blocks=" : "blocks=") : "", blocks ? blocks : "",
		     client_ip ? (prob || blocks ? ",client-ip=" : "client-ip=") : "",
		     client_ip ? client_ip : "",
		     client_mac ? (prob || blocks || client_ip ? ",client-mac=" : "client-mac=") : "",
		     client_mac ? client_mac : "");
	if (n < 0 || (size_t)n + 2 > len) {
		snprintf(err, errlen, "settings too long");
		return -EINVAL;
	}
	/* "drop:" alone is "drop" */
	if (out[n - 1] == ':')
		out[--n] = '\0';
	if (inject_parse(out + strlen("inject "), &c, err, errlen))
		return -EINVAL;
	snprintf(out + n, len - (size_t)n, "\n");
	return 0;
}

uint32_t inject_random(void)
{
	static uint64_t state;

	/* xorshift64*, seeded once from the kernel: fast, and good enough to
	 * pick which frames to lose */
	if (!state && (getrandom(&state, sizeof(state), GRND_NONBLOCK) != sizeof(state) || !state))
		state = 0x9e3779b97f4a7c15ull;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (uint32_t)((state * 0x2545f4914f6cdd1dull) >> 32);
}
