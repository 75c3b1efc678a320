// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-itab.c - unit tests of the inode table (fs/itab.c): lookup and
 * open counting, the reclaim verdicts of forget, release and unlinked,
 * clamping of bad forgets, growth of the hash table, itab_each and
 * itab_count.
 *
 * No store and no FUSE: itab is plain integers.  Log lines (gfs_log() of
 * tap.c prints them on stdout) are captured where a test expects one.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itab.h"
#include "tap.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static char captured[4096];
static FILE *cap_file;
static int cap_saved = -1;

/* Sends stdout, where tap.c's gfs_log() writes, to a temporary file. */
static void capture_begin(void)
{
	fflush(stdout);
	cap_file = tmpfile();
	if (!cap_file) {
		tap_fail(__FILE__, __LINE__, "tmpfile failed");
		return;
	}
	cap_saved = dup(STDOUT_FILENO);
	dup2(fileno(cap_file), STDOUT_FILENO);
}

/* Restores stdout and returns what was printed meanwhile. */
static const char *capture_end(void)
{
	size_t n = 0;

	captured[0] = '\0';
	if (!cap_file)
		return captured;
	fflush(stdout);
	dup2(cap_saved, STDOUT_FILENO);
	close(cap_saved);
	rewind(cap_file);
	n = fread(captured, 1, sizeof(captured) - 1, cap_file);
	captured[n] = '\0';
	fclose(cap_file);
	cap_file = NULL;
	return captured;
}

/* What itab_each() reported for one inode. */
struct seen {
	uint64_t ino, nlookup;
	uint32_t nopen;
	struct itab_counters c;
	int visits;
};

struct seen_set {
	struct seen one; /* the inode asked for */
	uint64_t want;
	uint64_t total; /* nodes visited */
};

static void collect(void *ctx, uint64_t ino, uint64_t nlookup, uint32_t nopen,
		    const struct itab_counters *c)
{
	struct seen_set *ss = ctx;

	ss->total++;
	if (ino != ss->want)
		return;
	ss->one.ino = ino;
	ss->one.nlookup = nlookup;
	ss->one.nopen = nopen;
	ss->one.c = *c;
	ss->one.visits++;
}

/* The node of @ino as itab_each() shows it; visits 0 when absent. */
static struct seen node_of(struct itab *t, uint64_t ino)
{
	struct seen_set ss = {.want = ino};

	itab_each(t, collect, &ss);
	CHECK_EQ(ss.total, itab_count(t));
	return ss.one;
}

/* ------------------------------------------------------------------ */
/* Counting and verdicts                                              */
/* ------------------------------------------------------------------ */

TEST(empty_table)
{
	struct itab t;

	CHECK_EQ(itab_init(&t), 0);
	CHECK_EQ(itab_count(&t), 0);
	CHECK_EQ(node_of(&t, 1).visits, 0);
	itab_destroy(&t);
}

TEST(ref_then_forget_keeps_linked_inode)
{
	struct itab t;
	struct seen n;

	itab_init(&t);
	CHECK_EQ(itab_ref(&t, 5, 2), 0);
	CHECK_EQ(itab_ref(&t, 5, 1), 0);
	CHECK_EQ(itab_count(&t), 1);
	n = node_of(&t, 5);
	CHECK_EQ(n.visits, 1);
	CHECK_EQ(n.nlookup, 3);
	CHECK_EQ(n.nopen, 0);
	CHECK(!itab_forget(&t, 5, 2));
	CHECK_EQ(node_of(&t, 5).nlookup, 1);
	CHECK_EQ(itab_count(&t), 1);
	CHECK(!itab_forget(&t, 5, 1));
	CHECK_EQ(itab_count(&t), 0);
	CHECK_EQ(node_of(&t, 5).visits, 0);
	itab_destroy(&t);
}

