# libhss — build, test and demo. `make demo` and `make test` work on a fresh
# Debian machine as root: they install what they lack first.

SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
PYTHON ?= python3
CC ?= cc

VERSION := $(shell sed -n 's/^\#define HSS_VERSION_STRING "\(.*\)"/\1/p' include/hss.h)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))

BUILD := build
LIBDIR := $(BUILD)/lib
LIB_REAL := $(LIBDIR)/libhss.so.$(VERSION)
LIB_SONAME := $(LIBDIR)/libhss.so.$(SOVERSION)
VENV := .venv
VENV_STAMP := $(VENV)/.installed

# Link flags that make the SwiftPM product a self-contained libhss.so.1:
# static Swift runtime, our SONAME, only hss_* exported, full RELRO, no RUNPATH.
SWIFT_LIB_FLAGS := -c release --product hss --disable-local-rpath \
	-Xswiftc -static-stdlib \
	-Xlinker -soname=libhss.so.$(SOVERSION) \
	-Xlinker --version-script=$(CURDIR)/Sources/HSS/libhss.map \
	-Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now

APT_PACKAGES := libcurl4-openssl-dev libssl-dev pkg-config openssl valgrind gcc g++ make python3 python3-venv
SOURCES := $(shell find Sources -type f) include/hss.h Package.swift

CWARN := -std=c99 -Wall -Wextra -Wpedantic -Werror
EXAMPLE := $(BUILD)/examples/upload_command

.PHONY: all deps lib venv test test-swift test-c demo clean

all: lib

# Install missing Debian packages (needs root, as on CI and fresh machines).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

lib: $(LIB_SONAME)

$(LIB_REAL): $(SOURCES) | deps
	$(SWIFT) build $(SWIFT_LIB_FLAGS)
	@mkdir -p $(LIBDIR)
	strip --strip-unneeded -o $@ .build/release/libhss.so

$(LIB_SONAME): $(LIB_REAL)
	ln -sf libhss.so.$(VERSION) $(LIBDIR)/libhss.so.$(SOVERSION)
	ln -sf libhss.so.$(SOVERSION) $(LIBDIR)/libhss.so

venv: $(VENV_STAMP)

$(VENV_STAMP): Tests/requirements.txt | deps
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r Tests/requirements.txt
	touch $@

$(EXAMPLE): examples/upload_command.c include/hss.h $(LIB_SONAME)
	@mkdir -p $(dir $@)
	$(CC) $(CWARN) -Iinclude -o $@ $< -L$(LIBDIR) -lhss

test: test-swift test-c

# Signing known-answer vectors and unit tests of the Swift internals.
test-swift: | deps
	$(SWIFT) test --disable-swift-testing

# The C API, ABI, emulator and canary tests, driven by pytest.
test-c: $(LIB_SONAME) $(VENV_STAMP)
	HSS_LIB_DIR=$(CURDIR)/$(LIBDIR) $(VENV)/bin/python -m pytest -q Tests

demo: $(EXAMPLE) | deps
	@examples/demo.sh $(EXAMPLE)

clean:
	rm -rf $(BUILD) .build $(VENV)
