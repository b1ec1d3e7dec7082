// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xtftpd: parse the command line, bind, attach the kernel tiers (or decide
 * not to), daemonize unless -L, create the control socket (readiness), drop
 * privileges, run the event loop until SIGTERM/SIGINT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine.h"
#include "log.h"
#include "options.h"

int main(int argc, char **argv)
{
	struct xtftpd_options opt;
	struct engine *e = NULL;
	int rc, exit_code = 1;

	rc = options_parse(argc, argv, &opt);
	if (rc == 1)
		return 0;
	if (rc)
		return 2;
	log_init("xtftpd", 0, opt.verbose);

	if (engine_create(&opt, &e) != 0)
		goto cleanup;
	if (!opt.foreground) {
		/* after binding, so a bad address or a busy port shows on the
		 * terminal; the kernel tiers' links survive the fork */
		if (daemon(0, 0) != 0) {
			log_err("cannot daemonize: %s; run with -L", strerror(errno));
			goto cleanup;
		}
		log_close();
		log_init("xtftpd", 1, opt.verbose);
	}
	if (engine_open_control(e) != 0)
		goto cleanup;
	if (engine_drop_privileges(e) != 0)
		goto cleanup;
	if (engine_run(e) != 0)
		goto cleanup;
	exit_code = 0;
cleanup:
	engine_destroy(e);
	log_close();
	return exit_code;
}
