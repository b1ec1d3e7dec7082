// SPDX-License-Identifier: GPL-2.0-or-later
/* xtftpd: placeholder main until the engine lands. */
#include <stdio.h>
#include "xtftp.skel.h"
int main(void)
{
	struct xtftp_bpf *skel = xtftp_bpf__open();
	printf("xtftpd: skeleton %s\n", skel ? "ok" : "failed");
	xtftp_bpf__destroy(skel);
	return 0;
}
