# libhss — build, test and demo. `make help` lists the targets. `make check` (the inner loop),
# `make test` (what CI runs) and `make demo` work on a fresh Debian machine as root: the Debian
# packages they lack are installed first, by the one rule that does so (`deps`), which says which.

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
VENV_WHEELS := $(VENV)/wheels/.downloaded

# Link flags that make the SwiftPM product a self-contained libhss.so.1:
# static Swift runtime, our SONAME, only hss_* exported, full RELRO, no RUNPATH; DWARF 4 debug
# information in the unstripped build (.build/release/libhss.so), which Debian 12's valgrind (make
# bench's profile) cannot read as DWARF 5.
# The smallest file that keeps the wheel's manylinux_2_34 tag (issue 24; bench/README.md, Library
# size): the toolchain's lld with identical code folding (ld64 folds Swift code the same way by
# default), and the Unicode name tables left out (Sources/CRuntimeTrims/trims.c). Not
# -z pack-relative-relocs: RELR needs glibc 2.36 (GLIBC_ABI_DT_RELR), and the tag would follow.
# Not -static-libgcc: its unwinder calls _dl_find_object (glibc 2.35), and the tag would follow.
# libstdc++ is linked in too: the toolchain's static-stdlib arguments ask for -lstdc++, and
# $(STDCXX_DIR), searched before GCC's own directory, holds only libstdc++.a, so -lstdc++ finds the
# archive. The library takes the little of it the Swift runtime uses (operator new, std::string's
# growth, __cxa_guard_*; GCC's demangler left out with --wrap, trims.c), and no process that loads
# libhss.so.1 loads libstdc++.so.6, whose initialisers (iostreams, locales) were most of the time
# libhss took to load (bench/results/latest.md: library load, and the command against curl).
STDCXX_DIR := $(BUILD)/link
SWIFT_LIB_FLAGS := -c release --product hss --disable-local-rpath \
	-Xswiftc -static-stdlib \
	-Xlinker -soname=libhss.so.$(SOVERSION) \
	-Xlinker --version-script=$(CURDIR)/Sources/HSSBoundary/libhss.map \
	-Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now \
	-Xswiftc -use-ld=lld -Xlinker --icf=all -Xlinker --wrap=_swift_stdlib_getScalarName \
	-Xswiftc -L$(CURDIR)/$(STDCXX_DIR) -Xlinker --wrap=__cxa_demangle \
	-Xswiftc -dwarf-version=4 -Xcc -gdwarf-4

# The Debian packages each kind of target needs (besides Swift); each target asks for its lists only,
# so that `make lib` installs no test tool and `make lint` no valgrind or groff.
BUILD_PACKAGES := libcurl4-openssl-dev libssl-dev libyaml-dev pkg-config gcc g++ make
VENV_PACKAGES := python3 python3-venv
LINT_PACKAGES := clang-format
# (g++ brings libstdc++.a, which make lib links in, and make check compiles the header as C++.)
# make check: the test CA (openssl); make test: the manuals; make check-all: valgrind's memcheck
CHECK_PACKAGES := openssl
TEST_PACKAGES := man-db groff-base
ALL_PACKAGES := valgrind
DEB_PACKAGES := debhelper dh-python lintian build-essential
SOURCES := $(shell find Sources -type f) include/hss.h Package.swift

CWARN := -std=c99 -Wall -Wextra -Wpedantic -Werror
EXAMPLE := $(BUILD)/examples/upload_command
CLI := $(BUILD)/bin/hss-image-upload-command

# Installation layout (GNU-style variables; DESTDIR for staging).
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR_INSTALL ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Debian's python3 reads /usr/lib/python3/dist-packages and /usr/local/lib/python3.X/dist-packages.
PY3_VERSION := $(shell /usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYTHONDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python$(PY3_VERSION)/dist-packages)

DEB_DIR := $(BUILD)/deb

