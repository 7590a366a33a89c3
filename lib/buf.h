/*
 * buf: a growable byte buffer, always NUL-terminated.
 *
 * A zeroed struct buf is an empty buffer. The buffer owns p; buf_free()
 * releases it. On allocation failure the buf_add* functions return -1 and
 * leave the buffer as it was; callers treat that as EX_OSERR.
 */
#ifndef IR_BUF_H
#define IR_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* Makes room for extra more bytes and the NUL: 0, or -1 (unchanged). */
int	buf_grow_slow(struct buf *, size_t extra);

/*
 * The record writers call these a dozen times a record: the common case
 * (the room is there) is inline, growing is not.
 */
static inline int
buf_grow(struct buf *b, size_t extra)
{
	if (b->cap > b->len && extra < b->cap - b->len)
		return 0;
	return buf_grow_slow(b, extra);
}

static inline int
buf_add(struct buf *b, const void *s, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static inline int
buf_addc(struct buf *b, int c)
{
	if (buf_grow(b, 1) == -1)
		return -1;
	b->p[b->len++] = (char)c;
	b->p[b->len] = '\0';
	return 0;
}

int	buf_adds(struct buf *, const char *);
int	buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_reset(struct buf *);
void	buf_free(struct buf *);
/* Give away the bytes: returns p (caller frees), leaves the buf empty. */
char	*buf_steal(struct buf *);

#endif
