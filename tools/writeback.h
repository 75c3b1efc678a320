/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * writeback.h - the kernel's write-back in progress, for one FUSE mount
 * and for the whole system: /proc/meminfo (Dirty, Writeback), the FUSE
 * connection's waiting requests (/sys/fs/fuse/connections/N/waiting,
 * when fusectl is mounted) and the mount's bdi counters
 * (/sys/kernel/debug/bdi/MAJ:MIN/stats, when debugfs is mounted).
 *
 * Layer: measurement; reads only these files.  A figure the kernel does
 * not show here is FSI_UNKNOWN, never 0.
 */
#ifndef FSI_WRITEBACK_H
#define FSI_WRITEBACK_H

#include <stdint.h>

struct wb_info {
	uint64_t dirty_kb, writeback_kb; /* meminfo, system-wide */
	uint64_t waiting;		 /* requests the FUSE device holds */
	uint64_t bdi_writeback_kb;	 /* BdiWriteback */
	uint64_t bdi_reclaimable_kb;	 /* BdiReclaimable: dirty */
	uint64_t bdi_thresh_kb;		 /* BdiDirtyThresh */
	uint64_t bdi_dirtied_kb, bdi_written_kb; /* cumulative */
};

/* Fills @out for the mount of device @major:@minor. */
void wb_read(unsigned major, unsigned minor, struct wb_info *out);

#endif
