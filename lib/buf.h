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

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

int	buf_grow(struct buf *, size_t extra);
int	buf_add(struct buf *, const void *, size_t);
int	buf_adds(struct buf *, const char *);
int	buf_addc(struct buf *, int);
int	buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_reset(struct buf *);
void	buf_free(struct buf *);
/* Give away the bytes: returns p (caller frees), leaves the buf empty. */
char	*buf_steal(struct buf *);

#endif
