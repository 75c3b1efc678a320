// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - glassfs: argv -> options -> store -> session -> loop.
 *
 * Only wiring.  The order matters: the store is opened (and validated)
 * before the mount so that a bad store fails with a message and an exit
 * status, and after the fork into the background so that SQLite's locks
 * belong to the process that serves the mount (POSIX locks do not
 * survive fork).  The parent waits until the child has mounted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "check.h"
#include "control.h"
#include "fs.h"
#include "log.h"
#include "watch.h"

enum {
	EXIT_USAGE = 1,		/* bad command line */
	EXIT_STORE = 2,		/* the store was refused */
	EXIT_MOUNT = 3,		/* the mount failed */
	EXIT_RUNTIME = 4,	/* the session ended in error */
};

static int ready_fd = -1;

static void syslog_func(enum fuse_log_level level, const char *fmt,
			va_list ap)
{
	vsyslog((int)level, fmt, ap);
}

/* Forks; the parent exits with the child's verdict: 0 once it is ready,
 * its exit status if it dies first. */
static void daemon_start(void)
{
	int p[2], status;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		perror("glassfs: cannot fork");
		exit(EXIT_RUNTIME);
	}
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) == 1)
			_exit(0);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status) ? WEXITSTATUS(status)
						  : EXIT_RUNTIME);
		_exit(EXIT_RUNTIME);
	}
	close(p[0]);
	setsid();
	ready_fd = p[1];
}

static void daemon_ready(void)
{
	int fd;

	if (ready_fd < 0)
		return;
	openlog("glassfs", LOG_PID, LOG_DAEMON);
	fuse_set_log_func(syslog_func);
	if (chdir("/") < 0)
		perror("glassfs: chdir /");
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	if (write(ready_fd, "", 1) != 1)
		syslog(LOG_WARNING, "cannot signal the parent");
	close(ready_fd);
	ready_fd = -1;
}

/* Before the store is opened (or created): a mount on a non-directory
 * would succeed and leave a root the kernel marks bad. */
static int check_mountpoint(const char *mnt)
{
	struct stat st;

	if (stat(mnt, &st) < 0) {
		fprintf(stderr, "glassfs: cannot mount on '%s': %s\n", mnt,
			strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "glassfs: cannot mount on '%s': not a "
			"directory\n", mnt);
		return -1;
	}
	return 0;
}

static int open_store(struct gfs_opts *o, struct store **s)
{
	struct store_params p = {
		.path = o->store,
		.readonly = o->ro,
		.create = !o->ro,
		.chunk_size = o->chunk_size,
		.page_size = o->page_size,
		.cache_kib = (int64_t)(o->sqlite_cache_mib ? o->sqlite_cache_mib
							   : 64) * 1024,
		.commit_ms = o->commit_ms,
		.check = o->check ? STORE_CHECK_QUICK : STORE_CHECK_NONE,
		.root_uid = getuid(),
		.root_gid = getgid(),
		.root_mode = 0755,
	};
	char why[512];
	int err;

	err = store_open(&p, s, why, sizeof(why));
	if (err) {
		fprintf(stderr, "glassfs: cannot open store '%s': %s\n",
			o->store, why);
		return err;
	}
	if (store_created(*s))
		fprintf(stderr, "glassfs: created new store '%s'\n", o->store);
	return 0;
}

static int add_mount_opts(struct fuse_args *args, const char *store)
{
	char *fsname = NULL;
	int err;

	if (fuse_opt_add_opt_escaped(&fsname, store) < 0)
		return -1;
	err = fuse_opt_add_arg(args, "-odefault_permissions,subtype=glassfs");
	if (!err) {
		char *arg = malloc(strlen(fsname) + 10);

		err = -1;
		if (arg) {
			sprintf(arg, "-ofsname=%s", fsname);
			err = fuse_opt_add_arg(args, arg);
			free(arg);
		}
	}
	free(fsname);
	return err;
}

