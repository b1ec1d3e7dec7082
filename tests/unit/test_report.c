// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: user/report.c: JSON escaping of hostile names, transfer and
 * stats JSON, Prometheus exposition format, the top screen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "obs/report.h"

/* Render with fn into a NUL-terminated malloc'd string. */
#define RENDER(var, call) do {                                  \
	size_t len_;                                            \
	FILE *f = open_memstream(&(var), &len_);                \
	assert_non_null(f);                                     \
	call;                                                   \
	fclose(f);                                              \
} while (0)

static char *esc(const char *s)
{
	char *out;

	RENDER(out, json_write_string(f, s));
	return out;
}

static void expect_esc(const char *in, const char *want)
{
	char *got = esc(in);

	if (strcmp(got, want))
		fail_msg("escape of %s: got %s want %s", in, got, want);
	free(got);
}

static void test_json_plain_and_specials(void **state)
{
	(void)state;
	expect_esc("", "\"\"");
	expect_esc("fw.bin", "\"fw.bin\"");
	expect_esc("a\"b", "\"a\\\"b\"");
	expect_esc("a\\b", "\"a\\\\b\"");
	expect_esc("../../etc/passwd", "\"../../etc/passwd\"");
	expect_esc("x\ny", "\"x\\ny\"");
	expect_esc("x\ry\tz", "\"x\\ry\\tz\"");
	expect_esc("\x01\x1b[2J\x7f", "\"\\u0001\\u001b[2J\\u007f\"");
	/* an attempt to close the string and inject a member */
	expect_esc("\",\"outcome\":\"done", "\"\\\",\\\"outcome\\\":\\\"done\"");
}

static void test_json_utf8(void **state)
{
	(void)state;
	/* valid sequences pass through unchanged */
	expect_esc("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	expect_esc("\xe2\x82\xac", "\"\xe2\x82\xac\"");                 /* euro sign */
	expect_esc("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");         /* U+1F600 */
	expect_esc("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");         /* U+10FFFF */
	/* invalid bytes become U+FFFD one by one */
	expect_esc("\xff", "\"\\ufffd\"");
	expect_esc("a\x80z", "\"a\\ufffdz\"");                          /* stray continuation */
	expect_esc("\xc0\xaf", "\"\\ufffd\\ufffd\"");                   /* overlong '/' */
	expect_esc("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");        /* overlong 3-byte */
	expect_esc("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");        /* surrogate D800 */
	expect_esc("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
	expect_esc("\xe2\x82", "\"\\ufffd\\ufffd\"");                   /* truncated at the end */
	expect_esc("\xe2\x82z", "\"\\ufffd\\ufffdz\"");                 /* truncated mid-string */
	expect_esc("\xc3\xa9\xff\xc3\xa9", "\"\xc3\xa9\\ufffd\xc3\xa9\"");
}

static void test_json_mem_nul(void **state)
{
	char *out;

	(void)state;
	RENDER(out, json_write_mem(f, "a\0b", 3));
	assert_string_equal(out, "\"a\\u0000b\"");
	free(out);
}

static void make_transfer(struct transfer *t)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&t->client;

	memset(t, 0, sizeof(*t));
	t->id = 7;
	a->sin_family = AF_INET;
	a->sin_port = htons(40000);
	inet_pton(AF_INET, "198.18.0.2", &a->sin_addr);
	snprintf(t->requested, sizeof(t->requested), "evil\"\n\x1b]0;pwn\x07\xff.bin");
	snprintf(t->served, sizeof(t->served), "evil.bin");
	snprintf(t->mode, sizeof(t->mode), "octet");
	snprintf(t->mac, sizeof(t->mac), "02:00:00:00:00:02");
	snprintf(t->ifname, sizeof(t->ifname), "xts0");
	t->blksize = 512;
	t->windowsize = 1;
	t->tsize = 5000;
	t->final_block = 10;
	t->blocks = 4;
	t->bytes = 2048;
	t->tiers = XFER_TIER_TC | XFER_TIER_USER;
	t->start_ns = 1000000000ull;
	t->last_ack_ns = 1500000000ull;
	t->outcome = XFER_RUNNING;
	t->image_id = 3;
	t->image_gen = 2;
	t->sha256[0] = 0xab;
	t->sha256[31] = 0xcd;
	t->sha256_known = 1;
}

