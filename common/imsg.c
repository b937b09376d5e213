/*
 * imsg.c - framed messages with fd passing over non-blocking unix
 * sockets.  Reads and writes may stop anywhere inside a frame; frames
 * are only handed out once complete, and a frame whose header lies
 * (shorter than a header, larger than the channel's maximum, claiming an
 * fd that never came) is refused with EBADMSG.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define IMSG_RBUF_INITIAL	(64 * 1024)

void
imsgbuf_init(struct imsgbuf *ib, int fd)
{
	memset(ib, 0, sizeof(*ib));
	ib->fd = fd;
	ib->pid = getpid();
	ib->maxsize = IMSG_MAXSIZE_DEFAULT;
	TAILQ_INIT(&ib->wq);
	TAILQ_INIT(&ib->rfds);
}

int
imsgbuf_set_maxsize(struct imsgbuf *ib, size_t max)
{
	if (max < IMSG_HEADER_SIZE || max > IMSG_MAXSIZE_LIMIT) {
		errno = EINVAL;
		return (-1);
	}
	ib->maxsize = max;
	return (0);
}

static void
ibuf_free(struct ibuf *b)
{
	if (b->fd != -1)
		close(b->fd);
	free(b->buf);
	free(b);
}

void
imsgbuf_clear(struct imsgbuf *ib)
{
	struct ibuf	*b;
	struct imsg_fd	*f;

	while ((b = TAILQ_FIRST(&ib->wq)) != NULL) {
		TAILQ_REMOVE(&ib->wq, b, entry);
		ibuf_free(b);
	}
	while ((f = TAILQ_FIRST(&ib->rfds)) != NULL) {
		TAILQ_REMOVE(&ib->rfds, f, entry);
		close(f->fd);
		free(f);
	}
	free(ib->rbuf);
	ib->rbuf = NULL;
	ib->rsize = ib->rlen = 0;
	ib->wqlen = ib->wqbytes = 0;
	ib->nrfds = 0;
}

static int
rbuf_reserve(struct imsgbuf *ib, size_t need)
{
	unsigned char	*p;
	size_t		 nsize;

	if (ib->rsize - ib->rlen >= need)
		return (0);
	nsize = ib->rsize ? ib->rsize : IMSG_RBUF_INITIAL;
	while (nsize - ib->rlen < need)
		nsize *= 2;
	if (nsize > ib->maxsize + IMSG_RBUF_INITIAL)
		nsize = ib->maxsize + IMSG_RBUF_INITIAL;
	if (nsize - ib->rlen < need) {
		errno = ENOBUFS;
		return (-1);
	}
	if ((p = realloc(ib->rbuf, nsize)) == NULL)
		return (-1);
	ib->rbuf = p;
	ib->rsize = nsize;
	return (0);
}

static int
rfd_push(struct imsgbuf *ib, int fd)
{
	struct imsg_fd	*f;

	if (ib->nrfds >= IMSG_MAXFDS || (f = malloc(sizeof(*f))) == NULL) {
		close(fd);
		errno = EBADMSG;
		return (-1);
	}
	f->fd = fd;
	TAILQ_INSERT_TAIL(&ib->rfds, f, entry);
	ib->nrfds++;
	return (0);
}

static int
rfd_pop(struct imsgbuf *ib)
{
	struct imsg_fd	*f;
	int		 fd;

	if ((f = TAILQ_FIRST(&ib->rfds)) == NULL)
		return (-1);
	TAILQ_REMOVE(&ib->rfds, f, entry);
	ib->nrfds--;
	fd = f->fd;
	free(f);
	return (fd);
}

/* take every fd out of the control messages, even on error */
static int
collect_fds(struct imsgbuf *ib, struct msghdr *msg)
{
	struct cmsghdr	*cm;
	int		*fds, i, n, rv = 0;

	if (msg->msg_flags & MSG_CTRUNC)
		rv = -1;
	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)CMSG_DATA(cm);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, &fds[i], sizeof(fd));
			if (rv == -1)
				close(fd);
			else if (rfd_push(ib, fd) == -1)
				rv = -1;
		}
	}
	if (rv == -1)
		errno = EBADMSG;
	return (rv);
}

