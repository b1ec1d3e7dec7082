// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: a map file (tftpd-hpa -m rules, remap.h) as arbitrary
 * bytes, then the rules applied to fixed names from fixed clients, directly
 * (remap_apply) and through the whole name resolution (names.h: remap,
 * --alias, --serve-any, --ignore-case beneath a small temporary root).
 * Invariants (abort = finding):
 * - remap_parse returns 0, -EINVAL or -ENOMEM; a refusal reports every bad
 *   line as "SOURCE:LINE: ..." with LINE within the text, success reports
 *   nothing; never more rules than lines;
 * - remap_load on the same bytes in a file (memfd) is remap_parse of the
 *   bytes without NUL and CR: same result, same report, same rule count;
 * - remap_apply returns 0, -EACCES, -ELOOP or -ENAMETOOLONG; its result is
 *   NUL-terminated inside the caller's buffer (sized exactly, so ASan sees
 *   any overrun), "" on refusal; the refusing rule's line is named; a name
 *   with no rewrite comes out unchanged; the same call twice gives the same
 *   answer (rules are read-only after parsing);
 * - names_init fails exactly when the map file does; names_resolve returns 0
 *   or -EACCES, with every text NUL-terminated in its buffer, a refusal
 *   always explained, and an accepted path relative, non-empty, without "..".
 * The runaway bound (REMAP_MAX_STEPS) keeps every input finite; hostile
 * seeds ("rg a aa", "s" loops, doubling rewrites) are in the corpus.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "files/names.h"
#include "files/remap.h"

#define N_CLIENTS 4

static char top[64];
static char map_path[64];
static int map_fd = -1;
static int root_fd = -1;
static struct sockaddr_storage clients[N_CLIENTS];
static char long_name[700];

static const char *names[] = {
	"ArcherC7v2_tp_recovery.bin",
	"pxelinux.cfg/01-aa-bb-cc-dd-ee-ff",
	"C:\\Boot\\PXELinux.CFG\\Default",
	"../../etc/passwd",
	"/srv/tftp/fw.bin",
	"boot/x.pvt",
	"",
	"./.",
	"ok/#hash name",
	long_name,
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))
/* Names tried per input, picked by its hash: a rule set that grows every
 * name to the buffer's end costs ~1 ms per name under instrumentation, so
 * trying all of them every time would cut the executions by half or more. */
#define NAMES_PER_RUN 4

static unsigned int pick_name(uint32_t h, unsigned int j)
{
	return (h / (j + 1) + j * 3) % N_NAMES;
}