static void test_transfer_json(void **state)
{
	struct transfer t;
	char *out;

	(void)state;
	make_transfer(&t);
	RENDER(out, report_transfer_json(f, &t, 2000000000ull));
	/* one line: the newline of the name is escaped */
	assert_non_null(strchr(out, '\n'));
	assert_true(strchr(out, '\n') == out + strlen(out) - 1);
	assert_non_null(strstr(out, "\"file\":\"evil\\\"\\n\\u001b]0;pwn\\u0007\\ufffd.bin\""));
	assert_non_null(strstr(out, "\"client\":\"198.18.0.2\",\"port\":40000"));
	assert_non_null(strstr(out, "\"mac\":\"02:00:00:00:00:02\",\"ifname\":\"xts0\""));
	assert_non_null(strstr(out, "\"percent\":40.0"));
	assert_non_null(strstr(out, "\"tier\":\"tc+user\""));
	assert_non_null(strstr(out, "\"duration_ns\":1000000000"));
	assert_non_null(strstr(out, "\"goodput_bps\":2048,"));
	assert_non_null(strstr(out, "\"last_ack_age_ns\":500000000"));
	assert_non_null(strstr(out, "\"generation\":2,\"sha256\":\"ab"));
	assert_non_null(strstr(out, "cd\",\"tier\""));
	assert_non_null(strstr(out, "\"outcome\":\"running\""));
	assert_int_equal(out[0], '{');
	free(out);
	/* the pool is still hashing the image: null, not zeros */
	t.sha256_known = 0;
	RENDER(out, report_transfer_json(f, &t, 2000000000ull));
	assert_non_null(strstr(out, "\"image_id\":3,\"generation\":2,\"sha256\":null,"));
	free(out);

	/* a timeout with ICMP errors reads as icmp-unreachable */
	t.outcome = XFER_TIMEOUT;
	t.icmp_errors = 2;
	t.end_ns = 3000000000ull;
	assert_string_equal(report_outcome(&t), "icmp-unreachable");
	t.icmp_errors = 0;
	assert_string_equal(report_outcome(&t), "timeout");
	t.outcome = XFER_DONE;
	assert_int_equal(report_permille(&t), 1000);
	t.outcome = XFER_RUNNING;
	t.final_block = 0;
	t.tsize = 0;
	assert_int_equal(report_permille(&t), -1);
}

/* Every non-comment line: name{labels} value; every family has HELP+TYPE
 * before its samples; histograms cumulative with +Inf == _count. */
static void check_exposition(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	char typed[64][96];
	unsigned int n_typed = 0, samples = 0;

	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];
		size_t k = 0;
		int found = 0;

		if (!strncmp(line, "# TYPE ", 7)) {
			assert_true(n_typed < 64);
			sscanf(line + 7, "%95s", typed[n_typed++]);
			continue;
		}
		if (line[0] == '#')
			continue;
		while (line[k] && line[k] != '{' && line[k] != ' ' && k < sizeof(name) - 1) {
			assert_true((line[k] >= 'a' && line[k] <= 'z') || line[k] == '_' ||
				    (line[k] >= '0' && line[k] <= '9'));
			name[k] = line[k];
			k++;
		}
		name[k] = '\0';
		for (unsigned int i = 0; i < n_typed; i++) {
			size_t tl = strlen(typed[i]);

			if (!strncmp(name, typed[i], tl) &&
			    (!name[tl] || !strcmp(name + tl, "_bucket") || !strcmp(name + tl, "_sum") ||
			     !strcmp(name + tl, "_count")))
				found = 1;
		}
		if (!found)
			fail_msg("sample without TYPE: %s", line);
		/* a value after the last space */
		assert_non_null(strrchr(line, ' '));
		samples++;
	}
	assert_true(samples > 30);
	free(copy);
}