TEST(unlinked_while_looked_up)
{
	struct itab t;

	itab_init(&t);
	itab_ref(&t, 9, 2);
	CHECK(!itab_unlinked(&t, 9));
	CHECK_EQ(itab_count(&t), 1);
	CHECK(!itab_forget(&t, 9, 1));
	CHECK(itab_forget(&t, 9, 1));
	CHECK_EQ(itab_count(&t), 0);
	itab_destroy(&t);
}

TEST(unlinked_while_nobody_holds_it)
{
	struct itab t;

	itab_init(&t);
	itab_ref(&t, 4, 1);
	CHECK(itab_unlinked(&t, 7));
	/* No node is made for an inode nobody holds. */
	CHECK_EQ(itab_count(&t), 1);
	CHECK_EQ(node_of(&t, 7).visits, 0);
	itab_destroy(&t);
}

TEST(unlinked_while_open)
{
	struct itab t;

	itab_init(&t);
	CHECK_EQ(itab_open(&t, 12), 0);
	CHECK_EQ(itab_open(&t, 12), 0);
	CHECK_EQ(node_of(&t, 12).nopen, 2);
	CHECK_EQ(node_of(&t, 12).nlookup, 0);
	CHECK(!itab_unlinked(&t, 12));
	CHECK(!itab_release(&t, 12));
	CHECK_EQ(itab_count(&t), 1);
	CHECK(itab_release(&t, 12));
	CHECK_EQ(itab_count(&t), 0);
	itab_destroy(&t);
}

TEST(lookup_and_open_forget_last)
{
	struct itab t;

	itab_init(&t);
	itab_ref(&t, 3, 1);
	itab_open(&t, 3);
	CHECK(!itab_unlinked(&t, 3));
	CHECK(!itab_release(&t, 3));
	CHECK_EQ(itab_count(&t), 1);
	CHECK(itab_forget(&t, 3, 1));
	CHECK_EQ(itab_count(&t), 0);
	itab_destroy(&t);
}

TEST(lookup_and_open_release_last)
{
	struct itab t;

	itab_init(&t);
	itab_ref(&t, 3, 1);
	itab_open(&t, 3);
	CHECK(!itab_unlinked(&t, 3));
	CHECK(!itab_forget(&t, 3, 1));
	CHECK_EQ(itab_count(&t), 1);
	CHECK_EQ(node_of(&t, 3).nopen, 1);
	CHECK(itab_release(&t, 3));
	CHECK_EQ(itab_count(&t), 0);
	itab_destroy(&t);
}

TEST(never_unlinked_never_reclaimed)
{
	struct itab t;

	itab_init(&t);
	itab_ref(&t, 8, 1);
	itab_open(&t, 8);
	CHECK(!itab_release(&t, 8));
	CHECK(!itab_forget(&t, 8, 1));
	CHECK_EQ(itab_count(&t), 0);
	itab_open(&t, 8);
	CHECK(!itab_release(&t, 8));
	CHECK_EQ(itab_count(&t), 0);
	itab_destroy(&t);
}

/* The unlinked mark belongs to the node: once the node is gone, a new
 * reference (a new link found by lookup) starts clean. */
TEST(unlinked_mark_ends_with_node)
{
	struct itab t;

	itab_init(&t);
	itab_ref(&t, 6, 1);
	itab_unlinked(&t, 6);
	CHECK(itab_forget(&t, 6, 1));
	itab_ref(&t, 6, 1);
	CHECK(!itab_forget(&t, 6, 1));
	itab_destroy(&t);
}

TEST(ref_after_unlinked_delays_reclaim)
{
	struct itab t;

	itab_init(&t);
	itab_ref(&t, 6, 1);
	itab_unlinked(&t, 6);
	itab_ref(&t, 6, 1);
	CHECK(!itab_forget(&t, 6, 1));
	CHECK(itab_forget(&t, 6, 1));
	itab_destroy(&t);
}

/* ------------------------------------------------------------------ */
/* Disagreements with the kernel: clamped and logged                  */
/* ------------------------------------------------------------------ */

