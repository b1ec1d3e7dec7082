// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: option negotiation (user/proto/negotiate.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "xtftp_wire.h"
#include "proto/packet.h"
#include "proto/negotiate.h"

static const struct negotiate_limits lim_default = {
	.max_blksize = 1468,
	.max_windowsize = 16,
	.default_timeout_us = 1000000,
};

/* A request from a NULL-terminated list of name, value, name, value... */
static void make_req(struct tftp_request *req, uint16_t opcode, const char *const *kv)
{
	memset(req, 0, sizeof(*req));
	req->opcode = opcode;
	req->filename = "f";
	req->mode = "octet";
	while (kv[0] && kv[1] && req->n_options < TFTP_MAX_OPTIONS) {
		req->options[req->n_options].name = kv[0];
		req->options[req->n_options].value = kv[1];
		req->n_options++;
		kv += 2;
	}
}

/* The OACK value for name (case-insensitive), or NULL if not in the OACK. */
static const char *oack_value(const struct negotiated *n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n->n_oack; i++)
		if (strcasecmp(n->oack[i].name, name) == 0)
			return n->oack[i].value;
	return NULL;
}

static int negotiate_kv(struct negotiated *out, uint16_t opcode, const char *const *kv)
{
	struct tftp_request req;

	make_req(&req, opcode, kv);
	return negotiate_options(&req, &lim_default, out);
}

static void test_no_options(void **state)
{
	const char *kv[] = { NULL };
	struct negotiated n;

	(void)state;
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, kv), 0);
	assert_int_equal(n.n_oack, 0);
	assert_int_equal(n.blksize, 512);
	assert_int_equal(n.windowsize, 1);
	assert_int_equal(n.timeout_us, 1000000);
	assert_int_equal(n.has_tsize, 0);
}

static void test_curl_defaults(void **state)
{
	const char *kv[] = { "tsize", "0", "blksize", "512", "timeout", "6", NULL };
	struct negotiated n;

	(void)state;
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, kv), 0);
	assert_int_equal(n.n_oack, 3);
	/* client's order */
	assert_string_equal(n.oack[0].name, "tsize");
	assert_string_equal(n.oack[1].name, "blksize");
	assert_string_equal(n.oack[2].name, "timeout");
	assert_int_equal(n.has_tsize, 1);
	assert_int_equal(n.blksize, 512);
	assert_int_equal(n.timeout_us, 6000000);
	negotiate_set_tsize(&n, 16777216);
	assert_string_equal(oack_value(&n, "tsize"), "16777216");
	assert_true(n.tsize == 16777216);
}

static void test_uboot(void **state)
{
	const char *kv[] = { "timeout", "5", "blksize", "1468", "windowsize", "8", NULL };
	struct negotiated n;

	(void)state;
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, kv), 0);
	assert_string_equal(oack_value(&n, "timeout"), "5");
	assert_string_equal(oack_value(&n, "blksize"), "1468");
	assert_string_equal(oack_value(&n, "windowsize"), "8");
	assert_int_equal(n.windowsize, 8);
}

static void test_blksize_bounds(void **state)
{
	static const struct { const char *v; const char *want; unsigned int size; } cases[] = {
		{ "8", "8", 8 },
		{ "7", NULL, 512 },             /* below RFC 2348 minimum: ignored */
		{ "0", NULL, 512 },
		{ "1468", "1468", 1468 },
		{ "1469", "1468", 1468 },       /* capped to the server limit */
		{ "65464", "1468", 1468 },
		{ "65465", "1468", 1468 },      /* above RFC maximum: capped too */
		{ "99999999999999999999", NULL, 512 },  /* overflow: ignored */
		{ "abc", NULL, 512 },
		{ "12abc", NULL, 512 },
		{ "", NULL, 512 },
		{ "-1", NULL, 512 },
		{ " 512", NULL, 512 },
		{ "+512", NULL, 512 },
		{ "0x200", NULL, 512 },
		{ "1024", "1024", 1024 },       /* never more than asked */
	};
	struct negotiated n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *kv[] = { "blksize", cases[i].v, NULL };

		assert_int_equal(negotiate_kv(&n, TFTP_RRQ, kv), 0);
		assert_int_equal(n.blksize, cases[i].size);
		if (cases[i].want)
			assert_string_equal(oack_value(&n, "blksize"), cases[i].want);
		else
			assert_null(oack_value(&n, "blksize"));
	}
}

