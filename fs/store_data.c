// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * store_data.c - file data in the store: chunked reads and writes,
 * truncation, fallocate, SEEK_DATA/SEEK_HOLE and copy_file_range.
 *
 * Layer: store.  A file of size S is chunks (ino, idx) holding bytes
 * [idx * C, idx * C + length) for chunk size C.  Invariants:
 *   1. a chunk's length is at most C, and no chunk holds a byte at or
 *      beyond S (so growing a file exposes zeros, never old data);
 *   2. bytes without a chunk, or past a short chunk's end, read as zeros;
 *   3. inodes.alloc is the sum of the inode's chunk lengths.
 * A write that covers a chunk from its start to at least its old length
 * replaces it without reading it; any other write reads, merges in
 * s->scratch and writes the chunk back.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

/* copy_file_range moves data through a buffer of this size. */
#define COPY_PIECE (1u << 20)

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Loads chunk @idx into s->scratch; *len is -1 when there is none. */
static int chunk_load(struct store *s, uint64_t ino, uint64_t idx,
		      int64_t *len)
{
	sqlite3_stmt *q = stmt(s, STMT_CHUNK_GET);
	int rc;

	sqlite3_bind_int64(q, 1, (int64_t)ino);
	sqlite3_bind_int64(q, 2, (int64_t)idx);
	rc = sqlite3_step(q);
	*len = -1;
	if (rc == SQLITE_ROW) {
		int n = sqlite3_column_bytes(q, 0);

		if ((uint32_t)n > s->chunk_size) {
			gfs_log(GFS_LOG_ERR, "store: chunk %llu of inode %llu "
				"is %d bytes, more than the chunk size",
				(unsigned long long)idx,
				(unsigned long long)ino, n);
			n = (int)s->chunk_size;
		}
		memcpy(s->scratch, sqlite3_column_blob(q, 0), (size_t)n);
		*len = n;
	}
	sqlite3_reset(q);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	return store_err(s, rc, "read chunk");
}

/*
 * Stores chunk @idx: @id is STMT_CHUNK_ADD for a chunk known not to exist,
 * STMT_CHUNK_SET for one known to exist.  An UPDATE that keeps the length
 * lets SQLite overwrite the record in place, writing only the pages whose
 * bytes differ: a 4 KiB write into a 64 KiB chunk dirties one page, where
 * a replace frees and allocates the overflow page and rewrites the leaf.
 */
static int chunk_store(struct store *s, enum stmt_id id, uint64_t ino,
		       uint64_t idx, const void *data, size_t len)
{
	sqlite3_stmt *q = stmt(s, id);

	sqlite3_bind_int64(q, 1, (int64_t)ino);
	sqlite3_bind_int64(q, 2, (int64_t)idx);
	sqlite3_bind_blob(q, 3, len ? data : "", (int)len, SQLITE_STATIC);
	return run(s, q, "write chunk");
}

/*
 * Adds chunk @idx if there is none: *added says whether it did (a chunk
 * that exists is left as it was).  One b-tree seek where a look for it
 * then a write take two; each seek of the chunks table copies the whole
 * record of every cell it compares with when the record overflows its
 * page (SQLite's index b-trees, which WITHOUT ROWID tables are), so for
 * 64 KiB chunks the seek, not the write, is the cost (perf: 8 % of the
 * daemon's time writing a new file went to the extra seek).
 */
