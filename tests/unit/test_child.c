/*
 * child: a handler run with its input, its first line, a deadline and its
 * process group. Real children (sh, cat, sleep), real pipes and signals.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "child.h"
#include "unit.h"

static char *sh_argv[] = { "/bin/sh", "-c", NULL, NULL };

static int
start_sh(struct child *ch, const char *script, const char *in, size_t len,
    long timeout_ms, struct child_result *r)
{
	sh_argv[2] = (char *)script;
	return child_start(ch, "/bin/sh", sh_argv, in, len, timeout_ms, r);
}

/* 1 once no process has pid (a zombie's parent reaps it soon). */
static int
gone(pid_t pid)
{
	struct timespec nap = { 0, 10000000 };
	int i;

	for (i = 0; i < 200; i++) {
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return 1;
		nanosleep(&nap, NULL);
	}
	return 0;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) /
	    1000000;
}

TEST(big_input_echoed_without_deadlock)
{
	size_t n = 3 * 1024 * 1024;
	char *in = malloc(n);
	struct child_result r;
	struct child ch;
	struct buf out = { 0 };

	memset(in, 'a', n);
	in[n - 1] = '\n';
	CHECK(child_start(&ch, "/bin/cat", (char *[]){ "cat", NULL }, in, n,
	    10000, &r) == 0);
	/* cat writes while we write: both pipes must keep moving */
	CHECK_EQ_INT(child_read_line(&ch, &out, n + 10, &r), 1);
	CHECK_EQ_INT(child_finish(&ch, 0, &r), 0);
	CHECK_EQ_INT(r.outcome, CHILD_EXITED);
	CHECK_EQ_INT(r.status, 0);
	CHECK_EQ_INT(out.len, n);
	CHECK(out.p != NULL && memcmp(out.p, in, n) == 0);
	buf_free(&out);
	free(in);
}