static void test_blksize_limits(void **state)
{
	const char *kv[] = { "blksize", "65464", NULL };
	struct negotiate_limits lim = { .max_blksize = 0, .max_windowsize = 0 };
	struct tftp_request req;
	struct negotiated n;

	(void)state;
	make_req(&req, TFTP_RRQ, kv);
	/* no server cap: RFC maximum */
	assert_int_equal(negotiate_options(&req, &lim, &n), 0);
	assert_int_equal(n.blksize, 65464);
	assert_int_equal(n.timeout_us, 1000000);        /* default when limits say 0 */
	/* absurd server cap: clamped to the RFC maximum */
	lim.max_blksize = 100000;
	assert_int_equal(negotiate_options(&req, &lim, &n), 0);
	assert_int_equal(n.blksize, 65464);
	lim.max_blksize = 512;
	assert_int_equal(negotiate_options(&req, &lim, &n), 0);
	assert_int_equal(n.blksize, 512);
	assert_string_equal(oack_value(&n, "blksize"), "512");
}

static void test_timeout(void **state)
{
	static const struct { const char *v; const char *want; unsigned int us; } cases[] = {
		{ "1", "1", 1000000 },
		{ "255", "255", 255000000 },
		{ "05", "05", 5000000 },        /* echoed verbatim */
		{ "0", NULL, 1000000 },
		{ "256", NULL, 1000000 },
		{ "3000", NULL, 1000000 },      /* npm tftp: milliseconds, ignored */
		{ "5s", NULL, 1000000 },
		{ "", NULL, 1000000 },
		{ "000000000000000000000000000005", "5", 5000000 },  /* too long to echo */
	};
	struct negotiated n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *kv[] = { "timeout", cases[i].v, NULL };

		assert_int_equal(negotiate_kv(&n, TFTP_RRQ, kv), 0);
		assert_int_equal(n.timeout_us, cases[i].us);
		if (cases[i].want)
			assert_string_equal(oack_value(&n, "timeout"), cases[i].want);
		else
			assert_null(oack_value(&n, "timeout"));
	}
}

static void test_npm_tftp(void **state)
{
	/* npm tftp@0.1.2: timeout in ms and a rollover option we do not know */
	const char *kv[] = { "blksize", "1468", "timeout", "3000", "rollover", "0", NULL };
	struct negotiated n;

	(void)state;
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, kv), 0);
	assert_int_equal(n.n_oack, 1);
	assert_string_equal(oack_value(&n, "blksize"), "1468");
	assert_null(oack_value(&n, "timeout"));
	assert_null(oack_value(&n, "rollover"));
}

static void test_utimeout(void **state)
{
	const char *both[] = { "utimeout", "200000", "timeout", "3", NULL };
	const char *low[] = { "utimeout", "9999", NULL };
	const char *high[] = { "utimeout", "255000001", NULL };
	struct negotiated n;

	(void)state;
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, both), 0);
	assert_int_equal(n.timeout_us, 200000);         /* utimeout is finer: wins */
	assert_string_equal(oack_value(&n, "utimeout"), "200000");
	assert_string_equal(oack_value(&n, "timeout"), "3");
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, low), 0);
	assert_null(oack_value(&n, "utimeout"));
	assert_int_equal(n.timeout_us, 1000000);
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, high), 0);
	assert_null(oack_value(&n, "utimeout"));
}

static void test_windowsize(void **state)
{
	static const struct { const char *v; const char *want; unsigned int w; } cases[] = {
		{ "1", "1", 1 },
		{ "8", "8", 8 },
		{ "16", "16", 16 },
		{ "17", "16", 16 },             /* capped to the server limit */
		{ "65535", "16", 16 },
		{ "65536", "16", 16 },
		{ "0", NULL, 1 },
		{ "x", NULL, 1 },
	};
	struct negotiated n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *kv[] = { "windowsize", cases[i].v, NULL };

		assert_int_equal(negotiate_kv(&n, TFTP_RRQ, kv), 0);
		assert_int_equal(n.windowsize, cases[i].w);
		if (cases[i].want)
			assert_string_equal(oack_value(&n, "windowsize"), cases[i].want);
		else
			assert_null(oack_value(&n, "windowsize"));
	}
}

