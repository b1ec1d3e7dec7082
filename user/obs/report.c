// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON, Prometheus and top rendering (see report.h). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <linux/types.h>
#include "kern/fastpath.h"
#include "report.h"

/* ---- JSON strings ------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_valid_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;              /* overlong */
		else if (c == 0xed)
			hi = 0x9f;              /* UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;              /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;              /* above U+10FFFF */
	} else {
		return 0;                       /* continuation, C0, C1, F5..FF */
	}
	if (n < need + 1)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return need + 1;
}

void json_write_mem(FILE *f, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i = 0;

	fputc('"', f);
	while (i < len) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': fputs("\\n", f); break;
			case '\r': fputs("\\r", f); break;
			case '\t': fputs("\\t", f); break;
			default: fprintf(f, "\\u%04x", c); break;
			}
			i++;
		} else if (c < 0x80) {
			fputc(c, f);
			i++;
		} else {
			size_t n = utf8_valid_len(p + i, len - i);

			if (n) {
				fwrite(p + i, 1, n, f);
				i += n;
			} else {
				fputs("\\ufffd", f);
				i++;
			}
		}
	}
	fputc('"', f);
}

void json_write_string(FILE *f, const char *s)
{
	json_write_mem(f, s, strlen(s));
}

/* ---- transfers ------------------------------------------------------------ */

void report_tiers(unsigned int tiers, char *buf, size_t len)
{
	size_t off = 0;
	static const struct { unsigned int bit; const char *name; } names[] = {
		{ XFER_TIER_XDP, "xdp" }, { XFER_TIER_TC, "tc" }, { XFER_TIER_USER, "user" },
	};

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n;

		if (!(tiers & names[i].bit))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? "+" : "", names[i].name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "none");
}

int report_permille(const struct transfer *t)
{
	if (t->outcome == XFER_DONE)
		return 1000;
	if (!t->is_write && t->final_block > 0)
		return (int)(t->blocks >= t->final_block ? 1000 : t->blocks * 1000 / t->final_block);
	if (t->tsize > 0)
		return (int)(t->bytes >= t->tsize ? 1000 : t->bytes * 1000 / t->tsize);
	return -1;
}

static uint64_t duration_ns(const struct transfer *t, uint64_t now_ns)
{
	uint64_t end = t->end_ns ? t->end_ns : now_ns;

	return end > t->start_ns ? end - t->start_ns : 0;
}

uint64_t report_goodput(const struct transfer *t, uint64_t now_ns)
{
	uint64_t d = duration_ns(t, now_ns);

	if (!d)
		return 0;
	return (uint64_t)((double)t->bytes * 1e9 / (double)d);
}

const char *report_outcome(const struct transfer *t)
{
	if (t->outcome == XFER_TIMEOUT && t->icmp_errors)
		return "icmp-unreachable";
	return transfer_outcome_name(t->outcome);
}

static void addr_only(const struct sockaddr_storage *ss, char *buf, size_t len, unsigned int *port)
{
	buf[0] = '\0';
	*port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, buf, (socklen_t)len);
		*port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, buf, (socklen_t)len);
		*port = ntohs(a->sin6_port);
	}
}