static void test_prometheus(void **state)
{
	struct report_stats st;
	char *out, *p;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.tot.transfers_started = 12;
	st.tot.transfers_done = 10;
	st.tot.blocks_user = 99;
	st.kern[XT_STAT_DATA_TC] = 5000;
	st.kern[XT_STAT_PASS_GROW_FAILED] = 17;
	st.sessions_active = 2;
	st.bpf_active = 1;
	st.uptime_ns = 1500000000ull;
	hist_record(&st.ack_to_data[REPORT_TIER_USER], 3000);       /* bucket 11: le 4096 ns */
	hist_record(&st.ack_to_data[REPORT_TIER_USER], 3000);
	hist_record(&st.ack_to_data[REPORT_TIER_USER], 100000000);  /* 0.1 s: bucket 26 */
	hist_record(&st.ack_to_data[REPORT_TIER_USER], 100ull * 1000000000ull); /* 100 s: +Inf only */
	RENDER(out, report_stats_prometheus(f, &st));
	check_exposition(out);
	assert_non_null(strstr(out, "# TYPE xtftpd_transfers_started_total counter\n"
				    "xtftpd_transfers_started_total 12\n"));
	assert_non_null(strstr(out, "xtftpd_data_blocks_total{tier=\"tc\"} 5000\n"));
	assert_non_null(strstr(out, "xtftpd_kernel_pass_total{reason=\"grow_failed\"} 17\n"));
	assert_non_null(strstr(out, "# TYPE xtftpd_sessions_active gauge\nxtftpd_sessions_active 2\n"));
	assert_non_null(strstr(out, "# TYPE xtftpd_ack_to_data_seconds histogram\n"));
	/* cumulative buckets in seconds */
	assert_non_null(strstr(out, "xtftpd_ack_to_data_seconds_bucket{tier=\"user\",le=\"2.048e-06\"} 0\n"));
	assert_non_null(strstr(out, "xtftpd_ack_to_data_seconds_bucket{tier=\"user\",le=\"4.096e-06\"} 2\n"));
	assert_non_null(strstr(out, "xtftpd_ack_to_data_seconds_bucket{tier=\"user\",le=\"0.134217728\"} 3\n"));
	assert_non_null(strstr(out, "xtftpd_ack_to_data_seconds_bucket{tier=\"user\",le=\"34.359738368\"} 3\n"));
	assert_non_null(strstr(out, "xtftpd_ack_to_data_seconds_bucket{tier=\"user\",le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(out, "xtftpd_ack_to_data_seconds_count{tier=\"user\"} 4\n"));
	assert_non_null(strstr(out, "xtftpd_ack_to_data_seconds_sum{tier=\"user\"} 100.100006000\n"));
	assert_non_null(strstr(out, "xtftpd_ack_to_data_seconds_count{tier=\"kernel\"} 0\n"));
	/* every counter family name ends in _total */
	for (p = strstr(out, " counter\n"); p; p = strstr(p + 1, " counter\n"))
		assert_memory_equal(p - 6, "_total", 6);
	free(out);
}

static void test_stats_json(void **state)
{
	struct report_stats st;
	char *out;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.tot.transfers_done = 3;
	st.kern[XT_STAT_DUP_ACK] = 4;
	st.dup_acks_user = 1;
	hist_record(&st.turnaround[REPORT_TIER_KERNEL], 50000);
	RENDER(out, report_stats_json(f, &st));
	assert_non_null(strstr(out, "\"transfers_done\":3,"));
	assert_non_null(strstr(out, "\"dup_acks\":5,"));
	assert_non_null(strstr(out, "\"pass_grow_failed\":0"));
	assert_non_null(strstr(out, "\"kernel\":{\"ack_to_data\":{\"count\":0"));
	assert_non_null(strstr(out, "\"turnaround\":{\"count\":1,\"sum_ns\":50000,\"mean_ns\":50000"));
	assert_non_null(strstr(out, "\"buckets\":[[65536,1]]"));
	assert_int_equal(out[strlen(out) - 2], '}');
	free(out);
}

static void test_top(void **state)
{
	struct report_top_header hdr = { .uptime_ns = 3723000000000ull, .sessions_active = 1,
					 .transfers_done = 5, .tiers = "xts0: TC" };
	struct transfer rows[2];
	char *out, *line, *save = NULL;
	unsigned int n = 0;

	(void)state;
	make_transfer(&rows[0]);
	make_transfer(&rows[1]);
	rows[1].id = 8;
	rows[1].outcome = XFER_TIMEOUT;
	rows[1].end_ns = 3000000000ull;
	snprintf(rows[1].diagnosis, sizeof(rows[1].diagnosis), "client stopped answering");
	RENDER(out, report_top(f, &hdr, rows, 2, 100, 40, 2000000000ull));
	assert_non_null(strstr(out, "up 1h02m03s, 1 active, 5 done"));
	assert_non_null(strstr(out, "[####......]  40.0%"));
	assert_non_null(strstr(out, " running\n"));
	assert_non_null(strstr(out, " timeout\n"));
	assert_non_null(strstr(out, "`- client stopped answering"));
	/* the hostile name reaches the screen without control bytes */
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\x07'));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) <= 100);
		n++;
	}
	assert_int_equal(n, 3 + 2 + 1);
	free(out);
	/* height limits the rows */
	RENDER(out, report_top(f, &hdr, rows, 2, 100, 5, 2000000000ull));
	n = 0;
	for (char *p = out; *p; p++)
		n += *p == '\n';
	assert_int_equal(n, 5);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_plain_and_specials),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_json_mem_nul),
		cmocka_unit_test(test_transfer_json),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_stats_json),
		cmocka_unit_test(test_top),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
