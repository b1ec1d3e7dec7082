// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: TFTP packet parsing and building (user/proto/packet.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "xtftp_wire.h"
#include "proto/packet.h"

/* A packet from a string literal with embedded NULs; the literal's own
 * terminating NUL is not part of the packet. */
#define PKT(s) (const uint8_t *)(s), sizeof(s) - 1

static void test_rrq_plain(void **state)
{
	struct tftp_request req;

	(void)state;
	/* tftp-hpa: no options at all */
	assert_int_equal(tftp_parse_request(PKT("\0\1ArcherC7v2_tp_recovery.bin\0octet\0"), &req), 0);
	assert_int_equal(req.opcode, TFTP_RRQ);
	assert_string_equal(req.filename, "ArcherC7v2_tp_recovery.bin");
	assert_string_equal(req.mode, "octet");
	assert_int_equal(req.netascii, 0);
	assert_int_equal(req.n_options, 0);
}

static void test_rrq_curl_options(void **state)
{
	struct tftp_request req;

	(void)state;
	assert_int_equal(tftp_parse_request(
		PKT("\0\1img.bin\0octet\0tsize\0" "0\0blksize\0" "512\0timeout\0" "6\0"), &req), 0);
	assert_int_equal(req.n_options, 3);
	assert_string_equal(req.options[0].name, "tsize");
	assert_string_equal(req.options[0].value, "0");
	assert_string_equal(req.options[1].name, "blksize");
	assert_string_equal(req.options[1].value, "512");
	assert_string_equal(req.options[2].name, "timeout");
	assert_string_equal(req.options[2].value, "6");
}

static void test_wrq_netascii_mixed_case(void **state)
{
	struct tftp_request req;

	(void)state;
	assert_int_equal(tftp_parse_request(PKT("\0\2up.txt\0NetASCII\0"), &req), 0);
	assert_int_equal(req.opcode, TFTP_WRQ);
	assert_int_equal(req.netascii, 1);
	assert_int_equal(tftp_parse_request(PKT("\0\1a\0OCTET\0"), &req), 0);
	assert_int_equal(req.netascii, 0);
}

static void test_request_malformed(void **state)
{
	struct tftp_request req;

	(void)state;
	/* too short for an opcode / only an opcode */
	assert_int_equal(tftp_parse_request(PKT("\0"), &req), -EINVAL);
	assert_int_equal(tftp_parse_request(PKT("\0\1"), &req), -EINVAL);
	/* not a request */
	assert_int_equal(tftp_parse_request(PKT("\0\4a\0octet\0"), &req), -EINVAL);
	assert_int_equal(tftp_parse_request(PKT("\0\7a\0octet\0"), &req), -EINVAL);
	/* file name without NUL */
	assert_int_equal(tftp_parse_request(PKT("\0\1abc"), &req), -EINVAL);
	/* empty file name */
	assert_int_equal(tftp_parse_request(PKT("\0\1\0octet\0"), &req), -EINVAL);
	/* no mode at all, mode without NUL */
	assert_int_equal(tftp_parse_request(PKT("\0\1abc\0"), &req), -EINVAL);
	assert_int_equal(tftp_parse_request(PKT("\0\1abc\0octet"), &req), -EINVAL);
	/* unknown and obsolete modes */
	assert_int_equal(tftp_parse_request(PKT("\0\1abc\0mail\0"), &req), -EINVAL);
	assert_int_equal(tftp_parse_request(PKT("\0\1abc\0binary\0"), &req), -EINVAL);
	assert_int_equal(tftp_parse_request(PKT("\0\1abc\0\0"), &req), -EINVAL);
	assert_int_equal(tftp_parse_request(PKT("\0\1abc\0octet \0"), &req), -EINVAL);
	/* option value without NUL */
	assert_int_equal(tftp_parse_request(PKT("\0\1abc\0octet\0blksize\0" "1468"), &req), -EINVAL);
	/* option name without NUL */
	assert_int_equal(tftp_parse_request(PKT("\0\1abc\0octet\0blks"), &req), -EINVAL);
}

static void test_request_odd_and_padding(void **state)
{
	struct tftp_request req;

	(void)state;
	/* trailing name without value: ignored, like tftpd-hpa */
	assert_int_equal(tftp_parse_request(PKT("\0\1abc\0octet\0blksize\0" "1468\0tsize\0"), &req), 0);
	assert_int_equal(req.n_options, 1);
	assert_string_equal(req.options[0].name, "blksize");
	/* NUL padding after the mode ends the list */
	assert_int_equal(tftp_parse_request(PKT("\0\1abc\0octet\0\0\0\0\0"), &req), 0);
	assert_int_equal(req.n_options, 0);
	/* empty value kept (negotiation ignores it) */
	assert_int_equal(tftp_parse_request(PKT("\0\1abc\0octet\0blksize\0\0"), &req), 0);
	assert_int_equal(req.n_options, 1);
	assert_string_equal(req.options[0].value, "");
}

