/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * term.h - a full-screen view on a terminal with plain ANSI escapes: the
 * alternate screen, a hidden cursor, keys read without echo, and the
 * terminal given back as it was however the program ends.
 *
 * Layer: presentation.  No curses: the screen is redrawn whole each
 * frame, which needs only "home", "clear to end of line/screen".
 */
#ifndef FSI_TERM_H
#define FSI_TERM_H

#include <stdbool.h>

/* Takes over stdout's terminal; restored by term_stop() or at exit.
 * 0, or -ENOTTY when stdout is not a terminal. */
int term_start(void);
void term_stop(void);

/* The terminal's size (24x80 when it will not say). */
void term_size(int *rows, int *cols);

/* Starts a frame: cursor home.  term_end_line() clears the rest of a
 * line before its newline, term_end_frame() the rest of the screen. */
void term_begin_frame(void);
void term_end_line(void);
void term_end_frame(void);

/* Whether 'q' (or Ctrl-D) was typed since the last call. */
bool term_quit_key(void);

#endif
