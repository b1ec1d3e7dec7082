/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command line of xtftpd: tftpd-hpa compatible flags plus our own. */
#ifndef XTFTP_OPTIONS_H
#define XTFTP_OPTIONS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/types.h>
#include "xtftp_inject.h"
#include "util/acl.h"

#define XTFTPD_VERSION "0.1.0"
#define XT_DEFAULT_ROOT "/srv/tftp"
#define XT_DEFAULT_CONTROL "/run/xtftpd/xtftpd.sock"
#define XT_MAX_LISTEN 8
#define XT_MAX_IFNAMES 32
#define XT_MAX_REFUSE 16
#define XT_MAX_PRELOAD 32
#define XT_MAX_ALIASES 64

struct xtftpd_options {
	const char *root;                 /* ROOT, default XT_DEFAULT_ROOT */
	struct sockaddr_storage listen[XT_MAX_LISTEN];
	socklen_t listen_len[XT_MAX_LISTEN];
	unsigned int n_listen;            /* 0 after parsing = 0.0.0.0:69 and [::]:69 */
	int secure;                       /* -s */
	int create;                       /* -c */
	int permissive;                   /* -p */
	int foreground;                   /* -L */
	int single_port;                  /* --single-port */
	int no_bpf;                       /* --no-bpf */
	int xdp_request;                  /* --xdp: enum attach_xdp_request (kern/attach.h) */
	int mac_sessions;                 /* --mac-sessions: requests and replies by MAC (linkpath.h) */
	int verbose;                      /* number of -v */
	int family_only;                  /* -4: AF_INET, -6: AF_INET6, 0: both */
	const char *pidfile;              /* -P/--pidfile */
	int umask_set;
	mode_t umask;                     /* -U */
	unsigned int max_blksize;         /* -B; 0 = MTU of the ingress interface - headers */
	unsigned int max_windowsize;      /* --max-window, default 64 */
	unsigned int port_lo, port_hi;    /* -R; 0:0 = ephemeral port from the kernel */
	const char *user;                 /* -u; NULL = keep running as the starting user */
	const char *refuse[XT_MAX_REFUSE];/* -r */
	unsigned int n_refuse;
	const char *ifnames[XT_MAX_IFNAMES]; /* -i */
	unsigned int n_ifnames;
	const char *preload[XT_MAX_PRELOAD]; /* --preload GLOB, relative to ROOT */
	unsigned int n_preload;
	int check_config;                 /* --check-config: validate, then exit */
	uint64_t pool_bytes;              /* --pool-size */
	unsigned int timeout_us;          /* --timeout, default retransmit timeout */
	unsigned int retries;             /* --retries */
	unsigned int max_sessions;        /* --max-sessions */
	unsigned int max_per_client;      /* --max-per-client; 0 = no limit */
	struct acl acl;                   /* --allow / --deny CIDR */
	int deny_silently;                /* --deny-silently: no ERROR to refused sources */
	const char *control_path;         /* --control; "" disables */
	const char *http;                 /* --http ADDR:PORT (ctl/http.h); NULL = off */
	const char *event_log;            /* --event-log FILE: one JSON line per transfer */
	const char *verifier_log;         /* --verifier-log FILE */
	/* name resolution (names.h) */
	const char *map_file;             /* -m/--map-file FILE */
	const char *aliases[XT_MAX_ALIASES]; /* --alias NAME=FILE */
	unsigned int n_aliases;
	const char *serve_any;            /* --serve-any FILE */
	int ignore_case;                  /* --ignore-case */
	/* fault injection (inject.h); --inject SPEC */
	struct xt_inject inject;
};

/* Parse argv. Returns 0 to run, 1 when --help/--version printed (exit 0),
 * 2 on a usage error (one line already printed to stderr: exit 2). */
int options_parse(int argc, char **argv, struct xtftpd_options *o);
void options_usage(FILE *f);

/* "1.2.3.4", "1.2.3.4:69", "[::1]:69", "::1", ":69" (all families).
 * Returns 0, -EINVAL. Default port when absent: default_port. */
int options_parse_address(const char *s, unsigned int default_port,
			  struct sockaddr_storage *ss, socklen_t *len);
/* "256M", "1G", "65536" -> bytes. Returns 0 or -EINVAL. */
int options_parse_size(const char *s, uint64_t *out);

#endif
