/*
 * child: run a handler with a deadline. See child.h.
 * _GNU_SOURCE for pipe2: the pipes must be close-on-exec from the start,
 * or a child spawned by another thread in between would inherit them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

extern char **environ;

#define CHILD_CHUNK	65536

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/* Milliseconds to the deadline for poll(), at most cap; 0 when past. */
static int
left_ms(const struct child *ch, long long cap)
{
	long long left = ch->deadline - now_ms();

	if (left <= 0)
		return 0;
	if (left > cap)
		left = cap;
	return left > INT_MAX ? INT_MAX : (int)left;
}

int
child_start(struct child *ch, const char *path, char *const argv[],
    const char *in, size_t len, long timeout_ms, struct child_result *r)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int pin[2], pout[2], rc;

	memset(ch, 0, sizeof(*ch));
	memset(r, 0, sizeof(*r));
	ch->to = ch->from = -1;
	ch->in = in;
	ch->len = len;
	ch->t0 = now_ms();
	ch->deadline = ch->t0 + timeout_ms;
	if (pipe2(pin, O_CLOEXEC) == -1) {
		rc = errno;
		goto fail;
	}
	if (pipe2(pout, O_CLOEXEC) == -1) {
		rc = errno;
		close(pin[0]);
		close(pin[1]);
		goto fail;
	}
	sigemptyset(&none);
	sigfillset(&all);
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		goto closeall;
	if ((rc = posix_spawnattr_init(&attr)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		goto closeall;
	}
	/* dup2 onto 0 and 1 clears close-on-exec on the copies only */
	if ((rc = posix_spawn_file_actions_adddup2(&fa, pin[0],
	    STDIN_FILENO)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, pout[1],
	    STDOUT_FILENO)) == 0 &&
	    (rc = posix_spawnattr_setpgroup(&attr, 0)) == 0 &&
	    (rc = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
	    (rc = posix_spawnattr_setsigdefault(&attr, &all)) == 0 &&
	    (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0)
		rc = posix_spawn(&ch->pid, path, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		goto closeall;
	close(pin[0]);
	close(pout[1]);
	ch->to = pin[1];
	ch->from = pout[0];
	/* cannot fail on a pipe we own; if it did, reads would block */
	fcntl(ch->to, F_SETFL, O_NONBLOCK);
	fcntl(ch->from, F_SETFL, O_NONBLOCK);
	if (ch->len == 0)
		close_fd(&ch->to);
	return 0;
closeall:
	close(pin[0]);
	close(pin[1]);
	close(pout[0]);
	close(pout[1]);
fail:
	r->outcome = CHILD_FAILED;
	r->err = rc;
	return -1;
}

/* Writes what the child's stdin takes now; closes it when all is in. */
static void
feed(struct child *ch)
{
	ssize_t n;

	n = write(ch->to, ch->in + ch->off, ch->len - ch->off > CHILD_CHUNK ?
	    CHILD_CHUNK : ch->len - ch->off);
	if (n > 0 && (ch->off += (size_t)n) == ch->len)
		close_fd(&ch->to);
	else if (n == -1 && errno != EAGAIN && errno != EINTR)
		close_fd(&ch->to);	/* EPIPE: it stopped reading */
}

int
child_read_line(struct child *ch, struct buf *out, size_t outmax,
    struct child_result *r)
{
	struct pollfd p[2];
	size_t got = 0, start = out->len;
	ssize_t n;
	int np, wait;

	memset(r, 0, sizeof(*r));
	while (ch->from != -1) {
		if ((wait = left_ms(ch, INT_MAX)) == 0) {
			r->outcome = CHILD_TIMEOUT;
			return -1;
		}
		p[0].fd = ch->from;
		p[0].events = POLLIN;
		p[0].revents = 0;
		np = 1;
		if (ch->to != -1) {
			p[1].fd = ch->to;
			p[1].events = POLLOUT;
			p[1].revents = 0;
			np = 2;
		}
		if (poll(p, (nfds_t)np, wait) == -1) {
			if (errno == EINTR)
				continue;
			r->outcome = CHILD_FAILED;
			r->err = errno;
			return -1;
		}
		if (np == 2 && p[1].revents != 0)
			feed(ch);
		if (p[0].revents == 0)
			continue;
		if (buf_grow(out, CHILD_CHUNK) == -1) {
			r->outcome = CHILD_FAILED;
			r->err = ENOMEM;
			return -1;
		}
		n = read(ch->from, out->p + out->len, CHILD_CHUNK);
		if (n > 0) {
			out->len += (size_t)n;
			out->p[out->len] = '\0';
			if ((got += (size_t)n) > outmax) {
				r->outcome = CHILD_TOOBIG;
				return -1;
			}
			if (memchr(out->p + start, '\n', got) != NULL)
				return 1;
		} else if (n == 0)
			close_fd(&ch->from);
		else if (errno != EAGAIN && errno != EINTR) {
			r->outcome = CHILD_FAILED;
			r->err = errno;
			return -1;
		}
	}
	return 0;
}

/* 1 once the child has exited (not reaped), 0 not yet, -1 error. */
static int
has_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
	    -1)
		if (errno != EINTR)
			return -1;
	return si.si_pid == pid;
}

int
child_finish(struct child *ch, int kill_now, struct child_result *r)
{
	char drop[4096];
	struct pollfd p;
	int st = 0, timedout = 0;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	close_fd(&ch->to);
	if (kill_now)
		kill(-ch->pid, SIGKILL);
	/* until it exits: drop what it still writes */
	while (has_exited(ch->pid) == 0) {
		if (left_ms(ch, INT_MAX) == 0) {
			timedout = !kill_now;
			break;
		}
		if (ch->from == -1) {
			p.fd = -1;
			poll(&p, 0, left_ms(ch, 10));
			continue;
		}
		p.fd = ch->from;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, left_ms(ch, 10)) > 0) {
			n = read(ch->from, drop, sizeof(drop));
			if (n == 0 || (n == -1 && errno != EAGAIN &&
			    errno != EINTR))
				close_fd(&ch->from);
		}
	}
	close_fd(&ch->from);
	/*
	 * It is a zombie or still running: either way its pid still names
	 * its process group, and whatever it left there goes too.
	 */
	kill(-ch->pid, SIGKILL);
	while (waitpid(ch->pid, &st, 0) == -1)
		if (errno != EINTR) {
			r->outcome = CHILD_FAILED;
			r->err = errno;
			return -1;
		}
	r->ms = (long)(now_ms() - ch->t0);
	if (timedout) {
		r->outcome = CHILD_TIMEOUT;
		return -1;
	}
	if (WIFSIGNALED(st)) {
		r->outcome = CHILD_SIGNALED;
		r->status = WTERMSIG(st);
		return -1;
	}
	r->outcome = CHILD_EXITED;
	r->status = WEXITSTATUS(st);
	return 0;
}

const char *
child_describe(const struct child_result *r, char *s, size_t sz)
{
	switch (r->outcome) {
	case CHILD_EXITED:
		snprintf(s, sz, "exit %d", r->status);
		break;
	case CHILD_SIGNALED:
		snprintf(s, sz, "signal %d", r->status);
		break;
	case CHILD_TIMEOUT:
		snprintf(s, sz, "timed out");
		break;
	case CHILD_TOOBIG:
		snprintf(s, sz, "output too large");
		break;
	default:
		snprintf(s, sz, "%s", strerror(r->err));
		break;
	}
	return s;
}
