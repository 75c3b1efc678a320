// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sqlite-ceiling.c - raw SQLite blob throughput with glassfs's store
 * settings: the ceiling glassfs's sequential write and cold read are
 * measured against (tests/bench/run).
 *
 * Layer: a benchmark tool.  It links SQLite only, no glassfs code: the
 * settings below are copied by value from fs/store.c (page size, WAL,
 * synchronous=NORMAL, the WITHOUT ROWID chunk table, the chunk size, the
 * group commit policy of commit_ms or 64 MiB, whichever comes first, and
 * one fdatasync of the WAL for the final fsync), so a change of defaults
 * there must be repeated here.  It does nothing glassfs has to do on top
 * (inode rows, FUSE, the page cache): that is the point of a ceiling.
 *
 *   sqlite-ceiling write [options] DB SIZE   fill a new DB with SIZE bytes
 *   sqlite-ceiling read [options] DB         read every chunk back, in order
 *
 * Each prints one line of JSON with bytes, seconds and bytes_per_sec.  The
 * caller drops the page cache before a cold read; SQLite's own cache is
 * always cold, since every run is a new process.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#define INO 2 /* the first file of a glassfs store (1 is the root) */

/* The same SQL as fs/store.c and fs/store_sql.h. */
static const char schema[] = "CREATE TABLE chunks ("
			     " ino INTEGER NOT NULL,"
			     " idx INTEGER NOT NULL,"
			     " data BLOB NOT NULL,"
			     " PRIMARY KEY (ino, idx)) WITHOUT ROWID;";
static const char put_sql[] =
	"INSERT OR REPLACE INTO chunks (ino, idx, data) VALUES (?1, ?2, ?3)";
static const char scan_sql[] =
	"SELECT data FROM chunks WHERE ino = ?1 ORDER BY idx";

struct ceiling {
	const char *db_path;
	uint64_t size; /* bytes to write */
	uint32_t page_size;
	uint32_t chunk_size;
	uint32_t commit_ms;
	uint64_t commit_bytes;
	uint32_t cache_mib;
	sqlite3 *db;
	uint64_t commits;
};

static void usage(void)
{
	printf("usage: sqlite-ceiling write [options] DB SIZE\n"
	       "       sqlite-ceiling read [options] DB\n"
	       "\n"
	       "Raw SQLite blob throughput with glassfs's store settings: "
	       "write creates\n"
	       "DB (which must not exist) and fills one file's chunks with "
	       "SIZE bytes\n"
	       "(suffixes K, M, G), in group commits, then syncs the WAL "
	       "once; read\n"
	       "scans the chunks back in order.  Prints one line of JSON.\n"
	       "\n"
	       "options:\n"
	       "  -p, --page-size BYTES     SQLite page size of a new DB "
	       "(65536)\n"
	       "  -c, --chunk-size BYTES    blob size (65536)\n"
	       "  -m, --commit-ms MS        commit a transaction this old "
	       "(100)\n"
	       "  -b, --commit-bytes BYTES  or holding this much (64M)\n"
	       "  -C, --cache-mib MIB       SQLite page cache (64)\n"
	       "  -h, --help                print this help\n"
	       "  -V, --version             print the version\n");
}

static void usage_hint(void)
{
	fputs("Try 'sqlite-ceiling --help' for more information.\n", stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "64M" -> 67108864; 0 on a malformed number. */
static uint64_t parse_size(const char *arg)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg)
		return 0;
	switch (*end) {
	case 'G':
	case 'g':
		v <<= 10;
		/* fall through */
	case 'M':
	case 'm':
		v <<= 10;
		/* fall through */
	case 'K':
	case 'k':
		v <<= 10;
		end++;
		break;
	}
	return *end ? 0 : v;
}

static void exec_sql(struct ceiling *c, const char *sql)
{
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		errx(1, "cannot run '%s' on '%s': %s", sql, c->db_path,
		     sqlite3_errmsg(c->db));
}

/* PRAGMA @name = @v: pragmas take no bound parameters. */
static void exec_pragma(struct ceiling *c, const char *name, int64_t v)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "PRAGMA %s = %" PRId64, name, v);
	exec_sql(c, sql);
}