TEST(forget_more_than_held)
{
	struct itab t;
	const char *log;
	bool r;

	itab_init(&t);
	itab_ref(&t, 5, 2);
	capture_begin();
	r = itab_forget(&t, 5, 5);
	log = capture_end();
	CHECK(!r);
	CHECK(strstr(log, "forget 5 of inode 5, which has 2") != NULL);
	CHECK_EQ(itab_count(&t), 0);
	itab_destroy(&t);
}

TEST(forget_more_than_held_unlinked)
{
	struct itab t;
	bool r;

	itab_init(&t);
	itab_ref(&t, 5, 2);
	itab_unlinked(&t, 5);
	capture_begin();
	r = itab_forget(&t, 5, 3);
	capture_end();
	CHECK(r);
	CHECK_EQ(itab_count(&t), 0);
	itab_destroy(&t);
}

TEST(forget_more_than_held_while_open)
{
	struct itab t;
	const char *log;
	struct seen n;

	itab_init(&t);
	itab_ref(&t, 5, 1);
	itab_open(&t, 5);
	itab_unlinked(&t, 5);
	capture_begin();
	CHECK(!itab_forget(&t, 5, 4));
	log = capture_end();
	CHECK(strstr(log, "forget 4 of inode 5, which has 1") != NULL);
	n = node_of(&t, 5);
	CHECK_EQ(n.visits, 1);
	CHECK_EQ(n.nlookup, 0);
	CHECK_EQ(n.nopen, 1);
	CHECK(itab_release(&t, 5));
	CHECK_EQ(itab_count(&t), 0);
	itab_destroy(&t);
}

TEST(forget_unknown_inode)
{
	struct itab t;
	const char *log;

	itab_init(&t);
	itab_ref(&t, 2, 1);
	capture_begin();
	CHECK(!itab_forget(&t, 77, 1));
	log = capture_end();
	CHECK(strstr(log, "forget 1 of inode 77, which has 0") != NULL);
	CHECK_EQ(itab_count(&t), 1);
	CHECK_EQ(node_of(&t, 77).visits, 0);
	itab_destroy(&t);
}

TEST(release_not_open)
{
	struct itab t;
	const char *log;

	itab_init(&t);
	itab_ref(&t, 2, 1);
	capture_begin();
	CHECK(!itab_release(&t, 2));
	CHECK(!itab_release(&t, 99));
	log = capture_end();
	CHECK(strstr(log, "release of inode 2, which is not open") != NULL);
	CHECK(strstr(log, "release of inode 99, which is not open") != NULL);
	CHECK_EQ(itab_count(&t), 1);
	CHECK_EQ(node_of(&t, 2).nlookup, 1);
	CHECK_EQ(node_of(&t, 99).visits, 0);
	itab_destroy(&t);
}

/* ------------------------------------------------------------------ */
/* Counters, iteration, growth                                        */
/* ------------------------------------------------------------------ */

TEST(account_counts_known_inodes_only)
{
	struct itab t;
	struct seen n;

	itab_init(&t);
	itab_open(&t, 21);
	itab_account(&t, 21, true, 100);
	itab_account(&t, 21, true, 50);
	itab_account(&t, 21, false, 4096);
	itab_account(&t, 22, true, 1);
	n = node_of(&t, 21);
	CHECK_EQ(n.c.writes, 2);
	CHECK_EQ(n.c.write_bytes, 150);
	CHECK_EQ(n.c.reads, 1);
	CHECK_EQ(n.c.read_bytes, 4096);
	CHECK_EQ(itab_count(&t), 1);
	CHECK_EQ(node_of(&t, 22).visits, 0);
	itab_destroy(&t);
}

#define MANY 100000

struct census {
	uint64_t visits, bad, sum;
	unsigned char *hit; /* one byte per inode 2..MANY+1 */
};

