# meshinit - see README.md. `make help` lists the targets.
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
BUILD ?= build
VERSION := 0.1.0

PKGS := libnftnl libmnl libcap
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wwrite-strings -Wformat=2 -Wvla -Wundef -fno-common
BASE_CFLAGS := -std=gnu11 $(WARN) -Iinclude -DMI_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
OPT_CFLAGS ?= -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
SAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

SRCS := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))

all: meshinit

meshinit: $(SRCS) $(wildcard include/*.h) Makefile
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -o $@ $(SRCS) $(PKG_LIBS)

.PHONY: all clean help
clean:
	rm -rf meshinit $(BUILD)

include mk/*.mk
