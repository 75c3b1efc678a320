// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * comm.c - see comm.h.  A tsearch(3) tree keyed by thread id, each entry
 * stamped with CLOCK_MONOTONIC and read again when older than a second.
 */
#include <err.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "comm.h"
#include "fsinspect.h"

#define COMM_TTL_NS 1000000000ull

struct comm_node {
	uint32_t tid;
	pid_t tgid; /* 0: gone */
	uint64_t when;
	char name[17]; /* TASK_COMM_LEN 16 */
};

static void *comm_root;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_node(const void *a, const void *b)
{
	const struct comm_node *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* One small /proc file into @buf; its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static void fill(struct comm_node *n)
{
	char path[48], buf[2048], *p;

	n->when = now_ns();
	n->tgid = 0;
	snprintf(n->name, sizeof(n->name), "?");
	snprintf(path, sizeof(path), "/proc/%u/status", n->tid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	p = strstr(buf, "\nTgid:");
	n->tgid = p ? (pid_t)strtol(p + 6, NULL, 10) : 0;
	snprintf(path, sizeof(path), "/proc/%u/comm", n->tid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(n->name, sizeof(n->name), "%.16s", buf);
}

static struct comm_node *get(uint32_t tid)
{
	struct comm_node key = {.tid = tid}, *n, **slot;

	slot = tfind(&key, &comm_root, cmp_node);
	if (slot) {
		n = *slot;
		if (now_ns() - n->when > COMM_TTL_NS)
			fill(n);
		return n;
	}
	n = fsi_xcalloc(1, sizeof(*n));
	n->tid = tid;
	fill(n);
	if (!tsearch(n, &comm_root, cmp_node))
		errx(FSI_EXIT_FATAL, "cannot allocate memory");
	return n;
}

const char *comm_name(uint32_t tid)
{
	return get(tid)->name;
}

pid_t comm_tgid(uint32_t tid)
{
	return get(tid)->tgid;
}

void comm_free(void)
{
	tdestroy(comm_root, free);
	comm_root = NULL;
}