static uint64_t many_lookups(uint64_t ino)
{
	return ino % 7 + 1;
}

static void count_many(void *ctx, uint64_t ino, uint64_t nlookup,
		       uint32_t nopen, const struct itab_counters *c)
{
	struct census *cs = ctx;

	cs->visits++;
	if (ino < 2 || ino > MANY + 1 || cs->hit[ino - 2]++ ||
	    nlookup != many_lookups(ino) || nopen != (ino % 3 == 0))
		cs->bad++;
	cs->sum += ino;
}

static void fill_many(struct itab *t)
{
	for (uint64_t ino = 2; ino < MANY + 2; ino++) {
		if (itab_ref(t, ino, many_lookups(ino)))
			CHECK(!"itab_ref failed");
		if (ino % 3 == 0 && itab_open(t, ino))
			CHECK(!"itab_open failed");
	}
}

TEST(growth_beyond_initial_buckets)
{
	struct census cs = {0};
	struct itab t;
	uint64_t reclaims = 0;

	itab_init(&t);
	cs.hit = calloc(MANY, 1);
	fill_many(&t);
	CHECK_EQ(itab_count(&t), MANY);
	CHECK(t.nbuckets >= MANY);
	CHECK_EQ(t.nbuckets & (t.nbuckets - 1), 0);
	itab_each(&t, count_many, &cs);
	CHECK_EQ(cs.visits, MANY);
	CHECK_EQ(cs.bad, 0);
	CHECK_EQ(cs.sum, (uint64_t)MANY * (MANY + 3) / 2);
	for (uint64_t ino = 2; ino < MANY + 2; ino++) {
		if (ino % 2)
			itab_unlinked(&t, ino);
		reclaims += itab_forget(&t, ino, many_lookups(ino));
		if (ino % 3 == 0)
			reclaims += itab_release(&t, ino);
	}
	/* The odd inodes were unlinked: exactly they are reclaimed. */
	CHECK_EQ(reclaims, MANY / 2);
	CHECK_EQ(itab_count(&t), 0);
	free(cs.hit);
	itab_destroy(&t);
}

/* Two threads on disjoint inodes: the lock keeps the count exact. */
static void *churn(void *arg)
{
	struct itab *t = ((void **)arg)[0];
	uint64_t base = (uint64_t)(uintptr_t)((void **)arg)[1];

	for (uint64_t i = 0; i < 20000; i++) {
		itab_ref(t, base + i % 500, 1);
		itab_open(t, base + i % 500);
		itab_release(t, base + i % 500);
		itab_forget(t, base + i % 500, 1);
	}
	return NULL;
}

TEST(threads_keep_counts_exact)
{
	struct itab t;
	pthread_t th[2];
	void *args[2][2];

	itab_init(&t);
	for (int i = 0; i < 2; i++) {
		args[i][0] = &t;
		args[i][1] = (void *)(uintptr_t)(1000 + i * 1000);
		pthread_create(&th[i], NULL, churn, args[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(itab_count(&t), 0);
	itab_destroy(&t);
}

int main(void)
{
	RUN(empty_table);
	RUN(ref_then_forget_keeps_linked_inode);
	RUN(unlinked_while_looked_up);
	RUN(unlinked_while_nobody_holds_it);
	RUN(unlinked_while_open);
	RUN(lookup_and_open_forget_last);
	RUN(lookup_and_open_release_last);
	RUN(never_unlinked_never_reclaimed);
	RUN(unlinked_mark_ends_with_node);
	RUN(ref_after_unlinked_delays_reclaim);
	RUN(forget_more_than_held);
	RUN(forget_more_than_held_unlinked);
	RUN(forget_more_than_held_while_open);
	RUN(forget_unknown_inode);
	RUN(release_not_open);
	RUN(account_counts_known_inodes_only);
	RUN(growth_beyond_initial_buckets);
	RUN(threads_keep_counts_exact);
	return tap_done();
}