static void test_request_name_length(void **state)
{
	static uint8_t buf[2 + TFTP_MAX_NAME + 1 + 6 + 16];
	struct tftp_request req;
	size_t len;

	(void)state;
	/* exactly TFTP_MAX_NAME bytes: accepted */
	buf[0] = 0;
	buf[1] = TFTP_RRQ;
	memset(buf + 2, 'a', TFTP_MAX_NAME);
	buf[2 + TFTP_MAX_NAME] = 0;
	memcpy(buf + 3 + TFTP_MAX_NAME, "octet", 6);
	len = 3 + TFTP_MAX_NAME + 6;
	assert_int_equal(tftp_parse_request(buf, len, &req), 0);
	assert_int_equal(strlen(req.filename), TFTP_MAX_NAME);
	/* one more: refused */
	memset(buf + 2, 'a', TFTP_MAX_NAME + 1);
	buf[3 + TFTP_MAX_NAME] = 0;
	memcpy(buf + 4 + TFTP_MAX_NAME, "octet", 6);
	len = 4 + TFTP_MAX_NAME + 6;
	assert_true(len <= sizeof(buf));
	assert_int_equal(tftp_parse_request(buf, len, &req), -EINVAL);
}

/* Append a NUL-terminated string to a packet under construction. */
static void put_str(uint8_t *buf, size_t *len, const char *s)
{
	memcpy(buf + *len, s, strlen(s) + 1);
	*len += strlen(s) + 1;
}

static size_t request_with_options(uint8_t *buf, int n)
{
	char name[16], value[16];
	size_t len = 2;
	int i;

	buf[0] = 0;
	buf[1] = TFTP_RRQ;
	put_str(buf, &len, "f");
	put_str(buf, &len, "octet");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "opt%d", i);
		snprintf(value, sizeof(value), "%d", i);
		put_str(buf, &len, name);
		put_str(buf, &len, value);
	}
	return len;
}

static void test_request_too_many_options(void **state)
{
	uint8_t buf[1024];
	struct tftp_request req;
	size_t len;

	(void)state;
	len = request_with_options(buf, TFTP_MAX_OPTIONS + 3);
	assert_int_equal(tftp_parse_request(buf, len, &req), -E2BIG);
	assert_int_equal(req.n_options, TFTP_MAX_OPTIONS);
	assert_string_equal(req.options[0].name, "opt0");
	assert_string_equal(req.options[TFTP_MAX_OPTIONS - 1].name, "opt15");
	assert_string_equal(req.options[TFTP_MAX_OPTIONS - 1].value, "15");
	assert_string_equal(req.filename, "f");
	/* exactly TFTP_MAX_OPTIONS is fine */
	len = request_with_options(buf, TFTP_MAX_OPTIONS);
	assert_int_equal(tftp_parse_request(buf, len, &req), 0);
	assert_int_equal(req.n_options, TFTP_MAX_OPTIONS);
	/* extras that are malformed still make the request malformed */
	len = request_with_options(buf, TFTP_MAX_OPTIONS + 1);
	buf[len++] = 'x';
	buf[len++] = 0;
	buf[len++] = 'y';
	assert_int_equal(tftp_parse_request(buf, len, &req), -EINVAL);
}

static void test_parse_ack_data_error(void **state)
{
	const uint8_t *payload;
	const char *msg;
	uint16_t block, code;
	size_t plen;

	(void)state;
	assert_int_equal(tftp_opcode(PKT("\0")), -EINVAL);
	assert_int_equal(tftp_opcode(PKT("\0\6")), TFTP_OACK);

	assert_int_equal(tftp_parse_ack(PKT("\0\4\xff\xfe"), &block), 0);
	assert_int_equal(block, 65534);
	assert_int_equal(tftp_parse_ack(PKT("\0\4\0\1junk"), &block), 0);   /* extra ignored */
	assert_int_equal(block, 1);
	assert_int_equal(tftp_parse_ack(PKT("\0\4\0"), &block), -EINVAL);
	assert_int_equal(tftp_parse_ack(PKT("\0\3\0\1"), &block), -EINVAL);

	assert_int_equal(tftp_parse_data(PKT("\0\3\1\0hello"), &block, &payload, &plen), 0);
	assert_int_equal(block, 256);
	assert_int_equal(plen, 5);
	assert_memory_equal(payload, "hello", 5);
	assert_int_equal(tftp_parse_data(PKT("\0\3\0\7"), &block, &payload, &plen), 0);
	assert_int_equal(plen, 0);                      /* empty final block */
	assert_int_equal(tftp_parse_data(PKT("\0\3\0"), &block, &payload, &plen), -EINVAL);
	assert_int_equal(tftp_parse_data(PKT("\0\4\0\1x"), &block, &payload, &plen), -EINVAL);

	assert_int_equal(tftp_parse_error(PKT("\0\5\0\1File not found\0"), &code, &msg), 0);
	assert_int_equal(code, 1);
	assert_string_equal(msg, "File not found");
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\2no nul"), &code, &msg), 0);
	assert_int_equal(code, 2);
	assert_string_equal(msg, "");
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\3"), &code, &msg), 0);
	assert_string_equal(msg, "");
	assert_int_equal(tftp_parse_error(PKT("\0\5\0"), &code, &msg), -EINVAL);
}