void report_transfer_members(FILE *f, const struct transfer *t, uint64_t now_ns)
{
	char host[INET6_ADDRSTRLEN], tiers[24], when[40];
	unsigned int port;
	int pm = report_permille(t);
	struct tm tm;

	addr_only(&t->client, host, sizeof(host), &port);
	gmtime_r(&t->start_real.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	report_tiers(t->tiers, tiers, sizeof(tiers));
	fprintf(f, "\"id\":%" PRIu64 ",\"start\":\"%s.%03ldZ\",\"client\":", t->id, when,
		t->start_real.tv_nsec / 1000000);
	json_write_string(f, host);
	fprintf(f, ",\"port\":%u,\"mac\":", port);
	json_write_string(f, t->mac);
	fprintf(f, ",\"ifname\":");
	json_write_string(f, t->ifname);
	fprintf(f, ",\"vlan\":%u", t->vlan_id);
	fprintf(f, ",\"ifindex\":%u,\"server_port\":%u,\"op\":\"%s\",\"file\":", t->ifindex,
		t->server_port, t->is_write ? "wrq" : "rrq");
	json_write_string(f, t->requested);
	fprintf(f, ",\"served\":");
	json_write_string(f, t->served);
	fprintf(f, ",\"mode\":");
	json_write_string(f, t->mode);
	fprintf(f, ",\"options\":");
	json_write_string(f, t->options);
	fprintf(f, ",\"blksize\":%u,\"windowsize\":%u,\"timeout_us\":%u,\"size\":%" PRIu64,
		t->blksize, t->windowsize, t->timeout_us, t->tsize);
	if (t->image_id && t->sha256_known) {
		fprintf(f, ",\"image_id\":%u,\"generation\":%u,\"sha256\":\"", t->image_id, t->image_gen);
		for (int i = 0; i < 32; i++)
			fprintf(f, "%02x", t->sha256[i]);
		fputc('"', f);
	} else if (t->image_id) {
		/* the pool hashes an image after its first answer: not yet */
		fprintf(f, ",\"image_id\":%u,\"generation\":%u,\"sha256\":null", t->image_id,
			t->image_gen);
	} else {
		fprintf(f, ",\"image_id\":0,\"generation\":0,\"sha256\":null");
	}
	fprintf(f, ",\"tier\":\"%s\",\"bytes\":%" PRIu64 ",\"blocks\":%" PRIu64
		",\"final_block\":%" PRIu64 ",\"percent\":", tiers, t->bytes, t->blocks, t->final_block);
	if (pm < 0)
		fprintf(f, "null");
	else
		fprintf(f, "%d.%d", pm / 10, pm % 10);
	fprintf(f, ",\"blocks_user\":%" PRIu64 ",\"blocks_xdp\":%" PRIu64 ",\"blocks_tc\":%" PRIu64
		",\"retransmits\":%u,\"dup_resends\":%u,\"dup_acks\":%u,\"timeouts\":%u,\"icmp_errors\":%u",
		t->blocks_user, t->blocks_xdp, t->blocks_tc, t->retransmits, t->dup_resends, t->dup_acks,
		t->timeouts, t->icmp_errors);
	fprintf(f, ",\"inject_drops\":%u,\"inject_dups\":%u", t->inject_drops, t->inject_dups);
	fprintf(f, ",\"duration_ns\":%" PRIu64 ",\"goodput_bps\":%" PRIu64 ",\"last_ack_age_ns\":",
		duration_ns(t, now_ns), report_goodput(t, now_ns));
	if (t->last_ack_ns && !t->end_ns && now_ns >= t->last_ack_ns)
		fprintf(f, "%" PRIu64, now_ns - t->last_ack_ns);
	else
		fprintf(f, "null");
	fprintf(f, ",\"stall_block\":%" PRIu64 ",\"restart_of\":%" PRIu64 ",\"restart_percent\":%u"
		",\"restarted_by\":%" PRIu64 ",\"after_probe\":%" PRIu64 ",\"outcome\":\"%s\",\"error_code\":%u,\"message\":",
		t->stall_block, t->restart_of, t->restart_pct, t->restarted_by, t->after_probe, report_outcome(t),
		t->error_code);
	json_write_string(f, t->message);
	fprintf(f, ",\"diagnosis\":");
	json_write_string(f, t->diagnosis);
	fprintf(f, ",\"ack_to_data\":");
	report_hist_json(f, &t->ack_to_data);
	fprintf(f, ",\"turnaround\":");
	report_hist_json(f, &t->turnaround);
}

void report_transfer_json(FILE *f, const struct transfer *t, uint64_t now_ns)
{
	fputc('{', f);
	report_transfer_members(f, t, now_ns);
	fputs("}\n", f);
}

/* ---- histograms ----------------------------------------------------------- */

void report_hist_json(FILE *f, const struct hist *h)
{
	int first = 1;

	fprintf(f, "{\"count\":%" PRIu64 ",\"sum_ns\":%" PRIu64 ",\"mean_ns\":%" PRIu64
		",\"p50_ns\":%" PRIu64 ",\"p90_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64 ",\"buckets\":[",
		h->count, h->sum_ns, hist_mean(h), hist_quantile(h, 0.5), hist_quantile(h, 0.9),
		hist_quantile(h, 0.99));
	/* non-empty buckets only, as [upper bound in ns (exclusive), count] */
	for (unsigned int b = 0; b < HIST_BUCKETS; b++) {
		if (!h->bucket[b])
			continue;
		fprintf(f, "%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",", hist_bucket_high(b),
			h->bucket[b]);
		first = 0;
	}
	fprintf(f, "]}");
}

/* ---- stats ---------------------------------------------------------------- */

void report_stats_json(FILE *f, const struct report_stats *st)
{
	const struct engine_totals *t = &st->tot;
	static const char *const tier_names[2] = { "user", "kernel" };

	fprintf(f, "{\"uptime_ns\":%" PRIu64, st->uptime_ns);
#define ENGINE_TOTAL_JSON(name, help) fprintf(f, ",\"" #name "\":%" PRIu64, t->name);
	ENGINE_PLAIN_TOTALS(ENGINE_TOTAL_JSON)
#undef ENGINE_TOTAL_JSON
	fprintf(f, ",\"sessions_active\":%u,\"rrq\":%" PRIu64 ",\"wrq\":%" PRIu64
		",\"blocks_user\":%" PRIu64 ",\"bytes_user\":%" PRIu64 ",\"blocks_xdp\":%" PRIu64
		",\"blocks_tc\":%" PRIu64 ",\"bytes_xdp\":%" PRIu64 ",\"bytes_tc\":%" PRIu64
		",\"dup_resends\":%" PRIu64 ",\"dup_acks\":%" PRIu64
		",\"bpf_active\":%d,\"pool_images\":%u,\"pool_image_bytes\":%" PRIu64,
		st->sessions_active, t->rrq, t->wrq, t->blocks_user, t->bytes_user,
		st->kern[XT_STAT_DATA_XDP], st->kern[XT_STAT_DATA_TC], st->kern[XT_STAT_BYTES_XDP],
		st->kern[XT_STAT_BYTES_TC], t->dup_resends + st->kern[XT_STAT_DUP_RESEND],
		st->dup_acks_user + st->kern[XT_STAT_DUP_ACK], st->bpf_active, st->pool_images,
		st->pool_image_bytes);
	fprintf(f, ",\"kernel\":{");
	for (int i = 0; i < XT_STAT_MAX; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", fastpath_stat_name((enum xt_stat)i),
			st->kern[i]);
	fprintf(f, "},\"latency\":{");
	for (int tier = 0; tier < 2; tier++) {
		fprintf(f, "%s\"%s\":{\"ack_to_data\":", tier ? "," : "", tier_names[tier]);
		report_hist_json(f, &st->ack_to_data[tier]);
		fprintf(f, ",\"turnaround\":");
		report_hist_json(f, &st->turnaround[tier]);
		fputc('}', f);
	}
	fprintf(f, "}}\n");
}

static void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_value(FILE *f, const char *name, const char *labels, uint64_t v)
{
	fprintf(f, "%s%s%s%s %" PRIu64 "\n", name, labels ? "{" : "", labels ? labels : "",
		labels ? "}" : "", v);
}

static void prom_counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	prom_family(f, name, "counter", help);
	prom_value(f, name, NULL, v);
}

