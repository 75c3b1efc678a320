/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store_sql.h - every SQL statement the store runs on its hot paths.
 *
 * An X-macro: STORE_STMTS(X) expands X(ID, "SQL") once per statement; the
 * store prepares them all at open and binds parameters by position.  The
 * schema, its migrations and the few statements of the open-time checks
 * and of the change watcher are in store.c.  SQL is never
 * built at run time.  Included only by store*.c.
 *
 * Times are nanoseconds since the epoch; names and symlink targets are
 * BLOBs (any byte but NUL and '/').
 */
#ifndef GFS_STORE_SQL_H
#define GFS_STORE_SQL_H

#define INODE_COLS \
	"ino, mode, nlink, uid, gid, size, alloc, rdev, parent, " \
	"atime, mtime, ctime"

#define INODE_GET_SQL "SELECT " INODE_COLS " FROM inodes WHERE ino = ?1"
#define CHUNK_RANGE_SQL \
	"SELECT idx, data FROM chunks WHERE ino = ?1 AND idx BETWEEN ?2 AND ?3 " \
	"ORDER BY idx"

/* The statements of the read-only connections (store_data.c): one read
 * transaction per READ. */
#define READER_STMTS(X) \
	X(BEGIN, "BEGIN") \
	X(INODE_GET, INODE_GET_SQL) \
	X(CHUNK_RANGE, CHUNK_RANGE_SQL) \
	X(END, "COMMIT") \
	X(ABORT, "ROLLBACK")

#define STORE_STMTS(X) \
	X(BEGIN, "BEGIN IMMEDIATE") \
	X(COMMIT, "COMMIT") \
	X(ROLLBACK, "ROLLBACK") \
	X(CHANGELOG_TRIM, "DELETE FROM changelog WHERE seq <= ?1") \
	X(FREELIST, "PRAGMA freelist_count") \
	\
	X(INODE_GET, INODE_GET_SQL) \
	X(INODE_INSERT, "INSERT INTO inodes (" INODE_COLS ") " \
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)") \
	X(INODE_UPDATE, "UPDATE inodes SET mode = ?2, nlink = ?3, uid = ?4, " \
		"gid = ?5, size = ?6, alloc = ?7, rdev = ?8, parent = ?9, " \
		"atime = ?10, mtime = ?11, ctime = ?12 WHERE ino = ?1") \
	X(INODE_DELETE, "DELETE FROM inodes WHERE ino = ?1 AND nlink = 0") \
	X(INODE_MAX, "SELECT max(ino) FROM inodes") \
	X(INODE_COUNT, "SELECT count(*) FROM inodes") \
	X(INODE_ORPHANS, "SELECT ino FROM inodes WHERE nlink = 0") \
	\
	X(DIRENT_OF_INO, "SELECT parent, name FROM dirents WHERE ino = ?1 " \
		"LIMIT 1") \
	X(DIRENT_LOOKUP, "SELECT ino FROM dirents " \
		"WHERE parent = ?1 AND name = ?2") \
	X(DIRENT_INSERT, "INSERT INTO dirents (parent, name, ino) " \
		"VALUES (?1, ?2, ?3)") \
	X(DIRENT_DELETE, "DELETE FROM dirents WHERE parent = ?1 AND name = ?2") \
	X(DIRENT_MOVE, "UPDATE dirents SET parent = ?3, name = ?4 " \
		"WHERE parent = ?1 AND name = ?2") \
	X(DIRENT_SET_INO, "UPDATE dirents SET ino = ?3 " \
		"WHERE parent = ?1 AND name = ?2") \
	X(DIR_ANY, "SELECT 1 FROM dirents WHERE parent = ?1 LIMIT 1") \
	X(DIR_LIST, "SELECT d.id, d.name, i.ino, i.mode, i.nlink, i.uid, " \
		"i.gid, i.size, i.alloc, i.rdev, i.parent, i.atime, i.mtime, " \
		"i.ctime FROM dirents AS d JOIN inodes AS i ON i.ino = d.ino " \
		"WHERE d.parent = ?1 AND d.id > ?2 ORDER BY d.id") \
	\
	X(CHUNK_GET, "SELECT data FROM chunks WHERE ino = ?1 AND idx = ?2") \
	X(CHUNK_ADD, "INSERT INTO chunks (ino, idx, data) VALUES (?1, ?2, ?3)") \
	X(CHUNK_SET, "UPDATE chunks SET data = ?3 WHERE ino = ?1 AND idx = ?2") \
	X(CHUNK_RANGE, CHUNK_RANGE_SQL) \
	X(CHUNK_IDX_FROM, "SELECT idx FROM chunks " \
		"WHERE ino = ?1 AND idx >= ?2 ORDER BY idx") \
	X(CHUNK_BYTES, "SELECT total(length(data)) FROM chunks " \
		"WHERE ino = ?1 AND idx BETWEEN ?2 AND ?3") \
	X(CHUNK_DELETE, "DELETE FROM chunks " \
		"WHERE ino = ?1 AND idx BETWEEN ?2 AND ?3") \
	X(CHUNK_DELETE_ALL, "DELETE FROM chunks WHERE ino = ?1") \
	X(CHUNK_COUNT, "SELECT count(*) FROM chunks WHERE ino = ?1") \
	\
	X(SYMLINK_GET, "SELECT target FROM symlinks WHERE ino = ?1") \
	X(SYMLINK_INSERT, "INSERT INTO symlinks (ino, target) VALUES (?1, ?2)") \
	X(SYMLINK_DELETE, "DELETE FROM symlinks WHERE ino = ?1") \
	\
	X(XATTR_GET, "SELECT value FROM xattrs WHERE ino = ?1 AND name = ?2") \
	X(XATTR_INSERT, "INSERT INTO xattrs (ino, name, value) " \
		"VALUES (?1, ?2, ?3)") \
	X(XATTR_UPDATE, "UPDATE xattrs SET value = ?3 " \
		"WHERE ino = ?1 AND name = ?2") \
	X(XATTR_LIST, "SELECT name FROM xattrs WHERE ino = ?1 ORDER BY name") \
	X(XATTR_DELETE, "DELETE FROM xattrs WHERE ino = ?1 AND name = ?2") \
	X(XATTR_DELETE_ALL, "DELETE FROM xattrs WHERE ino = ?1")

#endif
