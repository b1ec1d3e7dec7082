// SPDX-License-Identifier: GPL-2.0-or-later
/* Control socket server (see control.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "control.h"
#include "util/evsrc.h"
#include "util/log.h"

#define CONTROL_MAX_CONNS 64
/* A connection that has not sent its command line within this long is
 * closed at the next accept: xtftpctl sends it at once. */
#define CONTROL_IDLE_NS (5ull * 1000000000ull)

struct control_conn {
	struct ev_source src;           /* conn_on_event */
	struct control *c;
	int fd;
	uint64_t accepted_ns;           /* CLOCK_MONOTONIC */
	char in[CONTROL_MAX_LINE];
	size_t in_len;
	char *out;                      /* answer, from open_memstream */
	size_t out_len;
	size_t out_off;
	struct control_conn *next, *prev;
};

struct control {
	struct ev_source src;           /* control_on_accept */
	int fd;
	int epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int created_dir;
	control_handler fn;
	void *ctx;
	struct control_conn *conns;
	unsigned int n_conns;
	int answering_fd;               /* connection being answered, -1 none */
};

static void control_on_accept(struct ev_source *src, uint32_t events);
static void conn_on_event(struct ev_source *src, uint32_t events);

/* Is a daemon answering on path? (then it is not stale: refuse to start) */
static int control_path_alive(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, alive;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	alive = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return alive;
}

int control_open(const char *path, int epfd, control_handler fn, void *ctx,
		 struct control **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct control *c;
	char tmp[sizeof(sun.sun_path)];
	struct stat st;
	int err;

	*out = NULL;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("control socket path %s is too long (max %zu bytes): choose a shorter --control",
			path, sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->answering_fd = -1;
	c->epfd = epfd;
	c->fn = fn;
	c->ctx = ctx;
	strcpy(c->path, path);
	strcpy(tmp, path);
	strcpy(c->dir, dirname(tmp));

	if (stat(c->dir, &st) != 0) {
		if (mkdir(c->dir, 0755) != 0 && errno != EEXIST) {
			err = -errno;
			log_err("cannot create control socket directory %s: %s; create it or pass --control PATH",
				c->dir, strerror(errno));
			goto fail;
		}
		c->created_dir = 1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			err = -EEXIST;
			log_err("control socket path %s exists and is not a socket: remove it or pass --control PATH",
				path);
			goto fail;
		}
		if (control_path_alive(path)) {
			err = -EADDRINUSE;
			log_err("another daemon answers on %s: stop it or pass a different --control PATH", path);
			goto fail;
		}
		unlink(path); /* stale: left by a killed daemon */
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err = -errno;
		log_err("control socket: %s", strerror(errno));
		goto fail;
	}
	strcpy(sun.sun_path, path);
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(c->fd, 16) != 0) {
		err = -errno;
		log_err("cannot bind control socket %s: %s; check the directory's permissions or pass --control PATH",
			path, strerror(errno));
		goto fail;
	}
	/* root only by default: the socket reveals client addresses */
	chmod(path, 0660);
	err = ev_source_add(epfd, c->fd, EPOLLIN, &c->src, control_on_accept);
	if (err) {
		log_err("control socket: epoll: %s", strerror(errno));
		unlink(path);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	if (c->fd >= 0)
		close(c->fd);
	if (c->created_dir)
		rmdir(c->dir);
	free(c);
	return err;
}

static void conn_close(struct control *c, struct control_conn *cc)
{
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, cc->fd, NULL);
	close(cc->fd);
	if (cc->prev)
		cc->prev->next = cc->next;
	else
		c->conns = cc->next;
	if (cc->next)
		cc->next->prev = cc->prev;
	free(cc->out);
	free(cc);
	c->n_conns--;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Room for a new connection, so idle ones cannot lock xtftpctl out: close
 * those still without a command line after CONTROL_IDLE_NS and, at the cap,
 * the oldest one still waiting for its command (answers being written are
 * kept). The list is newest first.
 */