/* Buckets shown: le = 2^10 ns (~1 us) .. 2^35 ns (~34 s), then +Inf. */
#define PROM_FIRST_BUCKET 9
#define PROM_LAST_BUCKET 34

static void prom_hist(FILE *f, const char *name, const char *tier, const struct hist *h)
{
	uint64_t cum = 0, total = hist_total(h);

	for (unsigned int b = 0; b < HIST_BUCKETS; b++) {
		cum += h->bucket[b];
		if (b < PROM_FIRST_BUCKET || b > PROM_LAST_BUCKET)
			continue;
		fprintf(f, "%s_bucket{tier=\"%s\",le=\"%.12g\"} %" PRIu64 "\n", name, tier,
			(double)hist_bucket_high(b) / 1e9, cum);
	}
	/* _count from the buckets too, so it always equals the +Inf bucket */
	fprintf(f, "%s_bucket{tier=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name, tier, total);
	fprintf(f, "%s_sum{tier=\"%s\"} %.9f\n", name, tier, (double)h->sum_ns / 1e9);
	fprintf(f, "%s_count{tier=\"%s\"} %" PRIu64 "\n", name, tier, total);
}

void report_stats_prometheus(FILE *f, const struct report_stats *st)
{
	const struct engine_totals *t = &st->tot;
	const char *n;

#define ENGINE_TOTAL_PROM(name, help) prom_counter(f, "xtftpd_" #name "_total", help, t->name);
	ENGINE_PLAIN_TOTALS(ENGINE_TOTAL_PROM)
#undef ENGINE_TOTAL_PROM
	n = "xtftpd_requests_total";
	prom_family(f, n, "counter", "Accepted requests by opcode.");
	prom_value(f, n, "op=\"rrq\"", t->rrq);
	prom_value(f, n, "op=\"wrq\"", t->wrq);
	n = "xtftpd_data_blocks_total";
	prom_family(f, n, "counter", "DATA blocks sent, by tier, retransmissions included.");
	prom_value(f, n, "tier=\"user\"", t->blocks_user);
	prom_value(f, n, "tier=\"xdp\"", st->kern[XT_STAT_DATA_XDP]);
	prom_value(f, n, "tier=\"tc\"", st->kern[XT_STAT_DATA_TC]);
	n = "xtftpd_data_bytes_total";
	prom_family(f, n, "counter", "DATA payload bytes sent, by tier.");
	prom_value(f, n, "tier=\"user\"", t->bytes_user);
	prom_value(f, n, "tier=\"xdp\"", st->kern[XT_STAT_BYTES_XDP]);
	prom_value(f, n, "tier=\"tc\"", st->kern[XT_STAT_BYTES_TC]);
	prom_counter(f, "xtftpd_dup_resends_total",
		     "DATA resent at once on a duplicate ACK, every tier.",
		     t->dup_resends + st->kern[XT_STAT_DUP_RESEND]);
	n = "xtftpd_duplicate_acks_total";
	prom_family(f, n, "counter", "Duplicate ACKs seen and never answered, by tier.");
	prom_value(f, n, "tier=\"user\"", st->dup_acks_user);
	prom_value(f, n, "tier=\"kernel\"", st->kern[XT_STAT_DUP_ACK]);
	prom_counter(f, "xtftpd_kernel_acks_total", "ACKs of live sessions seen by the kernel tiers.",
		     st->kern[XT_STAT_ACK_SEEN]);
	prom_counter(f, "xtftpd_kernel_sessions_done_total",
		     "Final ACKs seen by the kernel tiers.", st->kern[XT_STAT_SESSION_DONE]);
	prom_counter(f, "xtftpd_kernel_race_lost_total",
		     "ACKs another CPU answered first.", st->kern[XT_STAT_RACE_LOST]);
	n = "xtftpd_kernel_pass_total";
	prom_family(f, n, "counter", "Frames the kernel tiers passed on untouched, by reason.");
	/* every pass_* counter, also ones added after this was written */
	for (int i = 0; i < XT_STAT_MAX; i++) {
		const char *name = fastpath_stat_name((enum xt_stat)i);
		char label[64];

		if (strncmp(name, "pass_", 5))
			continue;
		name += 5;
		snprintf(label, sizeof(label), "reason=\"%s\"", name);
		prom_value(f, n, label, st->kern[i]);
	}
	n = "xtftpd_sessions_active";
	prom_family(f, n, "gauge", "Transfers in progress.");
	prom_value(f, n, NULL, st->sessions_active);
	n = "xtftpd_bpf_active";
	prom_family(f, n, "gauge", "1 if a kernel tier is attached.");
	prom_value(f, n, NULL, (uint64_t)st->bpf_active);
	n = "xtftpd_pool_images";
	prom_family(f, n, "gauge", "Images loaded in the kernel image pool.");
	prom_value(f, n, NULL, st->pool_images);
	n = "xtftpd_pool_image_bytes";
	prom_family(f, n, "gauge", "Bytes of the images loaded in the kernel image pool.");
	prom_value(f, n, NULL, st->pool_image_bytes);
	n = "xtftpd_uptime_seconds";
	prom_family(f, n, "gauge", "Seconds since the daemon started.");
	fprintf(f, "%s %.3f\n", n, (double)st->uptime_ns / 1e9);

	n = "xtftpd_ack_to_data_seconds";
	prom_family(f, n, "histogram",
		    "Server latency from an ACK seen to the next DATA sent, by tier.");
	prom_hist(f, n, "user", &st->ack_to_data[REPORT_TIER_USER]);
	prom_hist(f, n, "kernel", &st->ack_to_data[REPORT_TIER_KERNEL]);
	n = "xtftpd_client_turnaround_seconds";
	prom_family(f, n, "histogram",
		    "Client turnaround from DATA sent to its ACK seen, by serving tier.");
	prom_hist(f, n, "user", &st->turnaround[REPORT_TIER_USER]);
	prom_hist(f, n, "kernel", &st->turnaround[REPORT_TIER_KERNEL]);
}

/* ---- top ------------------------------------------------------------------- */

void report_human_rate(uint64_t bps, char *buf, size_t len)
{
	if (bps >= 1024ull * 1024 * 1024)
		snprintf(buf, len, "%.1fGiB/s", (double)bps / (1024.0 * 1024 * 1024));
	else if (bps >= 1024ull * 1024)
		snprintf(buf, len, "%.1fMiB/s", (double)bps / (1024.0 * 1024));
	else if (bps >= 1024)
		snprintf(buf, len, "%.1fKiB/s", (double)bps / 1024.0);
	else
		snprintf(buf, len, "%" PRIu64 "B/s", bps);
}

/* Printable ASCII only: a hostile name must not drive the terminal. */
static void screen_safe(const char *in, char *out, size_t len)
{
	size_t i = 0;

	for (; *in && i + 1 < len; in++)
		out[i++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
	out[i] = '\0';
}

/* Left-truncate to w columns, keeping the end (where a file name differs). */
static void fit_left(const char *in, char *out, size_t w)
{
	size_t n = strlen(in);

	if (n <= w) {
		memcpy(out, in, n + 1);
		return;
	}
	if (w < 2) {
		out[0] = '\0';
		return;
	}
	out[0] = '~';
	memcpy(out + 1, in + n - (w - 1), w);
}

static void human_age(uint64_t ns, char *buf, size_t len)
{
	double s = (double)ns / 1e9;

	if (s < 10)
		snprintf(buf, len, "%.2fs", s);
	else if (s < 600)
		snprintf(buf, len, "%.0fs", s);
	else
		snprintf(buf, len, "%.0fm", s / 60);
}

/* Write one line, cut to width columns. */
static void put_line(FILE *f, const char *line, unsigned int width)
{
	size_t n = strlen(line);

	while (n && line[n - 1] == ' ')
		n--;
	if (n > width)
		n = width;
	fwrite(line, 1, n, f);
	fputc('\n', f);
}

void report_top(FILE *f, const struct report_top_header *hdr, const struct transfer *rows,
		unsigned int n_rows, unsigned int width, unsigned int height, uint64_t now_ns)
{
	char line[1024], rate[24];
	unsigned int used = 0, bar_w, file_w, fixed;
	uint64_t up = hdr->uptime_ns / 1000000000ull;

	if (width < 40)
		width = 40;
	if (width > sizeof(line) - 1)
		width = sizeof(line) - 1;
	if (height < 5)
		height = 5;
	bar_w = width >= 120 ? 20 : 10;
	/* id 5, client 21, bar, pct 6, rate 10, retx 5, tier 8, ack 7, state 10, spaces */
	fixed = 5 + 1 + 21 + 1 + (bar_w + 2) + 1 + 6 + 1 + 10 + 1 + 5 + 1 + 8 + 1 + 7 + 1 + 10;
	file_w = width > fixed + 8 ? width - fixed - 1 : 8;

	report_human_rate(hdr->bytes_per_s, rate, sizeof(rate));
	snprintf(line, sizeof(line),
		 "xtftpd top - up %" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s, %u active, %" PRIu64
		 " done, %" PRIu64 " failed, %s", up / 3600, up / 60 % 60, up % 60,
		 hdr->sessions_active, hdr->transfers_done, hdr->transfers_failed, rate);
	put_line(f, line, width);
	snprintf(line, sizeof(line), "tiers: %s", hdr->tiers ? hdr->tiers : "?");
	put_line(f, line, width);
	snprintf(line, sizeof(line), "%5s %-21s %-*s %-*s %6s %10s %5s %-8s %7s %s", "ID", "CLIENT",
		 (int)file_w, "FILE", (int)bar_w + 2, "PROGRESS", "PCT", "RATE", "RETX", "TIER",
		 "LASTACK", "STATE");
	put_line(f, line, width);
	used = 3;

	for (unsigned int i = 0; i < n_rows && used < height; i++) {
		const struct transfer *t = &rows[i];
		char peer[INET6_ADDRSTRLEN + 10], file[300], filew[300], bar[64], pct[24], tiers[24];
		char age[16], state[24], diag[sizeof(t->diagnosis)], peerw[24];
		int pm = report_permille(t);
		unsigned int fill;

		format_sockaddr(&t->client, peer, sizeof(peer));
		fit_left(peer, peerw, 21);
		screen_safe(t->requested, file, sizeof(file));
		fit_left(file, filew, file_w);
		fill = pm < 0 ? 0 : (unsigned int)pm * bar_w / 1000;
		bar[0] = '[';
		for (unsigned int k = 0; k < bar_w; k++)
			bar[1 + k] = k < fill ? '#' : (pm < 0 ? '?' : '.');
		bar[bar_w + 1] = ']';
		bar[bar_w + 2] = '\0';
		if (pm < 0)
			snprintf(pct, sizeof(pct), "?");
		else
			snprintf(pct, sizeof(pct), "%d.%d%%", pm / 10, pm % 10);
		report_human_rate(report_goodput(t, now_ns), rate, sizeof(rate));
		report_tiers(t->tiers, tiers, sizeof(tiers));
		if (t->end_ns || !t->last_ack_ns)
			snprintf(age, sizeof(age), "-");
		else
			human_age(now_ns > t->last_ack_ns ? now_ns - t->last_ack_ns : 0, age, sizeof(age));
		if (t->outcome == XFER_RUNNING)
			snprintf(state, sizeof(state), "%s", t->stalled ? "STALLED" : "running");
		else
			snprintf(state, sizeof(state), "%s", report_outcome(t));
		snprintf(line, sizeof(line), "%5" PRIu64 " %-21s %-*s %s %6s %10s %5u %-8s %7s %s",
			 t->id, peerw, (int)file_w, filew, bar, pct, rate, t->retransmits, tiers, age,
			 state);
		put_line(f, line, width);
		used++;
		if (t->diagnosis[0] && used < height &&
		    (t->outcome != XFER_DONE || t->stalled)) {
			screen_safe(t->diagnosis, diag, sizeof(diag));
			snprintf(line, sizeof(line), "      `- %s", diag);
			put_line(f, line, width);
			used++;
		}
	}
	if (!n_rows)
		put_line(f, "      (no transfers yet)", width);
}
