/*
 * imsg.h - framed messages over unix sockets, in the style of OpenBSD's
 * libutil imsg (2024 revision), written for topsh.
 *
 * A frame is a struct imsg_hdr followed by hdr.len - IMSG_HEADER_SIZE
 * bytes of payload.  The top bit of len (IMSG_FD_MARK) says that one file
 * descriptor travelled with the frame over SCM_RIGHTS.  Every channel has
 * a maximum frame size (default IMSG_MAXSIZE_DEFAULT); a larger or shorter
 * than header frame is an error (EBADMSG) that the caller answers by
 * closing the connection.
 */
#ifndef TOPSH_IMSG_H
#define TOPSH_IMSG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)
#define IMSG_MAXSIZE_DEFAULT	(16 * 1024)
#define IMSG_MAXSIZE_LIMIT	(64 * 1024 * 1024)
#define IMSG_FD_MARK		0x80000000U
#define IMSG_MAXFDS		16	/* queued, received, not yet claimed */

struct imsg_hdr {
	uint32_t	 type;
	uint32_t	 len;		/* header included; top bit: fd */
	uint32_t	 peerid;
	uint32_t	 pid;
};

struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;		/* -1 when none */
	unsigned char	*data;		/* hdr.len - header bytes, or NULL */
	size_t		 datalen;
};

struct ibuf {
	TAILQ_ENTRY(ibuf) entry;
	unsigned char	*buf;
	size_t		 size;
	size_t		 wpos;		/* bytes filled */
	size_t		 rpos;		/* bytes already written out */
	int		 fd;		/* sent with the first byte, -1 none */
};

struct imsg_fd {
	TAILQ_ENTRY(imsg_fd) entry;
	int		 fd;
};

struct imsgbuf {
	int		 fd;
	pid_t		 pid;
	size_t		 maxsize;
	unsigned char	*rbuf;
	size_t		 rsize;
	size_t		 rlen;
	TAILQ_HEAD(, ibuf) wq;
	size_t		 wqlen;		/* number of queued buffers */
	size_t		 wqbytes;
	TAILQ_HEAD(, imsg_fd) rfds;
	int		 nrfds;
};

void	 imsgbuf_init(struct imsgbuf *, int);
int	 imsgbuf_set_maxsize(struct imsgbuf *, size_t);
void	 imsgbuf_clear(struct imsgbuf *);
/* 1 data read, 0 EOF, -1 error (errno), EAGAIN is returned as 1 */
int	 imsgbuf_read(struct imsgbuf *);
/* 0 all written or would block, -1 error (errno; EPIPE on peer gone) */
int	 imsgbuf_write(struct imsgbuf *);
/* blocking helper: write until the queue is empty */
int	 imsgbuf_flush(struct imsgbuf *);
int	 imsgbuf_queuelen(struct imsgbuf *);

/* 1 one frame in *imsg, 0 need more data, -1 malformed (errno EBADMSG) */
int	 imsg_get(struct imsgbuf *, struct imsg *);
int	 imsg_compose(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
int	 imsg_compose_json(struct imsgbuf *, uint32_t, uint32_t, int,
	    json_t *);
void	 imsg_free(struct imsg *);

uint32_t imsg_get_type(const struct imsg *);
uint32_t imsg_get_id(const struct imsg *);
pid_t	 imsg_get_pid(const struct imsg *);
size_t	 imsg_get_len(const struct imsg *);
/* exact size copy: -1 with EBADMSG unless datalen == len */
int	 imsg_get_data(const struct imsg *, void *, size_t);
/* ownership of the fd passes to the caller; -1 if none */
int	 imsg_get_fd(struct imsg *);
/* payload must be one JSON object; NULL and EBADMSG otherwise */
json_t	*imsg_get_json(const struct imsg *);

/* decode frames from a flat buffer (fuzzing and tests): frames found */
int	 imsg_decode_buffer(const unsigned char *, size_t, size_t,
	    void (*)(struct imsg *, void *), void *);

#endif