static const char *const aliases[] = {
	"recovery.bin=fw.bin",
	"/boot/default=Boot/PXELinux.cfg/Default",
};

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void remove_tree(void)
{
	if (top[0])
		nftw(top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void make(const char *rel, int dir)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	if (dir) {
		if (mkdir(p, 0755) < 0)
			abort();
		return;
	}
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		abort();
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&clients[1];
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&clients[2];
	struct sockaddr_in6 *mapped = (struct sockaddr_in6 *)&clients[3];

	(void)argc;
	(void)argv;
	/* client 0 stays AF_UNSPEC: passed as NULL */
	v4->sin_family = AF_INET;
	inet_pton(AF_INET, "198.18.0.2", &v4->sin_addr);
	v6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::2", &v6->sin6_addr);
	mapped->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:198.18.0.3", &mapped->sin6_addr);
	memset(long_name, 'a', sizeof(long_name) - 3);
	memcpy(long_name + sizeof(long_name) - 3, "/b", 3);

	map_fd = memfd_create("fuzz-remap-map", MFD_CLOEXEC);
	if (map_fd < 0)
		abort();
	snprintf(map_path, sizeof(map_path), "/proc/self/fd/%d", map_fd);

	snprintf(top, sizeof(top), "/tmp/xtftp-fuzz-remap.XXXXXX");
	if (!mkdtemp(top))
		abort();
	atexit(remove_tree);
	make("Boot", 1);
	make("Boot/PXELinux.cfg", 1);
	make("Boot/PXELinux.cfg/Default", 0);
	make("fw.bin", 0);
	make("ArcherC7v2_tp_recovery.bin", 0);
	root_fd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		abort();
	return 0;
}

static unsigned int count_lines(const char *text)
{
	unsigned int n = 0;

	for (const char *p = text; *p; p++)
		if (*p == '\n' || !p[1])
			n++;
	return n;
}

/* Every report line is "SOURCE:LINE: ..." with 1 <= LINE <= lines. */
static void check_report(const char *report, const char *source, unsigned int lines)
{
	size_t slen = strlen(source);
	const char *p = report;

	while (*p) {
		char *end;
		unsigned long line;

		if (strncmp(p, source, slen) || p[slen] != ':')
			abort();
		line = strtoul(p + slen + 1, &end, 10);
		if (line < 1 || line > lines || *end != ':')
			abort();
		p = strchr(p, '\n');
		if (!p)
			abort();        /* each report ends its line */
		p++;
	}
}

struct parsed {
	int rc;
	struct remap_rules *rules;
	char *report;
	size_t report_len;
};

static void parse(const char *text, const char *source, struct parsed *out)
{
	FILE *errs = open_memstream(&out->report, &out->report_len);
	unsigned int lines = count_lines(text);

	if (!errs)
		abort();
	out->rules = NULL;
	out->rc = remap_parse(text, source, &out->rules, errs);
	fclose(errs);
	if (out->rc == 0) {
		if (!out->rules || out->report_len || remap_count(out->rules) > lines)
			abort();
	} else if (out->rc == -EINVAL) {
		if (out->rules || !out->report_len)
			abort();
		check_report(out->report, source, lines);
	} else if (out->rc != -ENOMEM) {
		abort();
	}
}

static void load(const uint8_t *data, size_t size, struct parsed *out)
{
	FILE *errs = open_memstream(&out->report, &out->report_len);

	if (!errs || ftruncate(map_fd, 0) < 0 ||
	    (size && pwrite(map_fd, data, size, 0) != (ssize_t)size))
		abort();
	out->rules = NULL;
	out->rc = remap_load(map_path, &out->rules, errs);
	fclose(errs);
}

static int apply_checked(const struct remap_rules *rules, const char *name, int is_write,
			 const struct sockaddr *client, size_t out_len, unsigned int lines,
			 char **result)
{
	struct remap_verdict v;
	char *out = malloc(out_len);
	int rc;

	if (!out)
		abort();
	memset(out, 'x', out_len);
	memset(&v, 'x', sizeof(v));
	rc = remap_apply(rules, name, is_write, client, out, out_len, &v);
	if (!memchr(v.message, '\0', sizeof(v.message)) || v.line > lines ||
	    v.rewrites > REMAP_MAX_STEPS)
		abort();
	if (rc != -EACCES && v.message[0])
		abort();
	switch (rc) {
	case 0:
		if (!memchr(out, '\0', out_len))
			abort();
		if (!v.rewrites && strcmp(out, name))
			abort();
		if (!remap_count(rules) && v.line)
			abort();
		break;
	case -EACCES:
	case -ELOOP:
		if (!v.line || out[0])
			abort();
		break;
	case -ENAMETOOLONG:
		/* without a rule to blame, only the name itself may not fit */
		if (v.line ? out[0] != '\0' : strlen(name) < out_len)
			abort();
		break;
	case -ENOMEM:
		break;
	default:
		abort();
	}
	*result = out;
	return rc;
}

static void apply_all(const struct remap_rules *rules, const char *text, uint32_t h)
{
	unsigned int lines = count_lines(text);

	for (unsigned int j = 0; j < NAMES_PER_RUN; j++) {
		unsigned int k = pick_name(h, j);
		const struct sockaddr *client =
			(h + k) % N_CLIENTS ? (const struct sockaddr *)&clients[(h + k) % N_CLIENTS] : NULL;
		int is_write = (h >> k) & 1;
		/* small and typical buffers (names_resolve below uses the real one) */
		size_t out_len = (h >> (k + 8)) & 1 ? 1 + (h >> 20) % 48 : 1024;
		char *a, *b;
		int rc;

		rc = apply_checked(rules, names[k], is_write, client, out_len, lines, &a);
		if (j == 0) {
			/* read-only rules: the same call answers the same */
			if (apply_checked(rules, names[k], is_write, client, out_len, lines, &b) != rc ||
			    (rc == 0 && strcmp(a, b)))
				abort();
			free(b);
		}
		free(a);
	}
}

static void check_names(uint32_t h, int map_rc)
{
	struct names_config cfg = {
		.map_file = map_path,
		.aliases = aliases,
		.n_aliases = sizeof(aliases) / sizeof(aliases[0]),
		.serve_any = (h & 0x10000) ? "fw.bin" : NULL,
		.ignore_case = !!(h & 0x20000),
		.root_prefix = (h & 0x40000) ? "/srv/tftp/" : NULL,
		.root_fd = root_fd,
	};
	struct name_resolver *nr = NULL;
	struct names_result res;
	char err[256];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = names_init(&nr, &cfg, err, sizeof(err));
	if ((rc == 0) != (map_rc == 0) || !memchr(err, '\0', sizeof(err)) || (rc && !err[0]))
		abort();
	if (rc)
		return;
	for (unsigned int j = 0; j < NAMES_PER_RUN; j++) {
		unsigned int k = pick_name(h, j + NAMES_PER_RUN);
		const struct sockaddr *client =
			(h + k) % N_CLIENTS ? (const struct sockaddr *)&clients[(h + k) % N_CLIENTS] : NULL;

		memset(&res, 'x', sizeof(res));
		rc = names_resolve(nr, names[k], (h >> k) & 1, client, &res);
		if (!memchr(res.path, '\0', sizeof(res.path)) ||
		    !memchr(res.client_msg, '\0', sizeof(res.client_msg)) ||
		    !memchr(res.why, '\0', sizeof(res.why)))
			abort();
		if (rc == 0) {
			const char *p = res.path;

			if (!p[0] || p[0] == '/')
				abort();
			for (; (p = strstr(p, "..")); p += 2)
				if ((p == res.path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
					abort();
		} else if (rc == -EACCES) {
			if (!res.why[0])
				abort();
		} else if (rc != -ENOMEM) {
			abort();
		}
	}
	names_free(nr);
}

/*
 * Back-references make glibc's regexec backtrack: "^(a*)*\1$" on a 700-byte
 * name used 2 GB in seconds. That is the matcher's nature, not remap.c's
 * (tftpd-hpa accepts such rules too), so rule sets with a back-reference in
 * a REGEX are parsed but not applied here. Fields are split as remap.c's
 * next_field() does. (regcomp's own blow-up on stacked repeats is refused
 * by remap.c, and this target checks that: no filter for it here.)
 */
static int regex_has_backref(const char *text)
{
	const char *p = text;

	while (*p) {
		/* one line: fields up to the newline or an unescaped '#' */
		for (int field = 1;; field++) {
			int escaped = 0;

			while (*p && *p != '\n' && isspace((unsigned char)*p))
				p++;
			if (!*p || *p == '\n' || *p == '#')
				break;
			for (; *p && *p != '\n' &&
			       (escaped || !(isspace((unsigned char)*p) || *p == '#')); p++) {
				if (field == 2 && escaped && *p >= '1' && *p <= '9')
					return 1;
				escaped = !escaped && *p == '\\';
			}
		}
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parsed direct, stripped, loaded, *sp;
	char *text, *clean;
	uint32_t h = 2166136261u;
	int backref;
	size_t n = 0;

	/* FNV-1a of the input picks clients, RRQ/WRQ and buffer sizes */
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	text = malloc(size + 1);
	clean = malloc(size + 1);
	if (!text || !clean)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		if (data[i] && data[i] != '\r')
			clean[n++] = (char)data[i];
	clean[n] = '\0';

	backref = regex_has_backref(text) || regex_has_backref(clean);

	/* the text as given (parsing stops at a NUL) */
	parse(text, map_path, &direct);
	if (direct.rc == 0 && !backref)
		apply_all(direct.rules, text, h);

	/* the same bytes as a file: NUL and CR dropped, like tftpd-hpa */
	if (n != size) {
		parse(clean, map_path, &stripped);
	} else {
		stripped = direct;      /* the same text: not parsed twice */
		stripped.rules = NULL;
		stripped.report = NULL;
	}
	sp = n != size ? &stripped : &direct;
	load(data, size, &loaded);
	if (loaded.rc != sp->rc || loaded.report_len != sp->report_len ||
	    memcmp(loaded.report, sp->report, loaded.report_len) ||
	    remap_count(loaded.rules) != remap_count(sp->rules))
		abort();
	if (!backref) {
		if (loaded.rc == 0 && n != size)
			apply_all(loaded.rules, clean, h);
		check_names(h, loaded.rc);
	}

	remap_free(direct.rules);
	remap_free(stripped.rules);
	remap_free(loaded.rules);
	free(direct.report);
	free(stripped.report);
	free(loaded.report);
	free(text);
	free(clean);
	return 0;
}
