/*
 * store_backend: what a store backend fills. One file per backend
 * (store_sqlite.c, store_dynamodb.c); store.c picks one by the URI
 * scheme and dispatches. Programs never include this header.
 */
#ifndef IR_STORE_BACKEND_H
#define IR_STORE_BACKEND_H

#include "store.h"

struct store_ops {
	const char *scheme;		/* "sqlite" */
	void	*(*open)(const char *rest, char *err, size_t errsz);
	void	 (*close)(void *);
	const char *(*error)(void *);
	int	 (*item_states)(void *, const char *const *, size_t,
		    struct store_item_state *);
	int	 (*note_moves)(void *, const struct store_move_note *, size_t);
	int	 (*create_pending)(void *, const struct store_order *,
		    const char *, struct store_order *);
	int	 (*get_order)(void *, const char *, struct store_order *);
	int	 (*transition)(void *, const struct store_transition *,
		    struct store_order *);
	int	 (*last_audit)(void *, const char *, const char *,
		    struct store_audit *);
	int	 (*defer)(void *, const char *, time_t, const char *, size_t);
	int	 (*due)(void *, time_t,
		    int (*)(void *, const char *, const char *), void *);
	int	 (*undefer)(void *, const char *);
	int	 (*list_orders)(void *, const char *, const char *,
		    int (*)(void *, const struct store_order *), void *);
	int	 (*list_audit)(void *, const char *,
		    int (*)(void *, const struct store_audit *), void *);
	int	 (*list_items)(void *, const char *,
		    int (*)(void *, const struct store_item_state *), void *);
	int	 (*pos_event)(void *, const char *, const char *, long long,
		    const char *, long long *);
	int	 (*pos_seen)(void *, const char *);
	int	 (*pos_pending)(void *,
		    int (*)(void *, const char *, long long), void *);
	int	 (*pos_settle)(void *, const char *, long long, const char *,
		    const char *);
	int	 (*flush_get)(void *, struct store_flush *);
	int	 (*flush_swap)(void *, const char *, const char *,
		    const struct store_flush *);
	unsigned long (*round_trips)(void *);
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_dynamodb_ops;

#endif
