/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --http ADDR:PORT: a read-only HTTP endpoint for people and Prometheus.
 *
 *   /              the live bench page (embedded in the binary, no CDN)
 *   /metrics       Prometheus text format ("stats prometheus")
 *   /api/status    {"status": the text of "status", "stats": "stats json"}
 *   /api/transfers a JSON array of "transfers json"'s objects
 *   /api/events    Server-Sent Events, one "data:" per "events follow" line
 *
 * Served by libmicrohttpd on its own threads (one per connection, at most
 * HTTP_MAX_CONNECTIONS, HTTP_TIMEOUT_S idle timeout), and every answer comes
 * from the daemon's own control socket, as xtftpctl gets it: this code never
 * touches engine state, so there is no locking and the fields are
 * xtftpctl's by construction. GET and HEAD only; anything else is 405,
 * unknown paths 404.
 */
#ifndef XTFTP_HTTP_H
#define XTFTP_HTTP_H

#include <sys/socket.h>

#define HTTP_MAX_CONNECTIONS 32
#define HTTP_TIMEOUT_S 10
/* /api/events clients at once: below the control socket's follower limit
 * (EVENTS_MAX_FOLLOWERS, 16) so xtftpctl events --follow still gets in. */
#define HTTP_MAX_EVENT_STREAMS 8

struct http;

/* Parse "ADDR:PORT", "[V6ADDR]:PORT" or "PORT" (then 127.0.0.1) into ss;
 * 0 or -EINVAL. */
int http_parse_addr(const char *spec, struct sockaddr_storage *ss, unsigned int *len);

/* Bind spec (before dropping privileges: a port below 1024 needs them) and
 * start serving, answering from the control socket at control_path.
 * Returns 0 or negative errno (logged once, with the remedy). */
int http_start(const char *spec, const char *control_path, struct http **out);
/* Stop serving: event streams end at once, threads are joined. NULL-safe. */
void http_stop(struct http *h);

#endif
