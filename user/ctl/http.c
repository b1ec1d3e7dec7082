// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --http: the read-only HTTP endpoint (http.h). libmicrohttpd parses HTTP;
 * this file maps paths to control-socket commands and relays the answers.
 *
 * Threads: libmicrohttpd runs one thread per connection (bounded), so an
 * event stream may block in poll() on its control connection without
 * holding up the page or /metrics. Nothing here shares memory with the
 * engine: every answer is asked of the control socket, which the engine
 * serves from its own loop like any xtftpctl.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "ctl/http.h"
#include "util/log.h"

/* The page: user/ctl/page/index.html as bytes, compiled from a .c the
 * Makefile generates ($(BUILD)/gen/http_page.c), so the binary serves it
 * with no file to install and no network to fetch it from. */
extern const unsigned char http_page[];
extern const size_t http_page_len;

/* A control answer is read within this, or the request gets 504. The
 * engine answers from its loop in well under a millisecond; this bounds a
 * daemon that is shutting down or wedged. */
#define CTL_DEADLINE_MS 5000
/* Largest control answer relayed (transfers json: up to a few MiB). */
#define CTL_MAX_ANSWER (32u << 20)
/* An event stream sends a comment when idle this long: a client that went
 * away is noticed (the write fails), and proxies and MHD's idle timeout
 * (HTTP_TIMEOUT_S) see a live connection. */
#define SSE_KEEPALIVE_MS 5000
/* One event line is ~2 KiB (two histograms); a longer one is dropped. */
#define SSE_LINE_MAX (64u << 10)

struct http {
	struct MHD_Daemon *mhd;
	char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int stop_fd;                /* eventfd: readable once http_stop runs */
	atomic_uint n_streams;      /* /api/events clients now */
};

/* ---- the control socket, as a client ------------------------------------------- */

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Connect to the control socket and send "cmd\n". Returns the fd or -errno. */
static int ctl_open(const struct http *h, const char *cmd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char line[128];
	int fd, n, err;

	n = snprintf(line, sizeof(line), "%s\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	memcpy(sun.sun_path, h->ctl_path, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		err = -errno;
		close(fd);
		return err ? err : -EIO;
	}
	return fd;
}

/*
 * Ask cmd and read the whole answer (the daemon closes after it) into a
 * malloc'd, NUL-terminated *out. Returns 0, -ETIMEDOUT past
 * CTL_DEADLINE_MS, -ECANCELED when http_stop runs, or another -errno.
 */
static int ctl_ask(const struct http *h, const char *cmd, char **out, size_t *out_len)
{
	struct timespec deadline;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd, err = 0;

	*out = NULL;
	*out_len = 0;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += CTL_DEADLINE_MS / 1000;
	fd = ctl_open(h, cmd);
	if (fd < 0)
		return fd;
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = h->stop_fd, .events = POLLIN } };
		long ms = ms_left(&deadline);
		ssize_t n;
		int pr;

		if (ms <= 0) {
			err = -ETIMEDOUT;
			goto cleanup;
		}
		pr = poll(p, 2, (int)ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			err = -errno;
			goto cleanup;
		}
		if (p[1].revents) {
			err = -ECANCELED;
			goto cleanup;
		}
		if (!pr)
			continue; /* the deadline check above ends it */
		if (cap - len < 4096 + 1) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *nb;

			if (ncap > CTL_MAX_ANSWER) {
				err = -EFBIG;
				goto cleanup;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				err = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
			cap = ncap;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf && !(buf = malloc(1))) {
		err = -ENOMEM;
		goto cleanup;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return err;
}

/* ---- responses ------------------------------------------------------------------ */

static void common_headers(struct MHD_Response *r, const char *ctype)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	/* live data: a cached copy is a wrong copy */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
}

/* Queue body (copied unless persistent) with status and type. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *ctype,
			     const void *body, size_t len, int persistent)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body,
					    persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	common_headers(r, ctype);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "2");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	return reply(c, status, "text/plain; charset=utf-8", msg, (size_t)n, 0);
}

/* The answer could not be had: 503 while the daemon does not answer, 504
 * past the deadline, 502 for an "error:" answer. */
static enum MHD_Result reply_ctl_failure(struct MHD_Connection *c, const char *cmd, int err,
					 const char *answer)
{
	if (answer)
		return reply_text(c, MHD_HTTP_BAD_GATEWAY, "xtftpd answered '%s' with: %.400s", cmd, answer);
	if (err == -ETIMEDOUT)
		return reply_text(c, MHD_HTTP_GATEWAY_TIMEOUT,
				  "xtftpd did not answer '%s' within %d ms\n", cmd, CTL_DEADLINE_MS);
	return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			  "xtftpd's control socket does not answer '%s': %s\n", cmd, strerror(-err));
}