int
imsgbuf_read(struct imsgbuf *ib)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 4)];
	} cmsgbuf;
	ssize_t		 n;
	size_t		 want;

	want = IMSG_RBUF_INITIAL;
	if (ib->rlen >= IMSG_HEADER_SIZE) {
		struct imsg_hdr	hdr;
		size_t		len;

		memcpy(&hdr, ib->rbuf, sizeof(hdr));
		len = hdr.len & ~IMSG_FD_MARK;
		if (len > ib->maxsize || len < IMSG_HEADER_SIZE) {
			errno = EBADMSG;
			return (-1);
		}
		if (len > ib->rlen && len - ib->rlen > want)
			want = len - ib->rlen;
	}
	if (rbuf_reserve(ib, want) == -1)
		return (-1);

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = ib->rbuf + ib->rlen;
	iov.iov_len = ib->rsize - ib->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	if ((n = recvmsg(ib->fd, &msg, MSG_CMSG_CLOEXEC)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return (1);
		return (-1);
	}
	if (collect_fds(ib, &msg) == -1)
		return (-1);
	if (n == 0)
		return (0);
	ib->rlen += n;
	return (1);
}

int
imsg_get(struct imsgbuf *ib, struct imsg *imsg)
{
	struct imsg_hdr	 hdr;
	size_t		 len, datalen;

	memset(imsg, 0, sizeof(*imsg));
	imsg->fd = -1;
	if (ib->rlen < IMSG_HEADER_SIZE)
		return (0);
	memcpy(&hdr, ib->rbuf, sizeof(hdr));
	len = hdr.len & ~IMSG_FD_MARK;
	if (len < IMSG_HEADER_SIZE || len > ib->maxsize) {
		errno = EBADMSG;
		return (-1);
	}
	if (ib->rlen < len)
		return (0);
	datalen = len - IMSG_HEADER_SIZE;
	if (datalen > 0) {
		if ((imsg->data = malloc(datalen + 1)) == NULL)
			return (-1);
		memcpy(imsg->data, ib->rbuf + IMSG_HEADER_SIZE, datalen);
		imsg->data[datalen] = '\0';	/* for string payloads */
	}
	imsg->datalen = datalen;
	if (hdr.len & IMSG_FD_MARK) {
		if ((imsg->fd = rfd_pop(ib)) == -1) {
			free(imsg->data);
			imsg->data = NULL;
			errno = EBADMSG;
			return (-1);
		}
	}
	imsg->hdr = hdr;
	imsg->hdr.len = len;
	memmove(ib->rbuf, ib->rbuf + len, ib->rlen - len);
	ib->rlen -= len;
	return (1);
}

int
imsg_compose(struct imsgbuf *ib, uint32_t type, uint32_t id, pid_t pid,
    int fd, const void *data, size_t datalen)
{
	struct imsg_hdr	 hdr;
	struct ibuf	*b;
	size_t		 len = IMSG_HEADER_SIZE + datalen;

	if (datalen > ib->maxsize || len > ib->maxsize) {
		errno = ERANGE;
		return (-1);
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (-1);
	if ((b->buf = malloc(len)) == NULL) {
		free(b);
		return (-1);
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)len | (fd != -1 ? IMSG_FD_MARK : 0);
	hdr.peerid = id;
	hdr.pid = pid ? (uint32_t)pid : (uint32_t)ib->pid;
	memcpy(b->buf, &hdr, sizeof(hdr));
	if (datalen > 0)
		memcpy(b->buf + IMSG_HEADER_SIZE, data, datalen);
	b->size = b->wpos = len;
	b->fd = fd;
	TAILQ_INSERT_TAIL(&ib->wq, b, entry);
	ib->wqlen++;
	ib->wqbytes += len;
	return (0);
}

int
imsg_compose_json(struct imsgbuf *ib, uint32_t type, uint32_t id, int fd,
    json_t *obj)
{
	char	*s;
	int	 rv;

	if ((s = json_dumps(obj, JSON_COMPACT)) == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	rv = imsg_compose(ib, type, id, 0, fd, s, strlen(s));
	free(s);
	return (rv);
}

static int
ibuf_send(struct imsgbuf *ib, struct ibuf *b)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr	*cm;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = b->buf + b->rpos;
	iov.iov_len = b->wpos - b->rpos;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (b->fd != -1 && b->rpos == 0) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = &cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cm), &b->fd, sizeof(int));
	}
	if ((n = sendmsg(ib->fd, &msg, MSG_NOSIGNAL)) == -1)
		return (-1);
	if (b->fd != -1 && b->rpos == 0) {
		close(b->fd);	/* it travelled with the first byte */
		b->fd = -1;
	}
	b->rpos += n;
	return (0);
}

