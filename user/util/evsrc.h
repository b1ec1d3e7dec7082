/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One callback per event source, as systemd's sd_event_add_io(): every
 * object registered with epoll embeds a struct ev_source, epoll's data.ptr
 * points at it, and the loop calls its fn. No type tag to switch on, so a
 * new kind of source is one registration, not an edit of the loop.
 */
#ifndef XTFTP_EVSRC_H
#define XTFTP_EVSRC_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct ev_source;
typedef void (*ev_source_fn)(struct ev_source *src, uint32_t events);

struct ev_source {
	ev_source_fn fn;
};

/* The object that embeds member src (container_of). */
#define ev_owner(src, type, member) ((type *)((char *)(src) - offsetof(type, member)))

/* Register fd with epfd; events on it call fn(src, events). 0 or -errno. */
static inline int ev_source_add(int epfd, int fd, uint32_t events, struct ev_source *src,
				ev_source_fn fn)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	src->fn = fn;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Change the events fd waits for (the callback stays). 0 or -errno. */
static inline int ev_source_mod(int epfd, int fd, uint32_t events, struct ev_source *src)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

/* Call the callback of one event epoll_wait returned. */
static inline void ev_source_dispatch(const struct epoll_event *ev)
{
	struct ev_source *src = ev->data.ptr;

	src->fn(src, ev->events);
}

#endif