TEST(first_line_before_the_end)
{
	struct timespec t0;
	struct child_result r;
	struct child ch;
	struct buf out = { 0 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(start_sh(&ch, "read x; echo \"got $x\"; sleep 0.3; exit 7",
	    "hello\n", 6, 5000, &r) == 0);
	CHECK_EQ_INT(child_read_line(&ch, &out, 1000, &r), 1);
	CHECK_EQ_STR(out.p, "got hello\n");
	/* the answer came before the work after it */
	CHECK(ms_since(&t0) < 250);
	CHECK_EQ_INT(child_finish(&ch, 0, &r), 0);
	CHECK_EQ_INT(r.outcome, CHILD_EXITED);
	CHECK_EQ_INT(r.status, 7);
	CHECK(r.ms >= 300);
	buf_free(&out);
}

TEST(timeout_kills_the_group)
{
	struct child_result r, fin;
	struct child ch;
	struct buf out = { 0 };
	FILE *fp;
	char path[] = "/tmp/test_child.XXXXXX", script[200];
	long long spid = 0;
	int fd;

	CHECK((fd = mkstemp(path)) != -1);
	close(fd);
	snprintf(script, sizeof(script), "sleep 30 & echo $! > %s; wait",
	    path);
	CHECK(start_sh(&ch, script, NULL, 0, 300, &r) == 0);
	CHECK_EQ_INT(child_read_line(&ch, &out, 1000, &r), -1);
	CHECK_EQ_INT(r.outcome, CHILD_TIMEOUT);
	CHECK_EQ_INT(child_finish(&ch, 1, &fin), -1);
	CHECK_EQ_INT(fin.outcome, CHILD_SIGNALED);
	CHECK_EQ_INT(fin.status, SIGKILL);
	CHECK(fin.ms >= 300 && fin.ms < 2000);
	if ((fp = fopen(path, "r")) != NULL) {
		CHECK(fscanf(fp, "%lld", &spid) == 1);
		fclose(fp);
	}
	CHECK(spid > 0 && gone((pid_t)spid));
	unlink(path);
	buf_free(&out);
}

TEST(timeout_after_the_answer)
{
	struct child_result r;
	struct child ch;
	struct buf out = { 0 };

	CHECK(start_sh(&ch, "echo answer; exec sleep 30", NULL, 0, 300,
	    &r) == 0);
	CHECK_EQ_INT(child_read_line(&ch, &out, 1000, &r), 1);
	CHECK_EQ_INT(child_finish(&ch, 0, &r), -1);
	CHECK_EQ_INT(r.outcome, CHILD_TIMEOUT);
	buf_free(&out);
}

TEST(leftovers_killed_when_it_exits)
{
	struct child_result r;
	struct child ch;
	struct buf out = { 0 };
	long long spid = 0;

	/* the sleep keeps stdout open after sh is gone */
	CHECK(start_sh(&ch, "sleep 30 & echo $!; exit 3", NULL, 0, 5000,
	    &r) == 0);
	CHECK_EQ_INT(child_read_line(&ch, &out, 1000, &r), 1);
	CHECK(sscanf(out.p ? out.p : "", "%lld", &spid) == 1);
	CHECK_EQ_INT(child_finish(&ch, 0, &r), 0);
	CHECK_EQ_INT(r.outcome, CHILD_EXITED);
	CHECK_EQ_INT(r.status, 3);
	CHECK(r.ms < 2000);
	CHECK(spid > 0 && gone((pid_t)spid));
	buf_free(&out);
}

TEST(output_bound)
{
	struct child_result r;
	struct child ch;
	struct buf out = { 0 };

	CHECK(start_sh(&ch, "head -c 200000 /dev/zero", NULL, 0, 5000,
	    &r) == 0);
	CHECK_EQ_INT(child_read_line(&ch, &out, 1000, &r), -1);
	CHECK_EQ_INT(r.outcome, CHILD_TOOBIG);
	CHECK(out.len > 1000 && out.len <= 1000 + 65536);
	child_finish(&ch, 1, &r);
	buf_free(&out);
}

TEST(no_line_then_exit)
{
	struct child_result r;
	struct child ch;
	struct buf out = { 0 };
	char *in = calloc(1, 1 << 20);

	/* does not read its input (EPIPE here, not a signal), no newline */
	CHECK(start_sh(&ch, "printf partial; exit 0", in, 1 << 20, 5000,
	    &r) == 0);
	CHECK_EQ_INT(child_read_line(&ch, &out, 1000, &r), 0);
	CHECK_EQ_STR(out.p, "partial");
	CHECK_EQ_INT(child_finish(&ch, 0, &r), 0);
	CHECK_EQ_INT(r.status, 0);
	/* empty input: its stdin is closed at once */
	buf_reset(&out);
	CHECK(child_start(&ch, "/bin/cat", (char *[]){ "cat", NULL }, NULL,
	    0, 5000, &r) == 0);
	CHECK_EQ_INT(child_read_line(&ch, &out, 1000, &r), 0);
	CHECK_EQ_INT(out.len, 0);
	CHECK_EQ_INT(child_finish(&ch, 0, &r), 0);
	free(in);
	buf_free(&out);
}

TEST(cannot_start)
{
	struct child_result r;
	struct child ch;
	char s[64];

	if (child_start(&ch, "/nonexistent/handler",
	    (char *[]){ "handler", NULL }, "x", 1, 1000, &r) == 0) {
		/*
		 * Under valgrind posix_spawn cannot see the exec fail: the
		 * child exits 127 instead, as a shell's would.
		 */
		struct buf out = { 0 };

		CHECK_EQ_INT(child_read_line(&ch, &out, 1000, &r), 0);
		CHECK_EQ_INT(child_finish(&ch, 0, &r), 0);
		CHECK_EQ_INT(r.status, 127);
		buf_free(&out);
	} else {
		CHECK_EQ_INT(r.outcome, CHILD_FAILED);
		CHECK_EQ_INT(r.err, ENOENT);
		CHECK_EQ_STR(child_describe(&r, s, sizeof(s)),
		    "No such file or directory");
	}
	r.outcome = CHILD_EXITED;
	r.status = 65;
	CHECK_EQ_STR(child_describe(&r, s, sizeof(s)), "exit 65");
	r.outcome = CHILD_SIGNALED;
	r.status = 9;
	CHECK_EQ_STR(child_describe(&r, s, sizeof(s)), "signal 9");
	r.outcome = CHILD_TIMEOUT;
	CHECK_EQ_STR(child_describe(&r, s, sizeof(s)), "timed out");
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);	/* as child.h asks */
	RUN(big_input_echoed_without_deadlock);
	RUN(first_line_before_the_end);
	RUN(timeout_kills_the_group);
	RUN(timeout_after_the_answer);
	RUN(leftovers_killed_when_it_exits);
	RUN(output_bound);
	RUN(no_line_then_exit);
	RUN(cannot_start);
	return unit_summary();
}
