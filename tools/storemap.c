// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * storemap.c - see storemap.h.
 *
 * Layer: measurement of the store.  The on-disk formats read here are
 * SQLite's documented file format (https://www.sqlite.org/fileformat2.html):
 * big-endian page headers, cell pointer arrays, varints, record headers
 * with serial types, overflow chains whose pages start with the next page
 * number, and the WAL's 32-byte header and 24-byte frame headers.  Only
 * index b-tree pages (flags 0x02 interior, 0x0a leaf) are expected: table
 * chunks is WITHOUT ROWID, so every row, interior cells included, is a
 * record (ino, idx, data).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fsinspect.h"
#include "storemap.h"

#define WAL_HDR 32
#define WAL_FRAME_HDR 24
#define MAX_DEPTH 32

/* ------------------------------------------------------------------ */
/* Files read without leaving a trace in the page cache               */

struct smfile {
	int fd;
	uint64_t size;
	uint64_t npages;     /* system pages */
	unsigned char *snap; /* mincore before anything was read */
};

static int smf_open(const char *path, struct smfile *f)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (f->fd < 0 && errno == EPERM)
		f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	if (fstat(f->fd, &st) < 0) {
		int err = -errno;

		close(f->fd);
		f->fd = -1;
		return err;
	}
	f->size = (uint64_t)st.st_size;
	f->npages = fsi_pages(f->size);
	f->snap = fsi_xcalloc(f->npages + 1, 1);
	/* Our reads are scattered: no readahead around them. */
	posix_fadvise(f->fd, 0, 0, POSIX_FADV_RANDOM);
	return 0;
}