static int is_error_answer(const char *a)
{
	return !strncmp(a, "error:", 6);
}

/* ---- JSON glue ------------------------------------------------------------------ */

/* s as a JSON string. Bytes outside printable ASCII are written as \u00XX
 * (read as Latin-1): the status text may hold a client's raw file name, and
 * the answer must be valid JSON whatever it holds. */
static void json_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* /api/status: {"status": the "status" text, "stats": "stats json"}. The
 * control socket has no "status json"; the text is what xtftpctl status
 * prints, the stats object is xtftpctl stats --json. */
static enum MHD_Result serve_status(struct http *h, struct MHD_Connection *c)
{
	char *status = NULL, *stats = NULL, *body = NULL;
	size_t slen, jlen, blen = 0;
	enum MHD_Result ret;
	FILE *f;
	int err;

	if ((err = ctl_ask(h, "status", &status, &slen)) != 0 || is_error_answer(status)) {
		ret = reply_ctl_failure(c, "status", err, status);
		goto cleanup;
	}
	if ((err = ctl_ask(h, "stats json", &stats, &jlen)) != 0 || is_error_answer(stats)) {
		ret = reply_ctl_failure(c, "stats json", err, stats);
		goto cleanup;
	}
	while (jlen && (stats[jlen - 1] == '\n' || stats[jlen - 1] == ' '))
		stats[--jlen] = '\0';
	f = open_memstream(&body, &blen);
	if (!f) {
		ret = MHD_NO;
		goto cleanup;
	}
	fputs("{\"status\":", f);
	json_text(f, status);
	fprintf(f, ",\"stats\":%s}\n", jlen ? stats : "null");
	if (fclose(f) != 0) {
		ret = MHD_NO;
		goto cleanup;
	}
	ret = reply(c, MHD_HTTP_OK, "application/json", body, blen, 0);
cleanup:
	free(status);
	free(stats);
	free(body);
	return ret;
}

/* /api/transfers: "transfers json" answers JSON lines (finished ones oldest
 * first, then the active ones); HTTP clients want one document: an array. */
static enum MHD_Result serve_transfers(struct http *h, struct MHD_Connection *c)
{
	char *lines = NULL, *body = NULL, *save = NULL;
	size_t len, blen = 0;
	enum MHD_Result ret;
	int err, first = 1;
	FILE *f;

	if ((err = ctl_ask(h, "transfers json", &lines, &len)) != 0 || is_error_answer(lines)) {
		ret = reply_ctl_failure(c, "transfers json", err, lines);
		goto cleanup;
	}
	f = open_memstream(&body, &blen);
	if (!f) {
		ret = MHD_NO;
		goto cleanup;
	}
	fputc('[', f);
	for (char *l = strtok_r(lines, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!*l)
			continue;
		fprintf(f, "%s\n%s", first ? "" : ",", l);
		first = 0;
	}
	fputs("\n]\n", f);
	if (fclose(f) != 0) {
		ret = MHD_NO;
		goto cleanup;
	}
	ret = reply(c, MHD_HTTP_OK, "application/json", body, blen, 0);
cleanup:
	free(lines);
	free(body);
	return ret;
}

static enum MHD_Result serve_metrics(struct http *h, struct MHD_Connection *c)
{
	char *text = NULL;
	enum MHD_Result ret;
	size_t len;
	int err;

	if ((err = ctl_ask(h, "stats prometheus", &text, &len)) != 0 || is_error_answer(text))
		ret = reply_ctl_failure(c, "stats prometheus", err, text);
	else
		ret = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len, 0);
	free(text);
	return ret;
}

/* ---- /api/events: "events follow" relayed as Server-Sent Events ----------------- */

struct sse {
	struct http *h;
	int fd;                     /* the control connection following events */
	int eof;                    /* it closed: end the stream once out is sent */
	size_t in_len;              /* bytes in in[] not yet relayed */
	size_t out_len, out_off;    /* out[out_off, out_len) is still to send */
	char in[SSE_LINE_MAX];
	char out[SSE_LINE_MAX + 64];
};

static void sse_append(struct sse *s, const char *p, size_t n)
{
	memcpy(s->out + s->out_len, p, n);
	s->out_len += n;
}

/* Move whole lines from in[] to out[] as SSE messages, as many as fit. An
 * "error:" line (the daemon refused the follow) becomes an "error" event and
 * ends the stream. Returns the bytes now in out[]. */
