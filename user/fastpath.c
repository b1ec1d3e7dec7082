// SPDX-License-Identifier: GPL-2.0-or-later
/* Placeholder until the loader lands: no kernel tier, userspace serves all. */
#include <errno.h>
#include "fastpath.h"

int fastpath_open(const struct fastpath_config *cfg, struct fastpath **out)
{
	(void)cfg;
	*out = NULL;
	return -EOPNOTSUPP;
}
void fastpath_close(struct fastpath *fp) { (void)fp; }
enum fastpath_tier fastpath_tier(const struct fastpath *fp, unsigned int ifindex)
{ (void)fp; (void)ifindex; return FP_TIER_NONE; }
int fastpath_can_serve(const struct fastpath *fp, unsigned int ifindex,
		       unsigned int blksize, unsigned int windowsize)
{ (void)fp; (void)ifindex; (void)blksize; (void)windowsize; return 0; }
int fastpath_image_acquire(struct fastpath *fp, int fd, const struct stat *st,
			   const struct fastpath_image **img)
{ (void)fp; (void)fd; (void)st; *img = NULL; return -EOPNOTSUPP; }
void fastpath_image_release(struct fastpath *fp, const struct fastpath_image *img)
{ (void)fp; (void)img; }
int fastpath_image_read(const struct fastpath *fp, const struct fastpath_image *img,
			uint64_t off, void *buf, size_t len)
{ (void)fp; (void)img; (void)off; (void)buf; (void)len; return -EOPNOTSUPP; }
void fastpath_session_init(struct session_value *val, const struct fastpath_image *img,
			   unsigned int blksize, unsigned int windowsize, uint32_t first_sent)
{ (void)val; (void)img; (void)blksize; (void)windowsize; (void)first_sent; }
int fastpath_session_start(struct fastpath *fp, const struct session_key *key,
			   const struct session_value *val)
{ (void)fp; (void)key; (void)val; return -EOPNOTSUPP; }
int fastpath_session_get(const struct fastpath *fp, const struct session_key *key,
			 struct session_value *val)
{ (void)fp; (void)key; (void)val; return -EOPNOTSUPP; }
int fastpath_session_pause(struct fastpath *fp, const struct session_key *key)
{ (void)fp; (void)key; return -EOPNOTSUPP; }
int fastpath_session_end(struct fastpath *fp, const struct session_key *key)
{ (void)fp; (void)key; return -EOPNOTSUPP; }
int fastpath_events_fd(const struct fastpath *fp) { (void)fp; return -1; }
int fastpath_events_drain(struct fastpath *fp, fastpath_event_cb cb, void *ctx)
{ (void)fp; (void)cb; (void)ctx; return 0; }
int fastpath_read_stats(const struct fastpath *fp, uint64_t out[XT_STAT_MAX])
{ (void)fp; (void)out; return -EOPNOTSUPP; }
int fastpath_read_hist(const struct fastpath *fp, enum xt_hist_id id, struct xt_hist *out)
{ (void)fp; (void)id; (void)out; return -EOPNOTSUPP; }
const char *fastpath_stat_name(enum xt_stat s) { (void)s; return "?"; }
const char *fastpath_tier_name(enum fastpath_tier t) { (void)t; return "none"; }
