/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xtftpd recover: serve one firmware image to one device in recovery mode
 * (the TP-Link case: the bootloader at 192.168.0.86 asks 192.168.0.66 for a
 * fixed name), with the server address added to the interface for the run,
 * any requested name answered with the image, a live progress line, and the
 * outcome with a diagnosis. See docs/recovery.md.
 *
 *   xtftpd recover --interface IFACE [--ip 192.168.0.66/24] [--keep] FIRMWARE
 */
#ifndef XTFTP_RECOVER_H
#define XTFTP_RECOVER_H

/* argv[0] is "recover". Returns the exit status: 0 one transfer done (or,
 * with --keep, at least one), 1 runtime error or interrupted before any
 * success, 2 usage error. */
int recover_main(int argc, char **argv);

#endif