static void test_tsize(void **state)
{
	const char *rrq_garbage[] = { "tsize", "abc", NULL };
	const char *wrq[] = { "tsize", "123456", NULL };
	const char *wrq_garbage[] = { "tsize", "12x", NULL };
	const char *rrq_nonzero[] = { "tsize", "77", NULL };
	struct negotiated n;

	(void)state;
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, rrq_garbage), 0);
	assert_int_equal(n.has_tsize, 0);
	assert_null(oack_value(&n, "tsize"));
	/* RRQ: whatever the client says, the OACK carries the file size */
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, rrq_nonzero), 0);
	assert_int_equal(n.has_tsize, 1);
	negotiate_set_tsize(&n, 18446744073709551615ull);
	assert_string_equal(oack_value(&n, "tsize"), "18446744073709551615");
	/* WRQ: the client's size is echoed */
	assert_int_equal(negotiate_kv(&n, TFTP_WRQ, wrq), 0);
	assert_int_equal(n.has_tsize, 1);
	assert_true(n.tsize == 123456);
	assert_string_equal(oack_value(&n, "tsize"), "123456");
	/* WRQ with a non-numeric size: refused (error 8) */
	assert_int_equal(negotiate_kv(&n, TFTP_WRQ, wrq_garbage), -EINVAL);
}

static void test_case_and_duplicates(void **state)
{
	const char *kv[] = { "BlkSize", "1024", "blksize", "512", "TIMEOUT", "7",
			     "timeout", "9", "WindowSize", "4", NULL };
	const char *first_bad[] = { "blksize", "abc", "blksize", "1024", NULL };
	struct negotiated n;

	(void)state;
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, kv), 0);
	assert_int_equal(n.n_oack, 3);
	assert_string_equal(n.oack[0].name, "BlkSize");         /* client's spelling */
	assert_string_equal(n.oack[0].value, "1024");           /* first wins */
	assert_string_equal(n.oack[1].name, "TIMEOUT");
	assert_string_equal(n.oack[1].value, "7");
	assert_string_equal(n.oack[2].name, "WindowSize");
	assert_int_equal(n.blksize, 1024);
	assert_int_equal(n.timeout_us, 7000000);
	/* the first occurrence decides even when it is ignored */
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, first_bad), 0);
	assert_int_equal(n.blksize, 512);
	assert_int_equal(n.n_oack, 0);
}

static void test_unknown_options(void **state)
{
	const char *kv[] = { "multicast", "", "blksize2", "1024", "x", "y",
			     "blksize", "1400", NULL };
	struct negotiated n;

	(void)state;
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, kv), 0);
	assert_int_equal(n.n_oack, 1);
	assert_string_equal(n.oack[0].name, "blksize");
	assert_int_equal(n.blksize, 1400);
}

/* The negotiated OACK serialises and parses back unchanged. */
static void test_oack_round_trip(void **state)
{
	const char *kv[] = { "tsize", "0", "blksize", "1468", "timeout", "05", NULL };
	uint8_t buf[128];
	struct negotiated n;
	unsigned int i;
	int len;

	(void)state;
	assert_int_equal(negotiate_kv(&n, TFTP_RRQ, kv), 0);
	negotiate_set_tsize(&n, 4194304);
	len = tftp_build_oack(buf, sizeof(buf), n.oack, n.n_oack);
	assert_true(len > 2);
	{
		static const char want[] = "\0\6tsize\0" "4194304\0blksize\0" "1468\0timeout\0" "05\0";

		assert_int_equal(len, sizeof(want) - 1);
		assert_memory_equal(buf, want, sizeof(want) - 1);
	}
	for (i = 0; i < n.n_oack; i++)
		assert_true(strlen(n.oack[i].value) < sizeof(n.value_buf[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_options),
		cmocka_unit_test(test_curl_defaults),
		cmocka_unit_test(test_uboot),
		cmocka_unit_test(test_blksize_bounds),
		cmocka_unit_test(test_blksize_limits),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_npm_tftp),
		cmocka_unit_test(test_utimeout),
		cmocka_unit_test(test_windowsize),
		cmocka_unit_test(test_tsize),
		cmocka_unit_test(test_case_and_duplicates),
		cmocka_unit_test(test_unknown_options),
		cmocka_unit_test(test_oack_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