.PHONY: all help deps venv-deps lint-deps check-deps test-deps deb-deps all-deps lib cli venv install uninstall deb bench \
	bench-compare print-version check check-swift check-suites test test-suites test-fuzz-smoke long-suites lint format demo clean

## all: the library and the command (build/lib, build/bin); the default
all: lib cli

## help: this list
help:
	@sed -n 's/^## \([^:]*\): /\1\t/p' $(MAKEFILE_LIST) | expand -t 16

# The one rule that installs Debian packages (as root, as on CI and fresh machines): it says what
# it installs for which target, then apt-get installs it. APT_WANTED= on the command line turns it
# off (bindings/python/setup.py does, for `make lib` in a pip build).
deps: APT_WANTED = $(BUILD_PACKAGES)
venv-deps: APT_WANTED = $(VENV_PACKAGES)
lint-deps: APT_WANTED = $(VENV_PACKAGES) $(LINT_PACKAGES)
check-deps: APT_WANTED = $(BUILD_PACKAGES) $(VENV_PACKAGES) $(CHECK_PACKAGES)
test-deps: APT_WANTED = $(BUILD_PACKAGES) $(VENV_PACKAGES) $(LINT_PACKAGES) $(CHECK_PACKAGES) $(TEST_PACKAGES) \
	$(DEB_PACKAGES)
deb-deps: APT_WANTED = $(BUILD_PACKAGES) $(DEB_PACKAGES)
all-deps: APT_WANTED = $(BUILD_PACKAGES) $(VENV_PACKAGES) $(LINT_PACKAGES) $(CHECK_PACKAGES) $(TEST_PACKAGES) \
	$(DEB_PACKAGES) $(ALL_PACKAGES)
