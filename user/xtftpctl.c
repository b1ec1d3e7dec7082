// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
int main(void)
{
	printf("xtftpctl: no daemon\n");
	return 0;
}