static void conns_make_room(struct control *c, uint64_t now)
{
	struct control_conn *cc, *next, *oldest_waiting = NULL;

	for (cc = c->conns; cc; cc = next) {
		next = cc->next;
		if (cc->out)
			continue;
		if (now - cc->accepted_ns > CONTROL_IDLE_NS)
			conn_close(c, cc);
		else
			oldest_waiting = cc;
	}
	if (c->n_conns >= CONTROL_MAX_CONNS && oldest_waiting)
		conn_close(c, oldest_waiting);
}

static void control_accept(struct control *c)
{
	for (;;) {
		struct control_conn *cc;
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		uint64_t now;

		if (fd < 0)
			return; /* EAGAIN, or a transient error: next event retries */
		now = mono_ns();
		conns_make_room(c, now);
		if (c->n_conns >= CONTROL_MAX_CONNS || !(cc = calloc(1, sizeof(*cc)))) {
			close(fd);
			continue;
		}
		cc->c = c;
		cc->fd = fd;
		cc->accepted_ns = now;
		if (ev_source_add(c->epfd, fd, EPOLLIN, &cc->src, conn_on_event) != 0) {
			close(fd);
			free(cc);
			continue;
		}
		cc->next = c->conns;
		if (c->conns)
			c->conns->prev = cc;
		c->conns = cc;
		c->n_conns++;
	}
}

/* Write what is pending; returns 1 when the answer is out (close), 0 to wait. */
static int conn_flush(struct control *c, struct control_conn *cc)
{
	while (cc->out_off < cc->out_len) {
		ssize_t n = send(cc->fd, cc->out + cc->out_off, cc->out_len - cc->out_off,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ev_source_mod(c->epfd, cc->fd, EPOLLOUT, &cc->src);
				return 0;
			}
			return 1;
		}
		cc->out_off += (size_t)n;
	}
	return 1;
}

static void conn_answer(struct control *c, struct control_conn *cc)
{
	FILE *f = open_memstream(&cc->out, &cc->out_len);
	char *cmd = cc->in;
	size_t n = strlen(cmd);

	/* trim whitespace (a client may send CR LF) */
	while (n && (cmd[n - 1] == '\r' || cmd[n - 1] == ' ' || cmd[n - 1] == '\t'))
		cmd[--n] = '\0';
	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	if (!f) {
		cc->out = NULL;
		cc->out_len = 0;
		return;
	}
	c->answering_fd = cc->fd;
	c->fn(c->ctx, cmd, f);
	c->answering_fd = -1;
	fclose(f);
}

static void control_on_accept(struct ev_source *src, uint32_t events)
{
	(void)events;
	control_accept(ev_owner(src, struct control, src));
}

static void conn_on_event(struct ev_source *src, uint32_t events)
{
	struct control_conn *cc = ev_owner(src, struct control_conn, src);
	struct control *c = cc->c;

	if (cc->out) {
		if (conn_flush(c, cc))
			conn_close(c, cc);
		return;
	}
	if (events & EPOLLIN) {
		for (;;) {
			ssize_t n = recv(cc->fd, cc->in + cc->in_len, sizeof(cc->in) - 1 - cc->in_len, 0);
			char *nl;

			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n <= 0) {
				/* peer closed: answer what it sent if anything */
				if (cc->in_len == 0)
					goto close;
				break;
			}
			cc->in_len += (size_t)n;
			cc->in[cc->in_len] = '\0';
			nl = memchr(cc->in, '\n', cc->in_len);
			if (nl) {
				*nl = '\0';
				break;
			}
			if (cc->in_len >= sizeof(cc->in) - 1)
				break; /* overlong: answered as an unknown command */
		}
		conn_answer(c, cc);
		if (!cc->out || conn_flush(c, cc))
			goto close;
		return;
	}
	if (!(events & (EPOLLHUP | EPOLLERR)))
		return;
close:
	conn_close(c, cc);
}

int control_current_fd(const struct control *c)
{
	return c ? c->answering_fd : -1;
}

int control_chown(struct control *c, uid_t uid, gid_t gid)
{
	if (!c)
		return 0;
	if (chown(c->path, uid, gid) != 0)
		return -errno;
	if (c->created_dir && chown(c->dir, uid, gid) != 0)
		return -errno;
	return 0;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	while (c->conns)
		conn_close(c, c->conns);
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	unlink(c->path);
	if (c->created_dir)
		rmdir(c->dir);
	free(c);
}