static size_t sse_relay_lines(struct sse *s)
{
	size_t used = 0;
	char *nl;

	while ((nl = memchr(s->in + used, '\n', s->in_len - used))) {
		size_t n = (size_t)(nl - (s->in + used));
		const char *line = s->in + used;
		int is_err = n >= 6 && !memcmp(line, "error:", 6);

		if (s->out_len + n + 32 > sizeof(s->out))
			break;
		if (n) {
			if (is_err)
				sse_append(s, "event: error\n", 13);
			sse_append(s, "data: ", 6);
			sse_append(s, line, n);
			sse_append(s, "\n\n", 2);
		}
		if (is_err)
			s->eof = 1;
		used += n + 1;
	}
	memmove(s->in, s->in + used, s->in_len - used);
	s->in_len -= used;
	if (s->in_len == sizeof(s->in)) {
		/* a line longer than any event: not one we can relay whole */
		log_verbose("http: an event line over %u bytes dropped", SSE_LINE_MAX);
		s->in_len = 0;
	}
	return s->out_len;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;

	(void)pos;
	for (;;) {
		struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN },
				       { .fd = s->h->stop_fd, .events = POLLIN } };
		ssize_t n;
		int pr;

		if (s->out_off < s->out_len) {
			size_t k = s->out_len - s->out_off;

			if (k > max)
				k = max;
			memcpy(buf, s->out + s->out_off, k);
			s->out_off += k;
			return (ssize_t)k;
		}
		s->out_off = s->out_len = 0;
		if (sse_relay_lines(s))
			continue;
		if (s->eof)
			return MHD_CONTENT_READER_END_OF_STREAM;
		pr = poll(p, 2, SSE_KEEPALIVE_MS);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0 || p[1].revents)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (pr == 0) {
			sse_append(s, ": keepalive\n\n", 13);
			continue;
		}
		n = recv(s->fd, s->in + s->in_len, sizeof(s->in) - s->in_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* the daemon dropped us (stopping, or we fell behind):
			 * the browser's EventSource reconnects by itself */
			s->eof = 1;
			continue;
		}
		s->in_len += (size_t)n;
	}
}

static void sse_free(void *cls)
{
	struct sse *s = cls;

	close(s->fd);
	atomic_fetch_sub(&s->h->n_streams, 1);
	free(s);
}