/* The residency of every page (mincore of a mapping never touched). */
static int residency_of(const struct smfile *f, unsigned char *vec)
{
	void *map;
	int err = 0;

	if (!f->size)
		return 0;
	map = mmap(NULL, f->size, PROT_READ, MAP_SHARED, f->fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	if (mincore(map, f->size, vec) < 0)
		err = -errno;
	munmap(map, f->size);
	return err;
}

static int smf_read(struct smfile *f, uint64_t off, void *buf, size_t len)
{
	ssize_t n;

	if (off >= f->size || len > f->size - off)
		return -EPROTO;
	n = pread(f->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EPROTO;
}

/* A clean page: dropping it starts no write-back. */
static bool clean(const struct smfile *f, uint64_t p)
{
	struct pc_stat st;
	enum pc_source src;

	return pc_measure(f->fd, p, 1, &st, &src) == 0 && st.dirty == 0 &&
	       st.writeback == 0;
}

/*
 * Drop the clean pages cached now that were not before: those SQLite's
 * open, our reads (and the readahead of SQLite's) brought in.  Returns
 * their number.  A page another process read meanwhile is dropped too:
 * it is read again when needed.
 */
static uint64_t smf_restore(struct smfile *f)
{
	unsigned char *now;
	uint64_t p, n = 0;

	if (f->fd < 0 || !f->npages)
		return 0;
	now = fsi_xcalloc(f->npages, 1);
	if (residency_of(f, now) == 0)
		for (p = 0; p < f->npages; p++) {
			if (!(now[p] & 1) || (f->snap[p] & 1) || !clean(f, p))
				continue;
			posix_fadvise(f->fd, (off_t)(p * fsi_page_size),
				      (off_t)fsi_page_size,
				      POSIX_FADV_DONTNEED);
			n++;
		}
	free(now);
	return n;
}

static void smf_close(struct smfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->snap);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

/* ------------------------------------------------------------------ */
/* What SQLite tells: page size and the root of table chunks          */

/* "file:" URI of @path, with the characters a URI path may not hold
 * percent-encoded. */
static char *store_uri(const char *path)
{
	char *uri = fsi_xcalloc(strlen(path) * 3 + 16, 1), *p = uri;

	p += sprintf(p, "file:");
	for (; *path; path++) {
		unsigned char c = (unsigned char)*path;

		if (c <= ' ' || c >= 0x7f || c == '%' || c == '?' || c == '#')
			p += sprintf(p, "%%%02X", c);
		else
			*p++ = (char)c;
	}
	strcpy(p, "?mode=ro");
	return uri;
}

static int query_u64(sqlite3 *db, const char *sql, uint64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

/* Our descriptors stay open until SQLite's connection is closed: closing
 * a descriptor of the store while the connection holds POSIX locks would
 * drop them. */
static int schema_info(const char *store, uint64_t *page_size, uint64_t *root,
		       char *why, size_t whylen)
{
	char *uri = store_uri(store);
	sqlite3 *db = NULL;
	int rc, err = 0;

	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
			     NULL);
	free(uri);
	if (rc == SQLITE_OK)
		err = query_u64(db, "PRAGMA page_size", page_size);
	if (rc == SQLITE_OK && !err)
		err = query_u64(db,
				"SELECT rootpage FROM sqlite_schema "
				"WHERE type = 'table' AND name = 'chunks'",
				root);
	if (rc != SQLITE_OK || err)
		snprintf(why, whylen,
			 "cannot read the schema of store '%s': %s", store,
			 err == -ENOENT ? "no table chunks"
					: sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc != SQLITE_OK ? -EIO : err;
}

/* ------------------------------------------------------------------ */
/* The WAL: which frame holds the current copy of a page              */

struct walframe {
	uint32_t pgno;
	uint64_t frame;
};

struct walk {
	struct smfile db, wal;
	uint64_t ps, usable, ino;
	struct walframe *frames; /* valid frames, sorted by (pgno, frame) */
	size_t nframes;
	unsigned char *page; /* one page buffer */
	struct sm_result *r;
	size_t cap;
	char *why;
	size_t whylen;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int cmp_frame(const void *a, const void *b)
{
	const struct walframe *x = a, *y = b;

	if (x->pgno != y->pgno)
		return x->pgno < y->pgno ? -1 : 1;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

static uint64_t frame_off(const struct walk *w, uint64_t k)
{
	return WAL_HDR + k * (w->ps + WAL_FRAME_HDR);
}

/* Frames up to the last commit whose salts match the header: those a
 * reader starting now would use. */
static int wal_load(struct walk *w)
{
	unsigned char h[WAL_HDR], fh[WAL_FRAME_HDR];
	uint64_t k, last_commit = 0;
	int err;

	if (w->wal.fd < 0 || w->wal.size < WAL_HDR)
		return 0;
	err = smf_read(&w->wal, 0, h, sizeof(h));
	if (err)
		return err;
	if ((be32(h) & ~1u) != 0x377f0682 || be32(h + 8) != w->ps)
		return 0; /* not (yet) a WAL of this page size: unused */
	w->frames = fsi_xcalloc(w->wal.size / (w->ps + WAL_FRAME_HDR) + 1,
				sizeof(*w->frames));
	for (k = 0; frame_off(w, k + 1) <= w->wal.size; k++) {
		if (smf_read(&w->wal, frame_off(w, k), fh, sizeof(fh)) ||
		    memcmp(fh + 8, h + 16, 8))
			break;
		w->frames[k].pgno = be32(fh);
		w->frames[k].frame = k;
		if (be32(fh + 4))
			last_commit = k + 1;
	}
	w->nframes = last_commit;
	w->r->wal_frames = last_commit;
	qsort(w->frames, w->nframes, sizeof(*w->frames), cmp_frame);
	return 0;
}

/* The WAL frame of @pgno's current copy, or -1. */
static int64_t wal_find(const struct walk *w, uint64_t pgno)
{
	size_t a = 0, b = w->nframes;

	while (a < b) {
		size_t m = (a + b) / 2;

		if (w->frames[m].pgno <= pgno)
			a = m + 1;
		else
			b = m;
	}
	if (a == 0 || w->frames[a - 1].pgno != pgno)
		return -1;
	return (int64_t)w->frames[a - 1].frame;
}

/* Where the current copy of @pgno is. */
static void locate(const struct walk *w, uint64_t pgno, struct sm_page *p)
{
	int64_t k = wal_find(w, pgno);

	p->pgno = pgno;
	p->wal = k >= 0;
	p->off = k >= 0 ? frame_off(w, (uint64_t)k) + WAL_FRAME_HDR
			: (pgno - 1) * w->ps;
}

static int read_page(struct walk *w, uint64_t pgno, void *buf, size_t len)
{
	struct sm_page p;

	locate(w, pgno, &p);
	return smf_read(p.wal ? &w->wal : &w->db, p.off, buf, len);
}

/* ------------------------------------------------------------------ */
/* The b-tree                                                         */

static void add_page(struct walk *w, uint64_t pgno, bool overflow)
{
	struct sm_result *r = w->r;
	size_t i;

	for (i = r->npages; i > 0; i--)
		if (r->pages[i - 1].pgno == pgno)
			return;
	if (r->npages == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		r->pages = fsi_xrealloc(r->pages, w->cap, sizeof(*r->pages));
	}
	locate(w, pgno, &r->pages[r->npages]);
	r->pages[r->npages].overflow = overflow;
	r->nwal += r->pages[r->npages].wal;
	r->npages++;
}

/* A varint at @p (at most 9 bytes before @end): its length, 0 if cut. */
static size_t varint(const unsigned char *p, const unsigned char *end,
		     uint64_t *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < 9 && p + i < end; i++) {
		if (i == 8) {
			*v = *v << 8 | p[i];
			return 9;
		}
		*v = *v << 7 | (p[i] & 0x7f);
		if (!(p[i] & 0x80))
			return i + 1;
	}
	return 0;
}

/* The integer of serial type @st at @p; -1 for a type that is not one. */
static int int_value(uint64_t st, const unsigned char *p,
		     const unsigned char *end, int64_t *v)
{
	static const int sizes[] = {0, 1, 2, 3, 4, 6, 8};
	int n, i;

	if (st == 8 || st == 9) {
		*v = (int64_t)st - 8;
		return 0;
	}
	if (st < 1 || st > 6)
		return -1;
	n = sizes[st];
	if (p + n > end)
		return -1;
	*v = (signed char)p[0];
	for (i = 1; i < n; i++)
		*v = (int64_t)((uint64_t)*v << 8 | p[i]);
	return 0;
}

struct cell {
	int64_t ino;
	uint64_t bytes;	   /* of the data column */
	uint64_t payload;  /* record size */
	uint64_t local;	   /* bytes on the b-tree page */
	uint32_t overflow; /* first overflow page, 0 if none */
};

/* Local payload size of an index b-tree cell (file format, 1.6). */
static uint64_t local_size(const struct walk *w, uint64_t payload)
{
	uint64_t x = (w->usable - 12) * 64 / 255 - 23;
	uint64_t m = (w->usable - 12) * 32 / 255 - 23;
	uint64_t k = m + (payload - m) % (w->usable - 4);

	if (payload <= x)
		return payload;
	return k <= x ? k : m;
}

/* The record header: ino and the data column's size. */
static int parse_record(const unsigned char *p, const unsigned char *end,
			struct cell *c)
{
	uint64_t hlen, st[3];
	const unsigned char *h, *body;
	size_t n;
	int i;

	n = varint(p, end, &hlen);
	if (!n || hlen > (uint64_t)(end - p))
		return -EPROTO;
	h = p + n;
	body = p + hlen;
	for (i = 0; i < 3; i++) {
		n = varint(h, body, &st[i]);
		if (!n)
			return -EPROTO;
		h += n;
	}
	if (int_value(st[0], body, end, &c->ino))
		return -EPROTO;
	c->bytes = st[2] >= 12 ? (st[2] - 12) / 2 : 0;
	return 0;
}

static int parse_cell(const struct walk *w, const unsigned char *cp,
		      struct cell *c)
{
	const unsigned char *end = w->page + w->ps;
	size_t n = varint(cp, end, &c->payload);

	if (!n)
		return -EPROTO;
	cp += n;
	c->local = local_size(w, c->payload);
	if (cp + c->local + (c->local < c->payload ? 4 : 0) > end)
		return -EPROTO;
	c->overflow = c->local < c->payload ? be32(cp + c->local) : 0;
	return parse_record(cp, cp + c->local, c);
}

/* Follow the overflow chain of a cell of the inode. */
static int follow_overflow(struct walk *w, const struct cell *c)
{
	uint64_t left = c->payload - c->local, guard = 0;
	uint32_t pg = c->overflow;
	unsigned char next[4];
	int err;

	while (pg && left) {
		if (++guard > (w->db.size + w->wal.size) / w->ps + 1)
			return -EPROTO; /* a loop: the store changed */
		add_page(w, pg, true);
		if (left <= w->usable - 4)
			break;
		left -= w->usable - 4;
		err = read_page(w, pg, next, sizeof(next));
		if (err)
			return err;
		pg = be32(next);
	}
	return 0;
}

static int walk_page(struct walk *w, uint64_t pgno, int depth);

static int match_cell(struct walk *w, uint64_t pgno, const struct cell *c)
{
	if (c->ino != (int64_t)w->ino)
		return 0;
	add_page(w, pgno, false);
	w->r->chunks++;
	w->r->bytes += c->bytes;
	return follow_overflow(w, c);
}

/* One page's cells, parsed out of the shared buffer before recursing. */
struct pagecells {
	unsigned flags, n;
	uint32_t right;
	uint32_t *child;
	struct cell *cell;
};

static int parse_page(struct walk *w, uint64_t pgno, struct pagecells *pc)
{
	const unsigned char *h = w->page + (pgno == 1 ? 100 : 0);
	unsigned i, hsize;
	int err = 0;

	pc->flags = h[0];
	if (pc->flags != 0x02 && pc->flags != 0x0a) {
		snprintf(w->why, w->whylen,
			 "page %" PRIu64 " of table chunks "
			 "is not an index b-tree page (flags 0x%02x)",
			 pgno, pc->flags);
		return -EPROTO;
	}
	pc->n = be16(h + 3);
	hsize = pc->flags == 0x02 ? 12 : 8;
	pc->right = pc->flags == 0x02 ? be32(h + 8) : 0;
	pc->child = fsi_xcalloc(pc->n + 1, sizeof(*pc->child));
	pc->cell = fsi_xcalloc(pc->n + 1, sizeof(*pc->cell));
	for (i = 0; i < pc->n && !err; i++) {
		unsigned off = be16(h + hsize + 2 * i);
		const unsigned char *cp = w->page + off;

		if (off + 4 >= w->ps)
			return -EPROTO;
		if (pc->flags == 0x02) {
			pc->child[i] = be32(cp);
			cp += 4;
		}
		err = parse_cell(w, cp, &pc->cell[i]);
	}
	return err;
}

/* Visit only the children whose key range can hold the inode. */
static int descend(struct walk *w, uint64_t pgno, const struct pagecells *pc,
		   int depth)
{
	int64_t ino = (int64_t)w->ino;
	unsigned i;
	int err = 0;

	for (i = 0; i < pc->n && !err; i++) {
		bool lo_ok = i == 0 || pc->cell[i - 1].ino <= ino;

		if (pc->flags == 0x02 && lo_ok && pc->cell[i].ino >= ino)
			err = walk_page(w, pc->child[i], depth + 1);
		if (!err)
			err = match_cell(w, pgno, &pc->cell[i]);
	}
	if (!err && pc->flags == 0x02 &&
	    (pc->n == 0 || pc->cell[pc->n - 1].ino <= ino))
		err = walk_page(w, pc->right, depth + 1);
	return err;
}

static int walk_page(struct walk *w, uint64_t pgno, int depth)
{
	struct pagecells pc = {.n = 0};
	int err;

	if (depth > MAX_DEPTH || pgno == 0)
		return -EPROTO;
	err = read_page(w, pgno, w->page, w->ps);
	if (!err)
		err = parse_page(w, pgno, &pc);
	if (!err)
		err = descend(w, pgno, &pc, depth);
	free(pc.child);
	free(pc.cell);
	return err;
}

/* ------------------------------------------------------------------ */
/* Residency of what was found                                        */

static void count_range(struct smfile *f, uint64_t off, uint64_t len,
			struct sm_res *res)
{
	uint64_t p, first = off / fsi_page_size;
	uint64_t last = (off + len - 1) / fsi_page_size;
	struct pc_stat st;
	enum pc_source src;

	for (p = first; p <= last; p++) {
		res->span++;
		res->cached += p < f->npages && (f->snap[p] & 1);
	}
	if (res->dirty == FSI_UNKNOWN)
		return;
	if (pc_measure(f->fd, first, last - first + 1, &st, &src) == 0 &&
	    st.dirty != FSI_UNKNOWN)
		res->dirty += st.dirty;
	else
		res->dirty = FSI_UNKNOWN;
}

static void residency(struct walk *w)
{
	struct sm_result *r = w->r;
	size_t i;

	for (i = 0; i < r->npages; i++) {
		const struct sm_page *p = &r->pages[i];

		count_range(p->wal ? &w->wal : &w->db, p->off, w->ps,
			    p->wal ? &r->wal : &r->db);
	}
}

static void totals(struct walk *w)
{
	enum pc_source src;

	w->r->db_size = w->db.size;
	w->r->wal_size = w->wal.fd >= 0 ? w->wal.size : 0;
	if (pc_measure(w->db.fd, 0, 0, &w->r->db_total, &src) < 0)
		memset(&w->r->db_total, 0xff, sizeof(w->r->db_total));
	memset(&w->r->wal_total, 0, sizeof(w->r->wal_total));
	if (w->wal.fd >= 0 &&
	    pc_measure(w->wal.fd, 0, 0, &w->r->wal_total, &src) < 0)
		memset(&w->r->wal_total, 0xff, sizeof(w->r->wal_total));
}

static int open_files(struct walk *w, const char *store)
{
	char wal[PATH_MAX + 8];
	int err;

	w->wal.fd = -1;
	err = smf_open(store, &w->db);
	if (err) {
		snprintf(w->why, w->whylen, "cannot open store '%s': %s", store,
			 strerror(-err));
		return err;
	}
	snprintf(wal, sizeof(wal), "%s-wal", store);
	if (smf_open(wal, &w->wal) < 0)
		w->wal.fd = -1; /* no WAL: every page is in the store */
	err = residency_of(&w->db, w->db.snap);
	if (!err && w->wal.fd >= 0)
		err = residency_of(&w->wal, w->wal.snap);
	if (err)
		snprintf(w->why, w->whylen,
			 "cannot read the page cache state "
			 "of store '%s': %s",
			 store, strerror(-err));
	return err;
}

static int usable_size(struct walk *w)
{
	unsigned char h[100];
	int err = read_page(w, 1, h, sizeof(h));

	if (err)
		return err;
	if (h[20] >= w->ps)
		return -EPROTO;
	w->usable = w->ps - h[20];
	return 0;
}

int sm_measure(const char *store, uint64_t ino, struct sm_result *r, char *why,
	       size_t whylen)
{
	struct walk w = {.r = r, .ino = ino, .why = why, .whylen = whylen};
	uint64_t root = 0;
	int err;

	memset(r, 0, sizeof(*r));
	why[0] = '\0';
	/* Residency first: SQLite's open reads (and reads ahead). */
	err = open_files(&w, store);
	if (!err)
		totals(&w);
	if (!err)
		err = schema_info(store, &w.ps, &root, why, whylen);
	r->page_size = w.ps;
	if (!err && (w.ps < 512 || w.ps > 65536 || (w.ps & (w.ps - 1))))
		err = -EPROTO;
	if (!err) {
		w.page = fsi_xcalloc(w.ps, 1);
		err = wal_load(&w);
	}
	if (!err)
		err = usable_size(&w);
	if (!err)
		err = walk_page(&w, root, 0);
	if (err && !why[0])
		snprintf(why, whylen,
			 "cannot walk table chunks of store '%s': "
			 "%s",
			 store,
			 err == -EPROTO ? "unexpected page "
					  "contents (changed while read?)"
					: strerror(-err));
	r->dropped = smf_restore(&w.db) + smf_restore(&w.wal);
	if (!err)
		residency(&w);
	free(w.page);
	free(w.frames);
	smf_close(&w.db);
	smf_close(&w.wal);
	return err;
}

void sm_free(struct sm_result *r)
{
	free(r->pages);
	memset(r, 0, sizeof(*r));
}
