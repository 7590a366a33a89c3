/*
 * channel_outbox: the "outbox:DIR" notifier and mailer. A message is a
 * file in DIR: the owner's draft as DIR/<id>.eml and DIR/<id>.json (the
 * Slack payload, one line), a supplier email as DIR/<id>.eml. Nothing
 * leaves the machine; a person or a later stage reads the folder.
 *
 * Each file is written atomically and at most once: the bytes go to a
 * hidden temporary file in DIR (".ir-<pid>-<n>.tmp", short, so that any id
 * up to CHANNEL_ID_MAX fits in a file name), which is synced and then
 * link()ed to its name. link() fails with EEXIST when the name exists, so
 * two runs racing for one message deliver it once, and the file a reader
 * sees is always complete. The directory is synced before a send reports
 * success. A crash can leave a temporary file behind; it is never read,
 * and is harmless.
 *
 * The mailer writes the raw message only: the envelope (from, rcpt) is
 * not kept, so a Bcc recipient would not show in the outbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "channel.h"
#include "channel_backend.h"

struct outbox {
	char		*dir;		/* as given, for messages and refs */
	int		 dirfd;
	unsigned long	 seq;		/* makes temporary names unique */
	char		 err[512];
};

/* One piece of a file's content. */
struct piece {
	const char	*p;
	size_t		 n;
};

/*
 * Records "outbox: <what> DIR/name: <strerror(e)>". Messages name paths
 * and system errors only: nothing here comes from a secret.
 */
static void
oberr(struct outbox *ob, const char *what, const char *name, int e)
{
	snprintf(ob->err, sizeof(ob->err), "outbox: %s %s/%s: %s", what,
	    ob->dir, name, strerror(e));
}

/*
 * mkdir -p: creates dir and its missing parents (mode 0777 less the
 * umask). Returns 0, or -1 with errno set and the failing prefix in bad.
 */
static int
mkdir_p(const char *dir, char *bad, size_t badsz)
{
	char *path, *p, c;
	int e = 0;

	if ((path = strdup(dir)) == NULL)
		return -1;
	for (p = path + 1; e == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (p[-1] != '/' && mkdir(path, 0777) == -1 &&
		    errno != EEXIST) {
			e = errno;
			snprintf(bad, badsz, "%s", path);
		}
		*p = c;
		if (c == '\0')
			break;
	}
	free(path);
	errno = e;
	return e == 0 ? 0 : -1;
}

/*
 * Opens the outbox at rest (the DIR of "outbox:DIR"), creating it. The
 * returned state is owned by the caller and released with outbox_close().
 */
