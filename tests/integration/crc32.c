// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * crc32 FILE: print the CRC-32 (IEEE 802.3, the one U-Boot's crc32 command
 * computes) of FILE as 8 lowercase hex digits.
 *
 * Built by make tests (cc crc32.c -lz) for uboot.sh: gzip's trailer
 * carries the same CRC, but deflating 40 MiB of random data takes seconds
 * where zlib's crc32() takes tens of milliseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

int main(int argc, char **argv)
{
	static unsigned char buf[1 << 20];
	uLong crc = crc32(0L, Z_NULL, 0);
	int ret = 1, fd = -1;
	ssize_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: crc32 FILE\n");
		ret = 2;
		goto cleanup;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "crc32: %s: %s\n", argv[1], strerror(errno));
		goto cleanup;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crc = crc32(crc, buf, (uInt)n);
	if (n < 0) {
		fprintf(stderr, "crc32: %s: %s\n", argv[1], strerror(errno));
		goto cleanup;
	}
	printf("%08lx\n", crc);
	ret = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}