int
imsgbuf_write(struct imsgbuf *ib)
{
	struct ibuf	*b;

	while ((b = TAILQ_FIRST(&ib->wq)) != NULL) {
		if (ibuf_send(ib, b) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ENOBUFS)
				return (0);
			return (-1);
		}
		if (b->rpos < b->wpos)
			return (0);
		TAILQ_REMOVE(&ib->wq, b, entry);
		ib->wqlen--;
		ib->wqbytes -= b->size;
		ibuf_free(b);
	}
	return (0);
}

int
imsgbuf_flush(struct imsgbuf *ib)
{
	while (ib->wqlen > 0) {
		if (imsgbuf_write(ib) == -1)
			return (-1);
	}
	return (0);
}

int
imsgbuf_queuelen(struct imsgbuf *ib)
{
	return ((int)ib->wqlen);
}

void
imsg_free(struct imsg *imsg)
{
	if (imsg->fd != -1)
		close(imsg->fd);
	imsg->fd = -1;
	free(imsg->data);
	imsg->data = NULL;
	imsg->datalen = 0;
}

uint32_t
imsg_get_type(const struct imsg *imsg)
{
	return (imsg->hdr.type);
}

uint32_t
imsg_get_id(const struct imsg *imsg)
{
	return (imsg->hdr.peerid);
}

pid_t
imsg_get_pid(const struct imsg *imsg)
{
	return ((pid_t)imsg->hdr.pid);
}

size_t
imsg_get_len(const struct imsg *imsg)
{
	return (imsg->datalen);
}

int
imsg_get_data(const struct imsg *imsg, void *data, size_t len)
{
	if (len == 0 || imsg->datalen != len) {
		errno = EBADMSG;
		return (-1);
	}
	memcpy(data, imsg->data, len);
	return (0);
}

int
imsg_get_fd(struct imsg *imsg)
{
	int	 fd = imsg->fd;

	imsg->fd = -1;
	return (fd);
}

json_t *
imsg_get_json(const struct imsg *imsg)
{
	json_error_t	 err;
	json_t		*obj;

	if (imsg->datalen == 0) {
		errno = EBADMSG;
		return (NULL);
	}
	obj = json_loadb((const char *)imsg->data, imsg->datalen,
	    JSON_REJECT_DUPLICATES, &err);
	if (obj == NULL || !json_is_object(obj)) {
		json_decref(obj);
		errno = EBADMSG;
		return (NULL);
	}
	return (obj);
}

int
imsg_decode_buffer(const unsigned char *buf, size_t len, size_t maxsize,
    void (*cb)(struct imsg *, void *), void *arg)
{
	struct imsgbuf	 ib;
	struct imsg	 imsg;
	int		 n = 0, rv;

	imsgbuf_init(&ib, -1);
	if (imsgbuf_set_maxsize(&ib, maxsize) == -1)
		return (-1);
	if (len > 0) {
		if (rbuf_reserve(&ib, len) == -1) {
			imsgbuf_clear(&ib);
			return (-1);
		}
		memcpy(ib.rbuf, buf, len);
		ib.rlen = len;
	}
	while ((rv = imsg_get(&ib, &imsg)) == 1) {
		n++;
		if (cb != NULL)
			cb(&imsg, arg);
		imsg_free(&imsg);
	}
	imsgbuf_clear(&ib);
	return (rv == -1 ? -1 : n);
}
