// SPDX-License-Identifier: GPL-2.0-or-later
/* Event bus (see events.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "events.h"
#include "util/log.h"
#include "report.h"

struct events {
	FILE *log;
	unsigned int step_pct;
	uint64_t seq;
	char *ring[EVENTS_RING];
	size_t ring_len_bytes[EVENTS_RING];
	unsigned int head, len;
	int followers[EVENTS_MAX_FOLLOWERS];
	unsigned int n_followers;
	int log_failed;
};

static const char *const type_names[EVT_MAX] = {
	[EVT_START] = "start",
	[EVT_PROGRESS] = "progress",
	[EVT_DONE] = "done",
	[EVT_FAILED] = "failed",
	[EVT_RESTART] = "restart",
	[EVT_STALL] = "stall",
	[EVT_PROBE] = "probe",
	[EVT_UNCONFIRMED] = "unconfirmed",
};

const char *events_type_name(enum xt_evt type)
{
	return type < EVT_MAX ? type_names[type] : "?";
}

int events_create(FILE *log, unsigned int step_pct, struct events **out)
{
	struct events *ev = calloc(1, sizeof(*ev));

	*out = NULL;
	if (!ev)
		return -ENOMEM;
	ev->log = log;
	ev->step_pct = step_pct ? step_pct : EVENTS_DEFAULT_STEP_PCT;
	*out = ev;
	return 0;
}

void events_destroy(struct events *ev)
{
	if (!ev)
		return;
	for (unsigned int i = 0; i < ev->n_followers; i++)
		close(ev->followers[i]);
	for (unsigned int i = 0; i < EVENTS_RING; i++)
		free(ev->ring[i]);
	free(ev);
}

/* Whole line or nothing: a follower that would get half a line is dropped. */
static int follower_send(int fd, const char *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	return n == (ssize_t)len ? 0 : -1;
}

static void follower_drop(struct events *ev, unsigned int i)
{
	close(ev->followers[i]);
	ev->followers[i] = ev->followers[--ev->n_followers];
}

void events_emit(struct events *ev, enum xt_evt type, const struct transfer *t, uint64_t now_ns)
{
	struct timespec now_real;
	char when[40], *line = NULL;
	size_t len = 0;
	struct tm tm;
	FILE *f;

	if (!ev)
		return;
	clock_gettime(CLOCK_REALTIME, &now_real);
	gmtime_r(&now_real.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	f = open_memstream(&line, &len);
	if (!f)
		return;
	fprintf(f, "{\"event\":\"%s\",\"seq\":%" PRIu64 ",\"time\":\"%s.%03ldZ\",",
		events_type_name(type), ++ev->seq, when, now_real.tv_nsec / 1000000);
	report_transfer_members(f, t, now_ns);
	fputs("}\n", f);
	if (fclose(f) != 0 || !line) {
		free(line);
		return;
	}
	if (ev->log) {
		if (fwrite(line, 1, len, ev->log) != len || fflush(ev->log) != 0) {
			if (!ev->log_failed)
				log_warn("cannot write the --event-log: %s; events still reach "
					 "`xtftpctl events`", strerror(errno));
			ev->log_failed = 1;
		}
	}
	for (unsigned int i = 0; i < ev->n_followers;) {
		if (follower_send(ev->followers[i], line, len) != 0) {
			log_verbose("events follower dropped (gone or not reading)");
			follower_drop(ev, i);
			continue;
		}
		i++;
	}
	free(ev->ring[ev->head]);
	ev->ring[ev->head] = line;
	ev->ring_len_bytes[ev->head] = len;
	ev->head = (ev->head + 1) % EVENTS_RING;
	if (ev->len < EVENTS_RING)
		ev->len++;
}

int events_progress(struct events *ev, struct transfer *t, uint64_t now_ns)
{
	int pm = report_permille(t);
	unsigned int pct, step;

	if (!ev || pm < 0 || t->outcome != XFER_RUNNING)
		return 0;
	pct = (unsigned int)pm / 10;
	step = ev->step_pct;
	/* 100 % is the done event's job */
	if (pct >= 100 || pct < t->progress_pct + step)
		return 0;
	t->progress_pct = pct / step * step;
	events_emit(ev, EVT_PROGRESS, t, now_ns);
	return 1;
}

int events_add_follower(struct events *ev, int fd)
{
	if (ev->n_followers >= EVENTS_MAX_FOLLOWERS) {
		close(fd);
		return -EMFILE;
	}
	for (unsigned int i = 0; i < ev->len; i++) {
		unsigned int idx = (ev->head + EVENTS_RING - ev->len + i) % EVENTS_RING;

		if (follower_send(fd, ev->ring[idx], ev->ring_len_bytes[idx]) != 0) {
			close(fd);
			return -EAGAIN;
		}
	}
	ev->followers[ev->n_followers++] = fd;
	return 0;
}

void events_write_recent(const struct events *ev, FILE *out)
{
	if (!ev)
		return;
	for (unsigned int i = 0; i < ev->len; i++) {
		unsigned int idx = (ev->head + EVENTS_RING - ev->len + i) % EVENTS_RING;

		fwrite(ev->ring[idx], 1, ev->ring_len_bytes[idx], out);
	}
}