static void *
outbox_open(const char *rest, char *err, size_t errsz)
{
	struct outbox *ob;
	char bad[1024];
	int fd;

	if (*rest == '\0') {
		snprintf(err, errsz, "outbox: no directory given "
		    "(write outbox:DIR)");
		return NULL;
	}
	snprintf(bad, sizeof(bad), "%s", rest);
	if (mkdir_p(rest, bad, sizeof(bad)) == -1) {
		snprintf(err, errsz, "outbox: cannot create directory %s: %s",
		    bad, strerror(errno));
		return NULL;
	}
	if ((fd = open(rest, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errsz, "outbox: cannot open directory %s: %s",
		    rest, strerror(errno));
		return NULL;
	}
	if ((ob = calloc(1, sizeof(*ob))) == NULL ||
	    (ob->dir = strdup(rest)) == NULL) {
		free(ob);
		close(fd);
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	ob->dirfd = fd;
	return ob;
}

/* Releases the outbox; NULL is a no-op. */
static void
outbox_close(void *be)
{
	struct outbox *ob = be;

	if (ob == NULL)
		return;
	close(ob->dirfd);
	free(ob->dir);
	free(ob);
}

/* The last failure, for people. */
static const char *
outbox_error(void *be)
{
	struct outbox *ob = be;

	return ob->err;
}

/* Writes all n bytes of p to fd. Returns 0, or -1 with errno set. */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Creates a new temporary file in DIR; its name goes to tmp. */
static int
tmp_open(struct outbox *ob, char *tmp, size_t tmpsz)
{
	int fd, tries;

	for (tries = 0; tries < 100; tries++) {
		snprintf(tmp, tmpsz, ".ir-%ld-%lu.tmp", (long)getpid(),
		    ob->seq++);
		fd = openat(ob->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0666);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/*
 * Makes DIR/name hold the pieces, atomically and once: CHANNEL_SENT when
 * this call created it, CHANNEL_ALREADY when it existed (left unchanged),
 * CHANNEL_ERR with a message naming the path otherwise. On any return the
 * temporary file is gone.
 */
static int
put_file(struct outbox *ob, const char *name, const struct piece *pc,
    size_t npc)
{
	char tmp[64];
	struct stat st;
	int fd, e, rc = CHANNEL_SENT;
	size_t i;

	if (fstatat(ob->dirfd, name, &st, 0) == 0)
		rc = CHANNEL_ALREADY;
	else if (errno != ENOENT) {
		oberr(ob, "cannot check", name, errno);
		return CHANNEL_ERR;
	}
	if (rc == CHANNEL_SENT) {
		if ((fd = tmp_open(ob, tmp, sizeof(tmp))) == -1) {
			oberr(ob, "cannot write", name, errno);
			return CHANNEL_ERR;
		}
		for (i = 0, e = 0; i < npc && e == 0; i++)
			if (write_all(fd, pc[i].p, pc[i].n) == -1)
				e = errno;
		if (e == 0 && fsync(fd) == -1)
			e = errno;
		if (close(fd) == -1 && e == 0)
			e = errno;
		if (e == 0 &&
		    linkat(ob->dirfd, tmp, ob->dirfd, name, 0) == -1) {
			if (errno == EEXIST)
				rc = CHANNEL_ALREADY;	/* another run won */
			else
				e = errno;
		}
		(void)unlinkat(ob->dirfd, tmp, 0);
		if (e != 0) {
			oberr(ob, "cannot write", name, e);
			return CHANNEL_ERR;
		}
	}
	/*
	 * Also when it existed: a crash may have come before this sync.
	 * EINVAL: the file system cannot sync a directory (nothing to do).
	 */
	if (fsync(ob->dirfd) == -1 && errno != EINVAL) {
		oberr(ob, "cannot sync the directory of", name, errno);
		return CHANNEL_ERR;
	}
	return rc;
}

/* Writes "DIR/name" to ref, when the caller gave room for it. */
static void
set_ref(struct outbox *ob, const char *name, char *ref, size_t refsz)
{
	if (ref != NULL && refsz > 0)
		snprintf(ref, refsz, "%s/%s", ob->dir, name);
}

/*
 * Delivers an owner message: DIR/<id>.eml first, DIR/<id>.json last. It
 * was delivered before (CHANNEL_ALREADY) only when both exist; after a
 * crash between the two, this call writes the missing one. ref is the
 * .json. A NULL eml writes the .json alone.
 */
static int
outbox_notify(void *be, const struct owner_msg *msg, char *ref,
    size_t refsz)
{
	struct outbox *ob = be;
	struct piece pc[2];
	char name[CHANNEL_ID_MAX + 8];
	size_t n;
	int r1 = CHANNEL_ALREADY, r2;

	ob->err[0] = '\0';
	if (msg->slack_json == NULL) {
		snprintf(ob->err, sizeof(ob->err), "outbox: message %s has no "
		    "Slack payload", msg->id);
		return CHANNEL_ERR;
	}
	if (msg->eml != NULL) {
		snprintf(name, sizeof(name), "%s.eml", msg->id);
		pc[0].p = msg->eml;
		pc[0].n = msg->eml_len > 0 ? msg->eml_len : strlen(msg->eml);
		if ((r1 = put_file(ob, name, pc, 1)) < 0)
			return r1;
	}
	snprintf(name, sizeof(name), "%s.json", msg->id);
	n = strlen(msg->slack_json);
	pc[0].p = msg->slack_json;
	pc[0].n = n;
	pc[1].p = "\n";
	pc[1].n = n > 0 && msg->slack_json[n - 1] == '\n' ? 0 : 1;
	if ((r2 = put_file(ob, name, pc, 2)) < 0)
		return r2;
	set_ref(ob, name, ref, refsz);
	return r1 == CHANNEL_ALREADY && r2 == CHANNEL_ALREADY ?
	    CHANNEL_ALREADY : CHANNEL_SENT;
}

/* Delivers a raw email as DIR/<id>.eml; ref is that path. */
static int
outbox_mail(void *be, const char *id, const char *from,
    const char *const *rcpt, const char *raw, size_t len, char *ref,
    size_t refsz)
{
	struct outbox *ob = be;
	struct piece pc;
	char name[CHANNEL_ID_MAX + 8];
	int rc;

	ob->err[0] = '\0';
	snprintf(name, sizeof(name), "%s.eml", id);
	pc.p = raw;
	pc.n = len;
	if ((rc = put_file(ob, name, &pc, 1)) >= 0)
		set_ref(ob, name, ref, refsz);
	return rc;
}

const struct notify_ops notify_outbox_ops = {
	.scheme = "outbox",
	.open = outbox_open,
	.send = outbox_notify,
	.error = outbox_error,
	.close = outbox_close,
};

const struct mailer_ops mailer_outbox_ops = {
	.scheme = "outbox",
	.open = outbox_open,
	.send = outbox_mail,
	.error = outbox_error,
	.close = outbox_close,
};