deps venv-deps lint-deps check-deps test-deps deb-deps all-deps:
	@missing=$$(for p in $(APT_WANTED); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make $@: installing Debian packages:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

## lib: build/lib/libhss.so.1 (swift build -c release, self-contained)
lib: $(LIB_SONAME)

$(LIB_REAL): $(SOURCES) | deps $(STDCXX_DIR)/libstdc++.a
	$(SWIFT) build $(SWIFT_LIB_FLAGS)
	@mkdir -p $(LIBDIR)
	strip --strip-unneeded -o $@ .build/release/libhss.so

$(STDCXX_DIR)/libstdc++.a: | deps
	@archive=$$($(CC) -print-file-name=libstdc++.a); \
	if [ "$$archive" = libstdc++.a ]; then echo "make lib: $(CC) finds no libstdc++.a (apt-get install g++)" >&2; exit 1; fi; \
	mkdir -p $(@D) && ln -sf "$$archive" $@

$(LIB_SONAME): $(LIB_REAL)
	ln -sf libhss.so.$(VERSION) $(LIBDIR)/libhss.so.$(SOVERSION)
	ln -sf libhss.so.$(SOVERSION) $(LIBDIR)/libhss.so

## venv: .venv, the Python the tests and lint run with (Tests/requirements.txt)
venv: $(VENV_STAMP) $(VENV_WHEELS)

$(VENV_STAMP): Tests/requirements.txt packaging/wheel/requirements.txt | venv-deps
	@echo "make venv: installing Tests/requirements.txt into $(VENV) (pip)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r Tests/requirements.txt
	touch $@

# The venv also keeps wheels of setuptools and pytest (with what it needs), so that the packaging
# tests can build the binding the way pip does, and run pytest on the installed emulator's fixture,
# without fetching anything (tests reach only 127.0.0.1).
$(VENV_WHEELS): Tests/requirements.txt packaging/wheel/requirements.txt | $(VENV_STAMP)
	$(VENV)/bin/pip download -q --disable-pip-version-check --only-binary=:all: -d $(VENV)/wheels \
		"$$(grep '^setuptools==' packaging/wheel/requirements.txt)" "$$(grep '^pytest==' Tests/requirements.txt)"
	touch $@

$(EXAMPLE): examples/upload_command.c include/hss.h $(LIB_SONAME)
	@mkdir -p $(dir $@)
	$(CC) $(CWARN) -Iinclude -o $@ $< -L$(LIBDIR) -lhss

## cli: build/bin/hss-image-upload-command
cli: $(CLI)

# The shell command is a small C program over the public header (bindings/shell/src/command.h
# says what each file does). Its --list-regions prints the library's built-in table, taken from
# the one place it is written (Regions.swift) as a list of C strings.
CLI_SOURCES := $(wildcard bindings/shell/src/*.c)
CLI_REGIONS := $(BUILD)/gen/regions.h
$(CLI_REGIONS): Sources/HSSPipeline/Regions.swift
	@mkdir -p $(dir $@)
	sed -n '/static let all: \[String\] = \[/,/\]/p' $< | grep -o '"[a-z0-9-]*"' | sed 's/$$/,/' > $@.tmp
	test -s $@.tmp && mv $@.tmp $@

$(CLI): $(CLI_SOURCES) $(wildcard bindings/shell/src/*.h) $(CLI_REGIONS) include/hss.h $(LIB_SONAME)
	@mkdir -p $(dir $@)
	$(CC) $(CWARN) -D_POSIX_C_SOURCE=200809L $(CPPFLAGS) $(CFLAGS) -Iinclude -I$(dir $(CLI_REGIONS)) -o $@ \
		$(CLI_SOURCES) $(LDFLAGS) -L$(LIBDIR) -lhss

# Style, checked by `make lint` (part of make test) and applied by `make format`:
# swift format (.swift-format), clang-format (.clang-format) and ruff (ruff.toml).
# The public header is laid out by hand (aligned field comments), so clang-format skips it.
SWIFT_FORMAT_PATHS := Package.swift Sources Tests/HSSTests bench/sign Fuzz/common Fuzz/targets
C_FORMAT_FILES = $(filter-out include/hss.h,$(shell git ls-files '*.c' '*.h'))
PY_LINT_PATHS := bindings Tests bench Fuzz

## lint: swift format, clang-format and ruff, checking only (part of make test)
lint: $(VENV_STAMP) | lint-deps
	$(SWIFT) format lint --strict -r $(SWIFT_FORMAT_PATHS)
	clang-format --dry-run -Werror --style=file $(C_FORMAT_FILES)
	$(VENV)/bin/ruff check $(PY_LINT_PATHS)

## format: the same tools, rewriting what they can
format: $(VENV_STAMP) | lint-deps
	$(SWIFT) format format -i -r $(SWIFT_FORMAT_PATHS)
	clang-format -i --style=file $(C_FORMAT_FILES)
	$(VENV)/bin/ruff check --fix $(PY_LINT_PATHS)

# ----------------------------------------------------------------------------- the tests
# Three speeds. Each test runs in exactly one of them: Tests/conftest.py's markers say which
# tests need more than the library, the command and the venv (TEST_MARKS, make test), or build
# the library again from source or run under valgrind (LONG_MARKS, make check-all); all the
# others are make check's.
TEST_MARKS := packaging or man_pages or soak
LONG_MARKS := long_build or valgrind
# PYTEST_ARGS: more pytest arguments, e.g. make check PYTEST_ARGS=-x
PYTEST = HSS_LIB_DIR=$(CURDIR)/$(LIBDIR) HSS_BIN_DIR=$(CURDIR)/$(BUILD)/bin HSS_DEB_DIR=$(CURDIR)/$(DEB_DIR) \
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

## check: the inner loop, under 3 minutes: build, Swift unit tests, the C-level, Python and command suites
check: | check-deps
	@$(MAKE) --no-print-directory -j3 check-swift check-suites

# The Swift unit tests (Tests/HSSTests: signing vectors, the redactor, the readers...), in a
# scratch folder of their own so that they build while make lib builds .build/release; their
# output goes to a log, shown if they fail.
SWIFT_TEST_LOG := $(BUILD)/swift-test.log
check-swift: | deps
	@mkdir -p $(BUILD) && echo "make check-swift: swift test (log: $(SWIFT_TEST_LOG))"
	@if $(SWIFT) test --disable-swift-testing --scratch-path .build-tests >$(SWIFT_TEST_LOG) 2>&1; then \
		grep -E "Executed [0-9]+ tests?" $(SWIFT_TEST_LOG) | tail -1; \
	else cat $(SWIFT_TEST_LOG); echo "make check-swift: swift test failed"; exit 1; fi

# The emulator, C API (ABI, canary grid, retries, identity, network), Python binding and shell
# command suites, driven by pytest against the bundled emulator, in two workers (pytest-xdist;
# loadfile: each module's tests in one worker, in order): most tests wait on a child or a server.
check-suites: $(LIB_SONAME) $(CLI) $(VENV_STAMP) | check-deps
	$(PYTEST) -n 2 --dist loadfile -m "not ($(TEST_MARKS) or $(LONG_MARKS))" Tests

## test: what CI runs, under 8 minutes: make check, lint, then the packages, manual pages, soak, fuzz smoke
test: test-deps check lint
	@$(MAKE) --no-print-directory -j2 test-suites test-fuzz-smoke

# What make check leaves out: the wheel and (as root) the .debs built and proved, pip installing
# the binding into a fresh venv, the manual pages rendered and their examples run, 10,000 calls
# for memory growth.
test-suites: $(LIB_SONAME) $(CLI) $(VENV_STAMP) $(VENV_WHEELS) wheel $(if $(filter 0,$(shell id -u)),deb) | test-deps
	$(PYTEST) -m "($(TEST_MARKS)) and not ($(LONG_MARKS))" Tests

# make fuzz-smoke beside test-suites (its build is mostly one compiler at a time), its output in
# a log, shown if it fails.
FUZZ_SMOKE_LOG := $(BUILD)/fuzz-smoke.log
test-fuzz-smoke: | deps
	@mkdir -p $(BUILD) && echo "make test-fuzz-smoke: make fuzz-smoke (log: $(FUZZ_SMOKE_LOG))"
	@if $(MAKE) --no-print-directory fuzz-smoke >$(FUZZ_SMOKE_LOG) 2>&1; then sed -n '/^target /,$$p' $(FUZZ_SMOKE_LOG); \
	else cat $(FUZZ_SMOKE_LOG); echo "make test-fuzz-smoke: make fuzz-smoke failed"; exit 1; fi

# The long ones: the sdist building the library with Swift, a planted header/export mismatch that
# must fail the library's build, and the C-level cases under valgrind memcheck.
long-suites: $(LIB_SONAME) $(CLI) $(VENV_STAMP) $(VENV_WHEELS) wheel | all-deps
	$(PYTEST) -m "$(LONG_MARKS)" Tests

# The library built with ASan + UBSan, then with TSan, apart from build/lib (.build-asan, .build-tsan,
# build/sanitize/), and the C-level suite run against each with the emulator, plus 64 threads x
# 1,000 calls on one client under TSan: zero reports (Tests/sanitize/run.sh). About 5 minutes on
# 2 cores, so not in make test.
.PHONY: sanitize check-all
## sanitize: the C-level suite against the library built with ASan+UBSan, then TSan (about 5 minutes)
sanitize: $(VENV_STAMP) | check-deps
	SWIFT=$(SWIFT) PYTHON=$(CURDIR)/$(VENV)/bin/python Tests/sanitize/run.sh

## check-all: make test, then the long builds (sdist with Swift, planted ABI mismatch), valgrind, sanitize, fuzz
check-all: all-deps test long-suites sanitize fuzz

## demo: the example program against Huawei Cloud, or the local emulator without credentials
demo: $(EXAMPLE) $(CLI) | venv-deps
	@examples/demo.sh $(EXAMPLE)

## install: the library, header, pkg-config file, command, manuals and Python packages (PREFIX, DESTDIR)
install: $(LIB_SONAME) $(CLI) install-emulator install-man
	install -d $(DESTDIR)$(LIBDIR_INSTALL)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(PYTHONDIR)/hss
	install -m 0644 $(LIB_REAL) $(DESTDIR)$(LIBDIR_INSTALL)/
	ln -sf libhss.so.$(VERSION) $(DESTDIR)$(LIBDIR_INSTALL)/libhss.so.$(SOVERSION)
	ln -sf libhss.so.$(SOVERSION) $(DESTDIR)$(LIBDIR_INSTALL)/libhss.so
	install -m 0644 include/hss.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR_INSTALL)|' -e 's|@VERSION@|$(VERSION)|' \
		pkgconfig/hss.pc.in > $(DESTDIR)$(LIBDIR_INSTALL)/pkgconfig/hss.pc
	install -m 0644 bindings/python/hss/*.py bindings/python/hss/py.typed $(DESTDIR)$(PYTHONDIR)/hss/
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/
	install -m 0644 bindings/shell/hss-image-upload-command.bash-completion \
		$(DESTDIR)$(BASHCOMPDIR)/hss-image-upload-command
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

# Every manual page. Their .TH lines say "libhss @VERSION@": the version is filled in here, from
# hss.h, so that a release touches no page (make install, and so the Debian packages; the wheel
# ships no manual page). An alias page (".so man3/<page>.3") has no .TH and is copied as is.
MAN_PAGES := man/man3/*.3 bindings/shell/hss-image-upload-command.1 man/man1/hss-emulator.1
.PHONY: install-man
install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	for page in $(MAN_PAGES); do \
		dest=$(DESTDIR)$(MANDIR)/man$${page##*.}/$$(basename $$page); \
		sed 's/@VERSION@/$(VERSION)/g' $$page >$$dest && chmod 0644 $$dest || exit 1; \
	done

# The HSS emulator (hss-emulator(1)): the command, its manual, the Python packages _hss_testing and
# hss.testing, and a dist-info whose entry point makes pytest load the hss_emulator fixture.
EMULATOR_DIST_INFO := hss_emulator-$(VERSION).dist-info
.PHONY: install-emulator
install-emulator:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(PYTHONDIR)/_hss_testing \
		$(DESTDIR)$(PYTHONDIR)/hss/testing $(DESTDIR)$(PYTHONDIR)/$(EMULATOR_DIST_INFO)
	install -m 0755 bindings/python/hss-emulator $(DESTDIR)$(BINDIR)/
	install -m 0644 bindings/python/_hss_testing/*.py $(DESTDIR)$(PYTHONDIR)/_hss_testing/
	install -m 0644 bindings/python/hss/testing/*.py $(DESTDIR)$(PYTHONDIR)/hss/testing/
	printf 'Metadata-Version: 2.1\nName: hss-emulator\nVersion: %s\nSummary: %s\n' '$(VERSION)' \
		'A local emulator of Huawei Cloud HSS for tests (hss-emulator(1))' \
		>$(DESTDIR)$(PYTHONDIR)/$(EMULATOR_DIST_INFO)/METADATA
	printf '[pytest11]\nhss_emulator = _hss_testing.pytest_plugin\n' \
		>$(DESTDIR)$(PYTHONDIR)/$(EMULATOR_DIST_INFO)/entry_points.txt

## uninstall: removes what make install installed
uninstall:
	rm -f $(DESTDIR)$(LIBDIR_INSTALL)/libhss.so* $(DESTDIR)$(LIBDIR_INSTALL)/pkgconfig/hss.pc \
		$(DESTDIR)$(INCLUDEDIR)/hss.h $(DESTDIR)$(BINDIR)/hss-image-upload-command \
		$(DESTDIR)$(MANDIR)/man1/hss-image-upload-command.1 $(DESTDIR)$(BASHCOMPDIR)/hss-image-upload-command
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(wildcard man/man3/*.3)))
	rm -rf $(DESTDIR)$(PYTHONDIR)/hss $(DESTDIR)$(PYTHONDIR)/_hss_testing $(DESTDIR)$(PYTHONDIR)/$(EMULATOR_DIST_INFO)
	rm -f $(DESTDIR)$(BINDIR)/hss-emulator $(DESTDIR)$(MANDIR)/man1/hss-emulator.1

# Debian packages from a copy of the tree, then lintian (0 errors, 0 warnings). The copy gets the
# library make lib built, copied after the sources so that debian/rules' `make lib` finds it up to
# date (one Swift build, not two; -nc: no clean to remove it first); the command is compiled there
# again, with Debian's hardening flags. debian/rules' make is not one of ours: no MAKEFLAGS (-j).
## deb: the Debian packages (build/deb), checked by lintian
deb: $(LIB_SONAME) | deb-deps
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/libhss-$(VERSION)
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp -P --parents -t $(DEB_DIR)/libhss-$(VERSION)
	cp -P --parents $(LIB_REAL) $(LIB_SONAME) $(LIBDIR)/libhss.so -t $(DEB_DIR)/libhss-$(VERSION)
	cd $(DEB_DIR)/libhss-$(VERSION) && MAKEFLAGS= PATH="$(dir $(SWIFT)):$$PATH" dpkg-buildpackage -us -uc -b -nc
	lintian --fail-on error,warning --info $(DEB_DIR)/*.changes

# Python distributions (packaging/wheel/build.sh): dist/libhss-<version>-py3-none-manylinux_*.whl,
# the package with libhss.so.1 and the libraries it needs (libcurl, OpenSSL...) inside, repaired by
# auditwheel; and dist/libhss-<version>.tar.gz, which builds the library from source with Swift.
.PHONY: wheel sdist
## wheel: dist/libhss-*.whl, the binding with libhss.so.1 and what it needs inside
wheel: $(LIB_SONAME) | venv-deps
	PYTHON=$(PYTHON) packaging/wheel/build.sh wheel $(LIB_SONAME) dist

## sdist: dist/libhss-*.tar.gz, which builds the library with Swift
sdist: | venv-deps
	PYTHON=$(PYTHON) packaging/wheel/build.sh sdist dist

# Fuzzing (Fuzz/README.md): libFuzzer targets over the library's sources, built with
# swiftc -sanitize=fuzzer,address into build/fuzz. `make fuzz` runs each target for FUZZ_SECONDS
# from its seed corpus; `make fuzz-smoke` replays every seed and regression input, then fuzzes
# each target for FUZZ_SMOKE_SECONDS. Crashes are saved under build/fuzz/crashes/<target>/.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
.PHONY: fuzz fuzz-build fuzz-smoke
fuzz-build: | deps
	Fuzz/build.sh $(BUILD)/fuzz

## fuzz: each fuzz target for FUZZ_SECONDS (default 60) from its corpus
fuzz: fuzz-build
	Fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

## fuzz-smoke: every corpus input replayed, then FUZZ_SMOKE_SECONDS per target (part of make test)
fuzz-smoke: fuzz-build
	Fuzz/run.sh --smoke $(BUILD)/fuzz $(FUZZ_SMOKE_SECONDS)

# Benchmarks (never part of make test): see bench/README.md.
## bench: the benchmarks (bench/README.md), never part of a test target
bench: lib
	bench/run.sh

# Instructions per successful call, the working tree against BASE (default: the last commit).
BASE ?= HEAD
## bench-compare: instructions per call, the working tree against BASE (default HEAD)
bench-compare: lib
	bench/compare.sh $(BASE)

print-version:
	@echo $(VERSION)

## clean: removes every build product and the venv
clean:
	rm -rf $(BUILD) .build .build-tests $(VENV) dist