static enum MHD_Result serve_events(struct http *h, struct MHD_Connection *c, int head)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct sse *s;
	int fd;

	if (head)
		return reply(c, MHD_HTTP_OK, "text/event-stream", "", 0, 1);
	if (atomic_fetch_add(&h->n_streams, 1) >= HTTP_MAX_EVENT_STREAMS) {
		atomic_fetch_sub(&h->n_streams, 1);
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "too many event streams open (%d); close one or try again\n",
				  HTTP_MAX_EVENT_STREAMS);
	}
	fd = ctl_open(h, "events follow");
	if (fd < 0) {
		atomic_fetch_sub(&h->n_streams, 1);
		return reply_ctl_failure(c, "events follow", fd, NULL);
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		atomic_fetch_sub(&h->n_streams, 1);
		return MHD_NO;
	}
	s->h = h;
	s->fd = fd;
	/* reconnect after 2 s if the stream ends (daemon restart, dropped) */
	sse_append(s, "retry: 2000\n\n", 13);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_read, s, sse_free);
	if (!r) {
		sse_free(s);
		return MHD_NO;
	}
	common_headers(r, "text/event-stream");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- dispatch ------------------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	int head = !strcmp(method, MHD_HTTP_METHOD_HEAD);

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (!head && strcmp(method, MHD_HTTP_METHOD_GET))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "read-only: GET and HEAD only, not %.32s\n", method);
	if (!strcmp(url, "/") || !strcmp(url, "/index.html")) {
		struct MHD_Response *r;
		enum MHD_Result ret;

		r = MHD_create_response_from_buffer(http_page_len, (void *)http_page,
						    MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		common_headers(r, "text/html; charset=utf-8");
		/* everything is inline and served from here: an offline bench */
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'none'; script-src 'unsafe-inline'; "
					"style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
		ret = MHD_queue_response(c, MHD_HTTP_OK, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!strcmp(url, "/metrics"))
		return serve_metrics(h, c);
	if (!strcmp(url, "/api/status"))
		return serve_status(h, c);
	if (!strcmp(url, "/api/transfers"))
		return serve_transfers(h, c);
	if (!strcmp(url, "/api/events"))
		return serve_events(h, c, head);
	return reply_text(c, MHD_HTTP_NOT_FOUND,
			  "not found; try /, /metrics, /api/status, /api/transfers, /api/events\n");
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	/* libmicrohttpd's own notes (a client that reset, the connection
	 * limit reached): for -v, not for the log of a healthy bench */
	log_verbose("http: %s", msg);
}

/* ---- lifecycle ------------------------------------------------------------------ */

int http_parse_addr(const char *spec, struct sockaddr_storage *ss, unsigned int *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char host[INET6_ADDRSTRLEN + 2], *end;
	const char *port, *colon;
	unsigned long p;
	size_t hlen;

	if (!spec || !*spec)
		return -EINVAL;
	colon = strrchr(spec, ':');
	if (!colon) {
		strcpy(host, "127.0.0.1"); /* a port alone: loopback, never the bench */
		port = spec;
	} else {
		hlen = (size_t)(colon - spec);
		if (spec[0] == '[') {
			if (hlen < 2 || spec[hlen - 1] != ']')
				return -EINVAL;
			spec++;
			hlen -= 2;
		}
		if (!hlen || hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
		port = colon + 1;
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p == 0 || p > 65535)
		return -EINVAL;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = (unsigned int)ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int addr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

int http_start(const char *spec, const char *control_path, struct http **out)
{
	struct sockaddr_storage ss = { 0 };
	unsigned int sslen = 0;
	struct http *h = NULL;
	int fd = -1, one = 1, err = 0;
	char shown[INET6_ADDRSTRLEN + 16];

	*out = NULL;
	if (http_parse_addr(spec, &ss, &sslen) != 0) {
		log_err("--http %s: not ADDR:PORT, [ADDR6]:PORT or PORT (numeric; a port alone "
			"listens on 127.0.0.1)", spec);
		return -EINVAL;
	}
	if (!control_path || !*control_path) {
		log_err("--http needs the control socket (it answers from it): drop --control \"\" "
			"or give it a path");
		return -EINVAL;
	}
	if (strlen(control_path) >= sizeof(h->ctl_path)) {
		log_err("--http: control socket path %s is too long for a unix socket", control_path);
		return -ENAMETOOLONG;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->stop_fd = -1;
	strcpy(h->ctl_path, control_path);
	atomic_init(&h->n_streams, 0);
	h->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->stop_fd < 0) {
		err = -errno;
		log_err("--http: cannot create an eventfd: %s", strerror(errno));
		goto fail;
	}
	{
		char a[INET6_ADDRSTRLEN] = "?";
		unsigned int port;

		if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
			snprintf(shown, sizeof(shown), "[%s]:%u", a, port);
		} else {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a));
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			snprintf(shown, sizeof(shown), "%s:%u", a, port);
		}
	}
	/* Our own listening socket, bound here: bind's errno says exactly
	 * what is wrong, which MHD_start_daemon's NULL would not. */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		log_err("--http %s: cannot create a socket: %s", spec, strerror(errno));
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, 64) != 0) {
		err = -errno;
		log_err("--http %s: cannot listen: %s%s", shown, strerror(errno),
			errno == EADDRINUSE ? "; pick another port" :
			errno == EACCES ? "; ports below 1024 need root or CAP_NET_BIND_SERVICE" :
			errno == EADDRNOTAVAIL ? "; the address is not one of this host's" : "");
		goto fail;
	}
	h->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				  MHD_USE_ERROR_LOG,
				  0, NULL, NULL, on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!h->mhd) {
		err = -EIO;
		/* whether libmicrohttpd closed the socket on failure depends on
		 * where it failed: leave it (the daemon exits now) rather than
		 * risk closing an fd number reused by another thread */
		fd = -1;
		log_err("--http %s: libmicrohttpd would not start (run with -v for its reason)", shown);
		goto fail;
	}
	fd = -1; /* MHD_stop_daemon closes it */
	log_info("http: serving / (bench page), /metrics, /api/status, /api/transfers, /api/events "
		 "on http://%s/", shown);
	if (!addr_is_loopback(&ss))
		log_warn("http: %s is not loopback: the bench page and the API are readable by anyone "
			 "on that network (read-only; firewall it or use 127.0.0.1 if that is not wanted)",
			 shown);
	*out = h;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (h->stop_fd >= 0)
		close(h->stop_fd);
	free(h);
	return err;
}

void http_stop(struct http *h)
{
	uint64_t one = 1;

	if (!h)
		return;
	/* wake every event stream and pending control read at once; without
	 * it MHD_stop_daemon would wait out their poll timeouts */
	if (write(h->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("http: cannot signal the event streams to stop: %s", strerror(errno));
	MHD_stop_daemon(h->mhd);
	close(h->stop_fd);
	free(h);
}