static void open_db(struct ceiling *c, int flags)
{
	if (sqlite3_open_v2(c->db_path, &c->db, flags | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		errx(1, "cannot open '%s': %s", c->db_path,
		     c->db ? sqlite3_errmsg(c->db) : "out of memory");
	exec_pragma(c, "cache_size", -(int64_t)c->cache_mib * 1024);
	exec_sql(c, "PRAGMA temp_store = MEMORY");
	exec_sql(c, "PRAGMA synchronous = NORMAL");
}

/* fsync(2) on glassfs is one fdatasync of the WAL (fs/store.c). */
static void sync_wal(struct ceiling *c)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s-wal", c->db_path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) /* checkpointed and truncated away */
			return;
		err(1, "cannot open '%s'", path);
	}
	if (fdatasync(fd) < 0)
		err(1, "cannot sync '%s'", path);
	close(fd);
}

static void create_db(struct ceiling *c)
{
	if (access(c->db_path, F_OK) == 0)
		errx(1, "cannot create '%s': it exists", c->db_path);
	open_db(c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	exec_pragma(c, "page_size", c->page_size);
	exec_sql(c, "PRAGMA journal_mode = WAL");
	exec_sql(c, "PRAGMA journal_size_limit = 67108864");
	exec_sql(c, schema);
}

static void fill(unsigned char *buf, size_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
}

static void put_chunk(struct ceiling *c, sqlite3_stmt *q, uint64_t idx,
		      const void *data, uint32_t len)
{
	sqlite3_bind_int64(q, 1, INO);
	sqlite3_bind_int64(q, 2, (int64_t)idx);
	sqlite3_bind_blob(q, 3, data, (int)len, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		errx(1, "cannot write chunk %" PRIu64 " to '%s': %s", idx,
		     c->db_path, sqlite3_errmsg(c->db));
	sqlite3_reset(q);
}

static void commit(struct ceiling *c)
{
	exec_sql(c, "COMMIT");
	c->commits++;
}

/* The timed part of write: group commits, then the final sync. */
static void write_chunks(struct ceiling *c, sqlite3_stmt *q, unsigned char *buf)
{
	uint64_t idx, done = 0, batch = 0;
	double start = 0;

	for (idx = 0; done < c->size; idx++) {
		uint32_t len = c->size - done < c->chunk_size
				       ? (uint32_t)(c->size - done)
				       : c->chunk_size;

		if (!batch) {
			exec_sql(c, "BEGIN");
			start = now();
		}
		memcpy(buf, &idx, sizeof(idx)); /* no two chunks alike */
		put_chunk(c, q, idx, buf, len);
		done += len;
		batch += len;
		if (batch >= c->commit_bytes ||
		    (now() - start) * 1000 >= c->commit_ms) {
			commit(c);
			batch = 0;
		}
	}
	if (batch)
		commit(c);
	sync_wal(c);
}

static void do_write(struct ceiling *c)
{
	unsigned char *buf = malloc(c->chunk_size);
	sqlite3_stmt *q;
	double t0, t1;

	if (!buf)
		errx(1, "cannot allocate memory");
	fill(buf, c->chunk_size);
	create_db(c);
	if (sqlite3_prepare_v2(c->db, put_sql, -1, &q, NULL) != SQLITE_OK)
		errx(1, "cannot prepare on '%s': %s", c->db_path,
		     sqlite3_errmsg(c->db));
	t0 = now();
	write_chunks(c, q, buf);
	t1 = now();
	sqlite3_finalize(q);
	/* Closing checkpoints the WAL into the database: not timed, as
	 * glassfs does it in the background. */
	sqlite3_close(c->db);
	free(buf);
	printf("{\"op\":\"write\",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,"
	       "\"bytes_per_sec\":%.0f,\"commits\":%" PRIu64
	       ",\"page_size\":%u,\"chunk_size\":%u,\"commit_ms\":%u,"
	       "\"commit_bytes\":%" PRIu64 "}\n",
	       c->size, t1 - t0, (double)c->size / (t1 - t0), c->commits,
	       c->page_size, c->chunk_size, c->commit_ms, c->commit_bytes);
}

/* Reads every chunk into @buf, as a read(2) would copy it out. */
static uint64_t scan_chunks(struct ceiling *c, sqlite3_stmt *q,
			    unsigned char *buf, unsigned *sum)
{
	uint64_t bytes = 0;
	int rc;

	sqlite3_bind_int64(q, 1, INO);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int n = sqlite3_column_bytes(q, 0);

		if (n > (int)c->chunk_size)
			n = (int)c->chunk_size;
		memcpy(buf, sqlite3_column_blob(q, 0), (size_t)n);
		*sum += buf[n ? n - 1 : 0];
		bytes += (uint64_t)n;
	}
	if (rc != SQLITE_DONE)
		errx(1, "cannot read chunks of '%s': %s", c->db_path,
		     sqlite3_errmsg(c->db));
	return bytes;
}

static void do_read(struct ceiling *c)
{
	unsigned char *buf = malloc(1u << 20);
	unsigned sum = 0;
	sqlite3_stmt *q;
	uint64_t bytes;
	double t0, t1;

	if (!buf)
		errx(1, "cannot allocate memory");
	if (c->chunk_size > 1u << 20)
		c->chunk_size = 1u << 20;
	t0 = now();
	open_db(c, SQLITE_OPEN_READWRITE);
	if (sqlite3_prepare_v2(c->db, scan_sql, -1, &q, NULL) != SQLITE_OK)
		errx(1, "cannot prepare on '%s': %s", c->db_path,
		     sqlite3_errmsg(c->db));
	bytes = scan_chunks(c, q, buf, &sum);
	t1 = now();
	sqlite3_finalize(q);
	sqlite3_close(c->db);
	free(buf);
	if (!bytes)
		errx(1, "no chunks in '%s'", c->db_path);
	printf("{\"op\":\"read\",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,"
	       "\"bytes_per_sec\":%.0f,\"checksum\":%u}\n",
	       bytes, t1 - t0, (double)bytes / (t1 - t0), sum);
}

static uint64_t size_arg(const char *what, const char *arg)
{
	uint64_t v = parse_size(arg);

	if (!v) {
		warnx("invalid %s '%s'", what, arg);
		usage_hint();
	}
	return v;
}

static void check_pow2(const char *what, uint64_t v, uint64_t lo, uint64_t hi)
{
	if (v < lo || v > hi || (v & (v - 1)))
		errx(1,
		     "invalid %s %" PRIu64 ": not a power of two from %" PRIu64
		     " to %" PRIu64,
		     what, v, lo, hi);
}

static void parse_options(struct ceiling *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"page-size", required_argument, NULL, 'p'},
		{"chunk-size", required_argument, NULL, 'c'},
		{"commit-ms", required_argument, NULL, 'm'},
		{"commit-bytes", required_argument, NULL, 'b'},
		{"cache-mib", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "p:c:m:b:C:hV", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'p':
			c->page_size = (uint32_t)size_arg("page size", optarg);
			break;
		case 'c':
			c->chunk_size =
				(uint32_t)size_arg("chunk size", optarg);
			break;
		case 'm':
			c->commit_ms = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			c->commit_bytes = size_arg("commit size", optarg);
			break;
		case 'C':
			c->cache_mib = (uint32_t)size_arg("cache", optarg);
			break;
		case 'h':
			usage();
			exit(0);
		case 'V':
			printf("sqlite-ceiling from glassfs %s, SQLite %s\n",
			       GLASSFS_VERSION, sqlite3_libversion());
			exit(0);
		default:
			usage_hint();
		}
	}
	check_pow2("page size", c->page_size, 512, 65536);
	check_pow2("chunk size", c->chunk_size, 4096, 1u << 20);
}

int main(int argc, char **argv)
{
	struct ceiling c = {
		.page_size = 65536,
		.chunk_size = 65536,
		.commit_ms = 100,
		.commit_bytes = 64u << 20,
		.cache_mib = 64,
	};
	const char *cmd;

	parse_options(&c, argc, argv);
	if (optind >= argc)
		usage_hint();
	cmd = argv[optind++];
	if (!strcmp(cmd, "write") && argc - optind == 2) {
		c.db_path = argv[optind];
		c.size = size_arg("size", argv[optind + 1]);
		do_write(&c);
	} else if (!strcmp(cmd, "read") && argc - optind == 1) {
		c.db_path = argv[optind];
		do_read(&c);
	} else {
		usage_hint();
	}
	return 0;
}
