/*
 * dlp_fd.c - redact a stream (proxyd -R) in bounded memory.
 *
 * The input is read in windows.  Each window is scanned whole, but
 * only its text up to a cut point, OVERLAP bytes before its end, is
 * written; the rest is carried into the next window together with
 * LOOKBEHIND bytes of context.  The cut moves back to the start of any
 * match that crosses it (or of the label that announced it, as
 * "aws_secret_access_key=") and of a private key block whose END line
 * has not been read yet, so no match is split by a window boundary.
 * The buffer, which may hold secrets, is wiped when freed.
 * Built-in matches are at most 64 KiB long (larger private key
 * blocks are redacted up to where their body stops looking like one);
 * a custom pattern matching more than the overlap may be split.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem, asprintf without -D_GNU_SOURCE */
#endif
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlp_int.h"

#define WINDOW_DEFAULT	(4 * 1024 * 1024)
#define WINDOW_MIN	1024
#define OVERLAP_MAX	(80 * 1024)
#define LOOKBEHIND	256

struct fdwin {
	char	*buf;
	size_t	 cap;
	size_t	 len;
	size_t	 start;		/* bytes before start are context */
	size_t	 overlap;
	int	 eof;
};

/* After EAGAIN on a non-blocking descriptor: wait instead of spinning. */
static int
wait_fd(int fd, short events)
{
	struct pollfd	pfd;

	pfd.fd = fd;
	pfd.events = events;
	return (poll(&pfd, 1, -1) == -1 && errno != EINTR ? -1 : 0);
}

static int
fill(struct fdwin *w, int fd)
{
	ssize_t	n;

	while (w->len < w->cap && !w->eof) {
		n = read(fd, w->buf + w->len, w->cap - w->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (wait_fd(fd, POLLIN) == -1)
				return (-1);
			continue;
		}
		if (n == -1)
			return (-1);
		if (n == 0)
			w->eof = 1;
		w->len += n;
	}
	return (0);
}

static int
writeall(int fd, const char *p, size_t n)
{
	ssize_t	r;

	while (n > 0) {
		r = write(fd, p, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN) {
			if (wait_fd(fd, POLLOUT) == -1)
				return (-1);
			continue;
		}
		if (r == -1)
			return (-1);
		p += r;
		n -= r;
	}
	return (0);
}

/* The last private key BEGIN before cut with no END after it. */
static size_t
pem_pending(const struct fdwin *w, size_t cut)
{
	const char	*q, *last = NULL;
	size_t		 off = w->start;

	while (off < cut && (q = memmem(w->buf + off, w->len - off,
	    "-----BEGIN ", 11)) != NULL && (size_t)(q - w->buf) < cut) {
		last = q;
		off = q - w->buf + 11;
	}
	if (last == NULL || memmem(last, w->len - (last - w->buf),
	    "-----END ", 9) != NULL)
		return (cut);
	if ((size_t)(last - w->buf) <= w->start)
		return (cut);	/* longer than a window: take it as it is */
	return (last - w->buf);
}

/* Redact and write one window; returns the matches or -1. */
static long
window(struct dlp *d, struct fdwin *w, int outfd)
{
	char	*out;
	size_t	 cut, olen, nused, keep;

	if (w->eof)
		cut = w->len;
	else if ((cut = pem_pending(w, w->len - w->overlap)) <= w->start)
		cut = w->len - w->overlap;
	if ((out = dlp_redact_window(d, w->buf, w->len, w->start, &cut,
	    &olen, &nused)) == NULL)
		return (-1);
	if (writeall(outfd, out, olen) == -1) {
		free(out);
		return (-1);
	}
	free(out);
	keep = cut < LOOKBEHIND ? 0 : cut - LOOKBEHIND;
	memmove(w->buf, w->buf + keep, w->len - keep);
	w->len -= keep;
	w->start = cut - keep;
	return (nused);
}

int
dlp_redact_fd_window(struct dlp *d, int infd, int outfd, size_t winsz)
{
	struct fdwin	w;
	long		n, total = 0;

	if (winsz < WINDOW_MIN)
		winsz = WINDOW_MIN;
	memset(&w, 0, sizeof(w));
	w.overlap = winsz / 4 < OVERLAP_MAX ? winsz / 4 : OVERLAP_MAX;
	w.cap = winsz + LOOKBEHIND;
	if ((w.buf = malloc(w.cap)) == NULL)
		return (-1);
	for (;;) {
		if (fill(&w, infd) == -1)
			break;
		if ((n = window(d, &w, outfd)) == -1)
			break;
		total += n;
		if (total > INT_MAX)
			total = INT_MAX;
		if (w.eof && w.start == w.len) {
			freezero(w.buf, w.cap);
			return (total);
		}
	}
	freezero(w.buf, w.cap);
	return (-1);
}

int
dlp_redact_fd(struct dlp *d, int infd, int outfd)
{
	return (dlp_redact_fd_window(d, infd, outfd, WINDOW_DEFAULT));
}