static int serve(struct fuse_session *se, const struct gfs_opts *o)
{
	struct fuse_loop_config *cfg;
	int ret;

	if (o->singlethread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, (unsigned)o->clone_fd);
	if (o->max_idle_threads && o->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads(cfg, o->max_idle_threads);
	/* fuse_parse_cmdline() leaves UINT_MAX when not given. */
	if (o->max_threads && o->max_threads != UINT_MAX)
		fuse_loop_cfg_set_max_threads(cfg, o->max_threads);
	ret = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return ret;
}

/* Mounts and serves until unmounted or signalled. */
static int run(struct gfs *g, struct fuse_args *args, struct gfs_opts *o)
{
	struct control *ctl = NULL;
	struct watch *watch = NULL;
	int ret = EXIT_MOUNT, err;

	g->se = fuse_session_new(args, &gfs_oper, sizeof(gfs_oper), g);
	if (!g->se)
		return EXIT_USAGE;
	if (fuse_set_signal_handlers(g->se) != 0)
		goto out_destroy;
	if (fuse_session_mount(g->se, o->mountpoint) != 0)
		goto out_signals;
	g->conn_err = control_conn(o->mountpoint, &g->conn);
	err = control_start(g, &ctl);
	if (err)
		gfs_log(GFS_LOG_WARNING, "no control socket or trace for "
			"'%s': %s", o->mountpoint, strerror(-err));
	err = store_start(g->store);
	if (!err)
		err = watch_start(g, &watch);
	if (err) {
		gfs_log(GFS_LOG_ERR, "cannot start the store's threads: %s",
			strerror(-err));
		goto out_unmount;
	}
	daemon_ready();
	/* The loop returns the signal that ended it (libfuse's handler
	 * stores it): SIGTERM, SIGINT and SIGHUP are a clean stop. */
	ret = serve(g->se, o);
	ret = ret == 0 || ret == SIGTERM || ret == SIGINT || ret == SIGHUP
		      ? 0
		      : EXIT_RUNTIME;
out_unmount:
	/* The watcher first: it uses the session and the trace. */
	watch_stop(watch);
	control_stop(ctl);
	fuse_session_unmount(g->se);
out_signals:
	fuse_remove_signal_handlers(g->se);
out_destroy:
	fuse_session_destroy(g->se);
	return ret;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct gfs g = { 0 };
	struct gfs_opts o;
	int ret;

	/*
	 * SQLite allocates and frees a page-size buffer (64 KiB) for most
	 * b-tree changes; with glibc's default trim threshold (128 KiB) each
	 * free gave the top of the heap back to the kernel and the next
	 * allocation faulted it in again: 400,000 page faults for 10,000
	 * creates, 4,000 once 32 MiB may stay (perf: a fifth of the daemon's
	 * time went to sysmalloc and the faults).  Memory stays bounded by
	 * SQLite's cache and this threshold.
	 */
	mallopt(M_TRIM_THRESHOLD, 32 << 20);
	store_library_init();

	if (argc > 1 && !strcmp(argv[1], "check"))
		return check_main(argc - 1, argv + 1);

	if (opts_parse(&args, &o) != 0) {
		fprintf(stderr, "Try 'glassfs --help' for more information.\n");
		ret = EXIT_USAGE;
		goto out_free;
	}
	if (o.show_help) {
		opts_usage(argv[0]);
		fuse_cmdline_help();
		fuse_lowlevel_help();
		ret = 0;
		goto out_free;
	}
	if (o.show_version) {
		printf("glassfs %s\nFUSE library %s\nSQLite %s\n",
		       GLASSFS_VERSION, fuse_pkgversion(), store_sqlite_version());
		ret = 0;
		goto out_free;
	}
	if (add_mount_opts(&args, o.store) != 0 || itab_init(&g.itab) != 0) {
		fprintf(stderr, "glassfs: out of memory\n");
		ret = EXIT_RUNTIME;
		goto out_free;
	}
	g.opts = &o;
	if (check_mountpoint(o.mountpoint)) {
		itab_destroy(&g.itab);
		ret = EXIT_MOUNT;
		goto out_free;
	}
	if (!o.foreground)
		daemon_start();
	ret = open_store(&o, &g.store) ? EXIT_STORE : run(&g, &args, &o);
	store_close(g.store);
	itab_destroy(&g.itab);
out_free:
	opts_free(&o);
	fuse_opt_free_args(&args);
	return ret;
}