static void test_build_data_ack(void **state)
{
	uint8_t buf[8];

	(void)state;
	assert_int_equal(tftp_build_data_header(buf, sizeof(buf), 0x1234), 4);
	assert_memory_equal(buf, "\0\3\x12\x34", 4);
	assert_int_equal(tftp_build_ack(buf, sizeof(buf), 65535), 4);
	assert_memory_equal(buf, "\0\4\xff\xff", 4);
	assert_int_equal(tftp_build_ack(buf, 3, 1), -ENOSPC);
	assert_int_equal(tftp_build_data_header(buf, 3, 1), -ENOSPC);
}

static void test_build_error(void **state)
{
	uint8_t buf[64];
	const char *msg;
	uint16_t code;
	int n;

	(void)state;
	n = tftp_build_error(buf, sizeof(buf), TFTP_EACCESS, "Access violation");
	assert_int_equal(n, 4 + 16 + 1);
	assert_memory_equal(buf, "\0\5\0\2Access violation\0", (size_t)n);
	assert_int_equal(tftp_parse_error(buf, (size_t)n, &code, &msg), 0);
	assert_int_equal(code, TFTP_EACCESS);
	/* truncated to the cap, still NUL-terminated */
	memset(buf, 0xaa, sizeof(buf));
	n = tftp_build_error(buf, 10, TFTP_EUNDEF, "a long message that does not fit");
	assert_int_equal(n, 10);
	assert_int_equal(buf[9], 0);
	assert_memory_equal(buf + 4, "a lon", 5);
	assert_int_equal(buf[10], 0xaa);                /* nothing past cap */
	/* NULL message: empty string */
	n = tftp_build_error(buf, sizeof(buf), TFTP_EBADOP, NULL);
	assert_int_equal(n, 5);
	assert_int_equal(buf[4], 0);
	assert_int_equal(tftp_build_error(buf, 4, 0, "x"), -ENOSPC);
	assert_int_equal(tftp_build_error(buf, 5, 0, "x"), 5);
}

static void test_build_oack(void **state)
{
	const struct tftp_option opts[] = {
		{ "blksize", "1468" }, { "TIMEOUT", "05" }, { "tsize", "16777216" },
	};
	static const char want[] = "\0\6blksize\0" "1468\0TIMEOUT\0" "05\0tsize\0" "16777216\0";
	uint8_t buf[128];
	int n;

	(void)state;
	n = tftp_build_oack(buf, sizeof(buf), opts, 3);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(buf, want, sizeof(want) - 1);
	/* one byte short: refused whole, never a truncated OACK */
	assert_int_equal(tftp_build_oack(buf, sizeof(want) - 2, opts, 3), -ENOSPC);
	assert_int_equal(tftp_build_oack(buf, sizeof(want) - 1, opts, 3), (int)sizeof(want) - 1);
	assert_int_equal(tftp_build_oack(buf, 1, opts, 0), -ENOSPC);
}

/* Build, then parse back: the builders and parsers agree. */
static void test_round_trip(void **state)
{
	uint8_t buf[16];
	uint16_t block;
	unsigned int b;

	(void)state;
	for (b = 0; b <= 0xffff; b += 257) {
		assert_int_equal(tftp_build_ack(buf, sizeof(buf), (uint16_t)b), 4);
		assert_int_equal(tftp_parse_ack(buf, 4, &block), 0);
		assert_int_equal(block, b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rrq_plain),
		cmocka_unit_test(test_rrq_curl_options),
		cmocka_unit_test(test_wrq_netascii_mixed_case),
		cmocka_unit_test(test_request_malformed),
		cmocka_unit_test(test_request_odd_and_padding),
		cmocka_unit_test(test_request_name_length),
		cmocka_unit_test(test_request_too_many_options),
		cmocka_unit_test(test_parse_ack_data_error),
		cmocka_unit_test(test_build_data_ack),
		cmocka_unit_test(test_build_error),
		cmocka_unit_test(test_build_oack),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
