// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * term.c - see term.h.  The terminal's state is saved before anything is
 * changed; term_stop() puts it back and is registered with atexit(3), so
 * that an errx() on the way out still leaves a usable terminal.  Signals
 * that end the program are the caller's to catch (they set a flag and
 * the main loop returns normally, through term_stop()).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"

static struct termios saved;
static bool saved_ok, active;

int term_start(void)
{
	struct termios raw;

	if (!isatty(STDOUT_FILENO))
		return -ENOTTY;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		saved_ok = true;
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	/* Alternate screen, hidden cursor. */
	fputs("\033[?1049h\033[?25l", stdout);
	fflush(stdout);
	if (!active)
		atexit(term_stop);
	active = true;
	return 0;
}

void term_stop(void)
{
	if (!active)
		return;
	active = false;
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (saved_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

void term_size(int *rows, int *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row &&
	    ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

void term_begin_frame(void)
{
	fputs("\033[H", stdout);
}

void term_end_line(void)
{
	fputs("\033[K\n", stdout);
}

void term_end_frame(void)
{
	fputs("\033[J", stdout);
	fflush(stdout);
}

bool term_quit_key(void)
{
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
	char buf[32];
	ssize_t n;

	if (!saved_ok || poll(&p, 1, 0) <= 0)
		return false;
	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n <= 0)
		return false;
	return memchr(buf, 'q', (size_t)n) || memchr(buf, 'Q', (size_t)n) ||
	       memchr(buf, 4, (size_t)n);
}