static int chunk_add(struct store *s, uint64_t ino, uint64_t idx,
		     const void *data, size_t len, bool *added)
{
	sqlite3_stmt *q = stmt(s, STMT_CHUNK_ADD);
	int rc;

	sqlite3_bind_int64(q, 1, (int64_t)ino);
	sqlite3_bind_int64(q, 2, (int64_t)idx);
	sqlite3_bind_blob(q, 3, len ? data : "", (int)len, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	*added = rc == SQLITE_DONE;
	if (rc == SQLITE_DONE || (rc & 0xff) == SQLITE_CONSTRAINT)
		return 0;
	return store_err(s, rc, "add chunk");
}

/* Deletes chunks [first, last]; *freed gets their total length. */
static int chunks_delete(struct store *s, uint64_t ino, uint64_t first,
			 uint64_t last, uint64_t *freed)
{
	sqlite3_stmt *q = stmt(s, STMT_CHUNK_BYTES);
	int rc;

	if (first > last)
		return 0;
	sqlite3_bind_int64(q, 1, (int64_t)ino);
	sqlite3_bind_int64(q, 2, (int64_t)first);
	sqlite3_bind_int64(q, 3, (int64_t)min64(last, INT64_MAX));
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*freed += (uint64_t)sqlite3_column_double(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return store_err(s, rc, "count chunks");
	q = stmt(s, STMT_CHUNK_DELETE);
	sqlite3_bind_int64(q, 1, (int64_t)ino);
	sqlite3_bind_int64(q, 2, (int64_t)first);
	sqlite3_bind_int64(q, 3, (int64_t)min64(last, INT64_MAX));
	return run(s, q, "delete chunks");
}

/*
 * Writes @n bytes at @coff of chunk @idx of @r.  When @src is NULL the
 * bytes are zeros and the chunk is only grown to coff + n (fallocate).
 */
static int chunk_write(struct store *s, struct inode_rec *r, uint64_t idx,
		       uint32_t coff, const void *src, uint32_t n)
{
	uint32_t end = coff + n, newlen;
	bool added, existed;
	int64_t old;
	int err;

	/* A whole chunk, or one at or past the end of the file, is new
	 * more often than not: files are written whole far more often than
	 * rewritten in place chunk by chunk, and the kernel's write-back
	 * sends a file's pages out of order, so "past the end" alone misses
	 * most.  Try to add it; an existing one costs one seek more. */
	if (src && coff == 0 &&
	    (n == s->chunk_size || idx * s->chunk_size >= r->size)) {
		err = chunk_add(s, r->ino, idx, src, end, &added);
		if (err || added) {
			if (!err)
				r->alloc += end;
			return err;
		}
	}
	/* One seek to read it (a seek costs more than copying the bytes
	 * a replace would not have needed), one to write it back. */
	err = chunk_load(s, r->ino, idx, &old);
	if (err)
		return err;
	existed = old >= 0;
	if (old < 0)
		old = 0;
	newlen = end > old ? end : (uint32_t)old;
	if (!src && newlen == old)
		return 0;
	if (coff > old)
		memset(s->scratch + old, 0, coff - (uint32_t)old);
	if (src)
		memcpy(s->scratch + coff, src, n);
	else if (end > old)
		memset(s->scratch + old, 0, end - (uint32_t)old);
	err = chunk_store(s, existed ? STMT_CHUNK_SET : STMT_CHUNK_ADD, r->ino,
			  idx, s->scratch, newlen);
	if (!err)
		r->alloc += newlen - (uint64_t)old;
	return err;
}

/* Zeros [a, b) of chunk @idx; drops the chunk if nothing else is left. */
static int chunk_zero(struct store *s, struct inode_rec *r, uint64_t idx,
		      uint32_t a, uint32_t b)
{
	int64_t len;
	uint64_t freed = 0;
	uint32_t i;
	int err;

	err = chunk_load(s, r->ino, idx, &len);
	if (err || len <= a)
		return err;
	if (b > len)
		b = (uint32_t)len;
	memset(s->scratch + a, 0, b - a);
	for (i = 0; i < len && !s->scratch[i]; i++)
		;
	if (i == len) {
		err = chunks_delete(s, r->ino, idx, idx, &freed);
		r->alloc -= freed;
		return err;
	}
	return chunk_store(s, STMT_CHUNK_SET, r->ino, idx, s->scratch,
			   (size_t)len);
}

static int regular(const struct inode_rec *r)
{
	if (S_ISDIR(r->mode))
		return -EISDIR;
	return S_ISREG(r->mode) ? 0 : -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Read and write                                                     */
/* ------------------------------------------------------------------ */

/* Reads [off, off + size) of @r, clipped to its size, with @q, the
 * CHUNK_RANGE statement of the connection @r was loaded on.  Returns
 * SQLITE_DONE or SQLite's error. */
static int do_read(sqlite3_stmt *q, uint64_t cs, const struct inode_rec *r,
		   uint64_t off, size_t size, unsigned char *buf, size_t *got)
{
	uint64_t end, pos = off;
	int rc;

	*got = 0;
	if (off >= r->size || !size)
		return SQLITE_DONE;
	end = min64(off + size, r->size);
	sqlite3_bind_int64(q, 1, (int64_t)r->ino);
	sqlite3_bind_int64(q, 2, (int64_t)(off / cs));
	sqlite3_bind_int64(q, 3, (int64_t)((end - 1) / cs));
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint64_t cstart = (uint64_t)sqlite3_column_int64(q, 0) * cs;
		uint64_t len = (uint64_t)sqlite3_column_bytes(q, 1);
		uint64_t a = cstart > off ? cstart : off;
		uint64_t b = min64(end, cstart + min64(len, cs));

		if (a < pos)
			continue;
		memset(buf + (pos - off), 0, a - pos);
		if (b > a)
			memcpy(buf + (a - off),
			       (const unsigned char *)sqlite3_column_blob(q, 1) +
				       (a - cstart),
			       b - a);
		pos = b > a ? b : a;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return rc;
	memset(buf + (pos - off), 0, end - pos);
	*got = end - off;
	return SQLITE_DONE;
}

/* do_read() on s->db.  Lock held. */
static int read_locked(struct store *s, const struct inode_rec *r,
		       uint64_t off, size_t size, unsigned char *buf,
		       size_t *got)
{
	int rc = do_read(stmt(s, STMT_CHUNK_RANGE), s->chunk_size, r, off,
			 size, buf, got);

	return rc == SQLITE_DONE ? 0 : store_err(s, rc, "read");
}

/* ------------------------------------------------------------------ */
/* Readers: reads of committed data, off s->db                        */
/* ------------------------------------------------------------------ */

static int reader_open(struct store *s, struct store_reader *rd)
{
	static const char *const sql[RQ_COUNT] = {
#define X(id, text) [RQ_##id] = text,
		READER_STMTS(X)
#undef X
	};
	int rc;

	rc = sqlite3_open_v2(s->path, &rd->db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(rd->db, 100);
		/* The kernel's page cache holds the store's pages; this
		 * connection's own cache needs the b-tree's upper levels. */
		rc = sqlite3_exec(rd->db, "PRAGMA cache_size = -2048", NULL,
				  NULL, NULL);
	}
	for (int i = 0; rc == SQLITE_OK && i < RQ_COUNT; i++)
		rc = sqlite3_prepare_v3(rd->db, sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &rd->q[i],
					NULL);
	if (rc == SQLITE_OK)
		return 0;
	gfs_log(GFS_LOG_WARNING, "store: a read-only connection to '%s': %s;"
		" reads use the main one", s->path,
		rd->db ? sqlite3_errmsg(rd->db) : sqlite3_errstr(rc));
	for (int i = 0; i < RQ_COUNT; i++) {
		sqlite3_finalize(rd->q[i]);
		rd->q[i] = NULL;
	}
	sqlite3_close(rd->db);
	rd->db = NULL;
	rd->broken = true;
	return -EIO;
}

/* A free reader, locked, or NULL when all are busy or there are none. */
static struct store_reader *reader_take(struct store *s)
{
	for (unsigned i = 0; i < s->nreaders; i++) {
		struct store_reader *rd = &s->readers[i];

		if (pthread_mutex_trylock(&rd->lock))
			continue;
		if (!rd->broken && (rd->db || !reader_open(s, rd)))
			return rd;
		pthread_mutex_unlock(&rd->lock);
	}
	return NULL;
}

/*
 * Reads @ino as last committed, in one read transaction (size and chunks
 * of one moment), if the open batch has not changed it: its committed
 * state is then its state.  Linearizable: every change to @ino answered
 * before the look at the batch was committed before it, and a reader sees
 * commits whole and in order.  -EAGAIN: not served here, for any reason
 * (changed, not a regular file, an SQLite error); s->db answers instead.
 */
static int read_committed(struct store *s, struct store_reader *rd,
			  uint64_t ino, uint64_t off, size_t size, void *buf,
			  size_t *got)
{
	sqlite3_stmt *q = rd->q[RQ_INODE_GET];
	struct inode_rec r;
	int rc;

	/* Empty but while a batch is open: committed or lost, it is
	 * cleared. */
	if (inoset_has(&s->batch_inos, ino))
		return -EAGAIN;
	rc = sqlite3_step(rd->q[RQ_BEGIN]);
	sqlite3_reset(rd->q[RQ_BEGIN]);
	if (rc != SQLITE_DONE)
		return -EAGAIN;
	sqlite3_bind_int64(q, 1, (int64_t)ino);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		rec_from_row(q, 0, &r);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW && S_ISREG(r.mode))
		rc = do_read(rd->q[RQ_CHUNK_RANGE], s->chunk_size, &r, off,
			     size, buf, got);
	else
		rc = SQLITE_NOTFOUND;
	/* A read transaction left open would hold the WAL from being
	 * checkpointed past it, and refuse the next BEGIN. */
	if (sqlite3_step(rd->q[RQ_END]) != SQLITE_DONE) {
		sqlite3_step(rd->q[RQ_ABORT]);
		sqlite3_reset(rd->q[RQ_ABORT]);
	}
	sqlite3_reset(rd->q[RQ_END]);
	return rc == SQLITE_DONE ? 0 : -EAGAIN;
}

int store_read(struct store *s, uint64_t ino, uint64_t off, size_t size,
	       void *buf, size_t *got)
{
	struct store_reader *rd = reader_take(s);
	struct inode_rec r;
	int err;

	if (rd) {
		err = read_committed(s, rd, ino, off, size, buf, got);
		pthread_mutex_unlock(&rd->lock);
		if (!err) {
			__atomic_add_fetch(&s->committed_reads, 1,
					   __ATOMIC_RELAXED);
			return 0;
		}
	}
	store_lock(s);
	err = inode_load(s, ino, &r);
	if (!err)
		err = regular(&r);
	if (!err)
		err = read_locked(s, &r, off, size, buf, got);
	store_unlock(s);
	return err;
}

/* Writes into @r and updates its size and times (not saved).  Lock held
 * in a batch. */
static int do_write(struct store *s, struct inode_rec *r, uint64_t off,
		    const unsigned char *buf, size_t len, bool touch,
		    size_t *done)
{
	uint64_t cs = s->chunk_size, pos = off, end;
	int err = 0;

	*done = 0;
	if (off >= (uint64_t)GFS_MAX_FILESIZE)
		return len ? -EFBIG : 0;
	end = min64(off + len, (uint64_t)GFS_MAX_FILESIZE);
	while (pos < end && !err) {
		uint32_t coff = (uint32_t)(pos % cs);
		uint32_t n = (uint32_t)min64(cs - coff, end - pos);

		err = chunk_write(s, r, pos / cs, coff, buf + (pos - off), n);
		pos += n;
	}
	if (err)
		return err;
	*done = end - off;
	if (end > r->size)
		r->size = end;
	if (touch)
		r->mtime = r->ctime = store_now();
	s->batch_bytes += *done;
	return 0;
}

static int write_one(struct store *s, uint64_t ino, uint64_t off,
		     const void *buf, size_t len, bool touch, size_t *done)
{
	struct inode_rec r;
	int err;

	err = inode_load(s, ino, &r);
	if (!err)
		err = regular(&r);
	if (!err)
		err = do_write(s, &r, off, buf, len, touch, done);
	return err ? err : inode_save(s, &r);
}

int store_write(struct store *s, uint64_t ino, uint64_t off,
		const void *buf, size_t len, bool touch, size_t *done)
{
	int err;

	*done = 0;
	err = wop_begin(s, (int64_t)len);
	if (err)
		return err;
	return wop_end(s, write_one(s, ino, off, buf, len, touch, done));
}

/* ------------------------------------------------------------------ */
/* Size and space                                                     */
/* ------------------------------------------------------------------ */

int data_truncate(struct store *s, struct inode_rec *r, uint64_t size)
{
	uint64_t cs = s->chunk_size, freed = 0;
	uint32_t keep = (uint32_t)(size % cs);
	int64_t len;
	int err;

	if (size < r->size) {
		err = chunks_delete(s, r->ino, (size + cs - 1) / cs, INT64_MAX,
				    &freed);
		r->alloc -= freed;
		if (err)
			return err;
		if (keep) {
			err = chunk_load(s, r->ino, size / cs, &len);
			if (err)
				return err;
			if (len > keep) {
				err = chunk_store(s, STMT_CHUNK_SET, r->ino,
						  size / cs, s->scratch, keep);
				if (err)
					return err;
				r->alloc -= (uint64_t)len - keep;
			}
		}
	}
	r->size = size;
	return 0;
}

/* Materializes [off, end) as chunks, zeros where nothing was. */
static int reserve(struct store *s, struct inode_rec *r, uint64_t off,
		   uint64_t end)
{
	uint64_t cs = s->chunk_size;
	int err = 0;

	for (uint64_t pos = off; pos < end && !err;) {
		uint32_t coff = (uint32_t)(pos % cs);
		uint32_t n = (uint32_t)min64(cs - coff, end - pos);

		err = chunk_write(s, r, pos / cs, coff, NULL, n);
		pos += n;
	}
	return err;
}

/* Punches [off, end): partial chunks are zeroed (and dropped when nothing
 * but zeros is left), whole chunks deleted. */
static int punch(struct store *s, struct inode_rec *r, uint64_t off,
		 uint64_t end)
{
	uint64_t cs = s->chunk_size, first, last, freed = 0;
	uint32_t head, tail;
	int err = 0;

	end = min64(end, r->size);
	if (off >= end)
		return 0;
	first = off / cs;
	last = (end - 1) / cs;
	head = (uint32_t)(off % cs);
	tail = (uint32_t)(end % cs);
	if (first == last && (head || tail))
		return chunk_zero(s, r, first, head, tail ? tail : (uint32_t)cs);
	if (head)
		err = chunk_zero(s, r, first++, head, (uint32_t)cs);
	if (!err && tail)
		err = chunk_zero(s, r, last--, 0, tail);
	if (err || first > last)
		return err;
	err = chunks_delete(s, r->ino, first, last, &freed);
	r->alloc -= freed;
	return err;
}

static int do_fallocate(struct store *s, uint64_t ino, int mode,
			uint64_t off, uint64_t len)
{
	struct inode_rec r;
	uint64_t end = off + len;
	int64_t now = store_now();
	int err;

	err = inode_load(s, ino, &r);
	if (!err)
		err = regular(&r);
	if (err)
		return err;
	if (end > (uint64_t)GFS_MAX_FILESIZE)
		return -EFBIG;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		err = punch(s, &r, off, end);
		r.mtime = now;
	} else if (mode & FALLOC_FL_KEEP_SIZE) {
		/* Chunks never extend past the size (invariant 1): space
		 * past it is not reserved. */
		err = reserve(s, &r, off, min64(end, r.size));
	} else {
		err = reserve(s, &r, off, end);
		if (end > r.size) {
			r.size = end;
			r.mtime = now;
		}
	}
	if (err)
		return err;
	r.ctime = now;
	return inode_save(s, &r);
}

int store_fallocate(struct store *s, uint64_t ino, int mode, uint64_t off,
		    uint64_t len)
{
	int err;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (!len)
		return -EINVAL;
	if (off > (uint64_t)GFS_MAX_FILESIZE || len > (uint64_t)GFS_MAX_FILESIZE)
		return -EFBIG;
	/* Reserving writes zeros for the whole range: it needs the room. */
	err = wop_begin(s, mode & FALLOC_FL_PUNCH_HOLE ? WOP_FREES
						       : (int64_t)len);
	if (err)
		return err;
	return wop_end(s, do_fallocate(s, ino, mode, off, len));
}

/* ------------------------------------------------------------------ */
/* Holes and copies                                                   */
/* ------------------------------------------------------------------ */

/* Data and holes at chunk granularity: a chunk is data, even where it is
 * short or holds zeros (allowed by lseek(2): holes may be reported as
 * data). */
static int do_lseek(struct store *s, const struct inode_rec *r, uint64_t off,
		    int whence, uint64_t *pos)
{
	uint64_t cs = s->chunk_size, want = off / cs;
	sqlite3_stmt *q = stmt(s, STMT_CHUNK_IDX_FROM);
	bool found = false;
	int rc;

	if (off >= r->size)
		return -ENXIO;
	sqlite3_bind_int64(q, 1, (int64_t)r->ino);
	sqlite3_bind_int64(q, 2, (int64_t)want);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint64_t idx = (uint64_t)sqlite3_column_int64(q, 0);

		if (whence == SEEK_DATA) {
			want = idx;
			found = true;
			break;
		}
		if (idx != want)
			break;
		want++;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(s, rc, "lseek");
	if (whence == SEEK_DATA && !found)
		return -ENXIO;
	*pos = want * cs > off ? want * cs : off;
	if (whence == SEEK_HOLE && *pos > r->size)
		*pos = r->size;
	return whence == SEEK_DATA && *pos >= r->size ? -ENXIO : 0;
}

int store_lseek(struct store *s, uint64_t ino, uint64_t off, int whence,
		uint64_t *pos)
{
	struct inode_rec r;
	int err;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	store_lock(s);
	err = inode_load(s, ino, &r);
	if (!err)
		err = regular(&r);
	if (!err)
		err = do_lseek(s, &r, off, whence, pos);
	store_unlock(s);
	return err;
}

static int do_copy(struct store *s, uint64_t src, uint64_t soff,
		   uint64_t dst, uint64_t doff, size_t len, bool touch,
		   unsigned char *buf, size_t *copied)
{
	struct inode_rec rs, rd;
	size_t got, done;
	int err;

	err = inode_load(s, src, &rs);
	if (!err)
		err = regular(&rs);
	if (!err)
		err = inode_load(s, dst, &rd);
	if (!err)
		err = regular(&rd);
	if (err)
		return err;
	if (src == dst && soff < doff + len && doff < soff + len)
		return -EINVAL;
	len = (size_t)min64(len, soff < rs.size ? rs.size - soff : 0);
	while (*copied < len) {
		size_t n = (size_t)min64(len - *copied, COPY_PIECE);

		err = read_locked(s, &rs, soff + *copied, n, buf, &got);
		if (!err && got)
			err = do_write(s, &rd, doff + *copied, buf, got, touch,
				       &done);
		if (err == -EFBIG && *copied)
			err = 0; /* a short copy up to the size limit */
		if (err || !got)
			break;
		*copied += done;
		if (done < got)
			break;
		if (src == dst)
			rs = rd;
	}
	return err ? err : inode_save(s, &rd);
}

int store_copy(struct store *s, uint64_t src, uint64_t soff, uint64_t dst,
	       uint64_t doff, size_t len, bool touch, size_t *copied)
{
	unsigned char *buf = malloc(COPY_PIECE);
	int err;

	*copied = 0;
	if (!buf)
		return -ENOMEM;
	err = wop_begin(s, (int64_t)len);
	if (!err)
		err = wop_end(s, do_copy(s, src, soff, dst, doff, len, touch,
					 buf, copied));
	free(buf);
	if (err)
		*copied = 0;
	return err;
}
