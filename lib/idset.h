/*
 * idset: exact duplicate detection over a stream of ids in bounded memory,
 * for ir-sync's "item_id appears earlier in the sheet" (rules.md: the
 * second occurrence is rejected, the first kept).
 *
 * Exact, never probabilistic: a good row is never taken for a duplicate,
 * and a duplicate never gets through. How, in at most about 5 MB whatever
 * the number of ids:
 *   - the first IDSET_EXACT ids are kept in memory and answered at once
 *     (a sheet of up to that many rows behaves as a plain hash set);
 *   - after that, every id goes into a Bloom filter (4 bytes an
 *     expected id, 128 kB to 3 MB) and, with its line, into an on-disk
 *     log split in 64 parts by hash. An id the filter has never seen is
 *     new for sure (most of them). An id it may have seen is a suspect:
 *     it and every record after it are held (in memory up to 1 MB, then
 *     in a temporary file, in order) until the suspects are settled by
 *     reading the parts of the log they hash to, comparing ids exactly.
 *     Held records then come out in their order; duplicates are handed
 *     back to be reported.
 * So records keep their order, and the cost of a large sheet is disk
 * (about 30 bytes per id, in the temporary directory) and some delay of
 * the output after a suspect, not memory. Messages about a held row
 * (other than "duplicate") come when it is read, before the duplicate
 * message of an earlier held row.
 *
 * A filter of 3 MB stops telling ids apart past a few million ids (one in
 * four is a suspect at 10M). For a sheet that large that can be read
 * twice, ir-sync reads the ids first: idset_pre_add for every id, then
 * idset_pre_done sorts them on disk (parts of at most 1 MB in memory) and
 * keeps the duplicates' lines, a bit a line, in a temporary file; then
 * idset_add answers IDSET_NEW or IDSET_DUP at once, for the same ids on
 * the same lines, reading that file in order. Exact, no record held,
 * memory flat; the cost is one more read of the ids.
 *
 * Ownership: the set owns its memory and temporary files; idset_free
 * releases them. Records passed to idset_hold are copied.
 */
#ifndef IR_IDSET_H
#define IR_IDSET_H

#include <stddef.h>
#include <stdint.h>

#define IDSET_EXACT	32768	/* ids answered from memory alone */
#define IDSET_ID_MAX	1024	/* longer ids: idset_add fails, EINVAL */

enum { IDSET_NEW = 0, IDSET_DUP = 1, IDSET_MAYBE = 2 };

struct idset;

struct idset *idset_new(void);
void	 idset_free(struct idset *);
/*
 * Looks id (n bytes, seen on line) up among the ids added before, and
 * adds it. IDSET_NEW: never seen. IDSET_DUP: seen before, for sure.
 * IDSET_MAYBE: a suspect: its record must go through idset_hold. -1: out
 * of memory or a temporary file failed (errno set), or id is longer than
 * IDSET_ID_MAX (EINVAL). Lines must increase from one call to the next.
 */
int	 idset_add(struct idset *, const char *id, size_t n,
	    unsigned long line);
/*
 * The same, with h = idset_hash(id, n) computed before, so that
 * idset_prefetch(h) can bring the filter's block into the cache while the
 * caller does other work with the row (the filter is megabytes: a lookup
 * is a cache miss, a tenth of ir-sync's time on 1M rows without this).
 */
uint64_t idset_hash(const char *id, size_t n);
void	 idset_prefetch(const struct idset *, uint64_t h);
int	 idset_add_hashed(struct idset *, const char *id, size_t n,
	    uint64_t h, unsigned long line);
/* Read first: see above. 0, or -1 (errno set). */
int	 idset_pre_add(struct idset *, const char *id, size_t n,
	    unsigned long line);
int	 idset_pre_done(struct idset *);
/* For tests: parts sorted in memory up to bytes (default 1 MB). */
void	 idset_pre_mem(struct idset *, size_t bytes);
/*
 * Sizes the filter for about n ids in all (before the first IDSET_EXACT
 * are in; later calls do nothing): 32 bits an id, 128 kB to 3 MB.
 */
void	 idset_expect(struct idset *, unsigned long n);
/* 1 while records are held: every record must go through idset_hold. */
int	 idset_holding(const struct idset *);
/*
 * Keeps the record of id (line, rec of len bytes) back; maybe is 1 when
 * idset_add said IDSET_MAYBE. 0, or -1 (errno set).
 */
int	 idset_hold(struct idset *, const char *id, size_t n,
	    unsigned long line, int maybe, const char *rec, size_t len);
/* 1 when the held records should be settled now (and at the end). */
int	 idset_due(const struct idset *);
/*
 * Settles the suspects and hands back every held record in order:
 * emit(ctx, rec, len) for a record to write (a non-zero return stops and
 * is returned), dup(ctx, id, line) for a duplicate. 0, or -1 (errno set).
 */
int	 idset_settle(struct idset *,
	    int (*emit)(void *, const char *, size_t),
	    void (*dup)(void *, const char *, unsigned long), void *ctx);

#endif
