# inventory reorder bot: build, run, check.
# `make` builds bin/; `make run` runs the sample shop; `make check` runs every test.

VERSION   = 0.1.0
CC       ?= cc
PKGS      = jansson sqlite3 gmime-3.0 libcurl openssl expat libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# snprintf truncation is the intended bound everywhere, so that warning is off.
WARN      = -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-format-truncation
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DIR_VERSION='"$(VERSION)"' -Ilib $(WARN) $(CFLAGS) $(PKG_CFLAGS)
LDLIBS    = -lcsv $(PKG_LIBS) -lm

ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif
ifeq ($(WERROR),1)
ALL_CFLAGS += -Werror
endif

# every cmd/*.c is a program
PROGS   = $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
LIBSRC  = $(wildcard lib/*.c)
LIBOBJ  = $(LIBSRC:.c=.o)
BINS    = $(PROGS:%=bin/%)
UNITSRC = $(wildcard tests/unit/test_*.c)
UNITS   = $(UNITSRC:tests/unit/%.c=tests/unit/bin/%)

.PHONY: all deps run check unit bats lint valgrind clean install

all: $(BINS)

lib/libir.a: $(LIBOBJ)
	$(AR) rcs $@ $(LIBOBJ)

lib/%.o: lib/%.c $(wildcard lib/*.h)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

bin/%: cmd/%.c lib/libir.a
	@mkdir -p bin
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< lib/libir.a $(LDLIBS)

tests/unit/bin/%: tests/unit/%.c tests/unit/unit.h lib/libir.a
	@mkdir -p tests/unit/bin
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< lib/libir.a $(LDLIBS)

deps:
	@scripts/deps

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-sample

check: deps
	@$(MAKE) --no-print-directory WERROR=1 all $(UNITS)
	@scripts/lint
	@scripts/check $(UNITS)

unit: $(UNITS)
	@scripts/run-unit $(UNITS)

bats: all
	bats tests/bats

valgrind: $(UNITS)
	@VALGRIND=1 scripts/run-unit $(UNITS)

lint:
	@scripts/lint

clean:
	rm -rf bin lib/*.o lib/libir.a tests/unit/bin var

PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1
	-install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5
	-install -m 644 man/*.7 $(DESTDIR)$(PREFIX)/share/man/man7
