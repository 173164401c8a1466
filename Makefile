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
VENV_WHEELS := $(VENV)/wheels/.downloaded

# Link flags that make the SwiftPM product a self-contained libhss.so.1:
# static Swift runtime, our SONAME, only hss_* exported, full RELRO, no RUNPATH; DWARF 4 debug
# information in the unstripped build (.build/release/libhss.so), which Debian 12's valgrind (make
# bench's profile) cannot read as DWARF 5.
# The smallest file that keeps the wheel's manylinux_2_34 tag (issue 24; bench/README.md, Library
# size): the toolchain's lld with identical code folding (ld64 folds Swift code the same way by
# default), and the Unicode name tables left out (Sources/CRuntimeTrims/trims.c). Not
# -z pack-relative-relocs: RELR needs glibc 2.36 (GLIBC_ABI_DT_RELR), and the tag would follow.
SWIFT_LIB_FLAGS := -c release --product hss --disable-local-rpath \
	-Xswiftc -static-stdlib \
	-Xlinker -soname=libhss.so.$(SOVERSION) \
	-Xlinker --version-script=$(CURDIR)/Sources/HSSBoundary/libhss.map \
	-Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now \
	-Xswiftc -use-ld=lld -Xlinker --icf=all -Xlinker --wrap=_swift_stdlib_getScalarName \
	-Xswiftc -dwarf-version=4 -Xcc -gdwarf-4

# What building the library needs (besides Swift), and what only the tests,
# the demo and the packaging need: `make lib` installs only the first list.
BUILD_PACKAGES := libcurl4-openssl-dev libssl-dev libyaml-dev pkg-config gcc make
TEST_PACKAGES := openssl valgrind g++ python3 python3-venv man-db groff-base clang-format
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
DEB_PACKAGES := debhelper dh-python lintian build-essential

.PHONY: all deps test-deps lib cli venv install uninstall deb bench bench-compare print-version test test-swift test-integration lint format demo clean

all: lib cli

# Install missing Debian packages (needs root, as on CI and fresh machines).
deps: APT_WANTED = $(BUILD_PACKAGES)
test-deps: APT_WANTED = $(BUILD_PACKAGES) $(TEST_PACKAGES)
deps test-deps:
	@missing=$$(for p in $(APT_WANTED); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
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

venv: $(VENV_STAMP) $(VENV_WHEELS)

$(VENV_STAMP): Tests/requirements.txt packaging/wheel/requirements.txt | test-deps
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

test: lint test-swift test-integration fuzz-smoke

# Style, checked by `make lint` (part of make test) and applied by `make format`:
# swift format (.swift-format), clang-format (.clang-format) and ruff (ruff.toml).
# The public header is laid out by hand (aligned field comments), so clang-format skips it.
SWIFT_FORMAT_PATHS := Package.swift Sources Tests/HSSTests bench/sign Fuzz/common Fuzz/targets
C_FORMAT_FILES = $(filter-out include/hss.h,$(shell git ls-files '*.c' '*.h'))
PY_LINT_PATHS := bindings Tests bench Fuzz

lint: $(VENV_STAMP) | test-deps
	$(SWIFT) format lint --strict -r $(SWIFT_FORMAT_PATHS)
	clang-format --dry-run -Werror --style=file $(C_FORMAT_FILES)
	$(VENV)/bin/ruff check $(PY_LINT_PATHS)

format: $(VENV_STAMP) | test-deps
	$(SWIFT) format format -i -r $(SWIFT_FORMAT_PATHS)
	clang-format -i --style=file $(C_FORMAT_FILES)
	$(VENV)/bin/ruff check --fix $(PY_LINT_PATHS)

# Signing known-answer vectors and unit tests of the Swift internals.
test-swift: | test-deps
	$(SWIFT) test --disable-swift-testing

# The emulator, C API, ABI, canary, Python binding and shell command tests,
# driven by pytest against the bundled emulator.
# As root it also builds the .debs, for the installed-package proof (Tests/test_deb.py).
test-integration: $(LIB_SONAME) $(CLI) $(VENV_STAMP) $(VENV_WHEELS) wheel $(if $(filter 0,$(shell id -u)),deb)
	HSS_LIB_DIR=$(CURDIR)/$(LIBDIR) HSS_BIN_DIR=$(CURDIR)/$(BUILD)/bin HSS_DEB_DIR=$(CURDIR)/$(DEB_DIR) \
		$(VENV)/bin/python -m pytest -q Tests

# The library built with ASan + UBSan, then with TSan, apart from build/lib (.build-asan, .build-tsan,
# build/sanitize/), and the C-level suite run against each with the emulator, plus 64 threads x
# 1,000 calls on one client under TSan: zero reports (Tests/sanitize/run.sh). About 5 minutes on
# 2 cores, so not in make test; make check-all runs everything.
.PHONY: sanitize check-all
sanitize: $(VENV_STAMP) | test-deps
	SWIFT=$(SWIFT) PYTHON=$(CURDIR)/$(VENV)/bin/python Tests/sanitize/run.sh

check-all: test sanitize fuzz

demo: $(EXAMPLE) $(CLI) | test-deps
	@examples/demo.sh $(EXAMPLE)

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

uninstall:
	rm -f $(DESTDIR)$(LIBDIR_INSTALL)/libhss.so* $(DESTDIR)$(LIBDIR_INSTALL)/pkgconfig/hss.pc \
		$(DESTDIR)$(INCLUDEDIR)/hss.h $(DESTDIR)$(BINDIR)/hss-image-upload-command \
		$(DESTDIR)$(MANDIR)/man1/hss-image-upload-command.1 $(DESTDIR)$(BASHCOMPDIR)/hss-image-upload-command
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(wildcard man/man3/*.3)))
	rm -rf $(DESTDIR)$(PYTHONDIR)/hss $(DESTDIR)$(PYTHONDIR)/_hss_testing $(DESTDIR)$(PYTHONDIR)/$(EMULATOR_DIST_INFO)
	rm -f $(DESTDIR)$(BINDIR)/hss-emulator $(DESTDIR)$(MANDIR)/man1/hss-emulator.1

# Debian packages from a copy of the tree, then lintian (0 errors, 0 warnings).
deb: | test-deps
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/libhss-$(VERSION)
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp -P --parents -t $(DEB_DIR)/libhss-$(VERSION)
	cd $(DEB_DIR)/libhss-$(VERSION) && PATH="$(dir $(SWIFT)):$$PATH" dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning --info $(DEB_DIR)/*.changes

# Python distributions (packaging/wheel/build.sh): dist/libhss-<version>-py3-none-manylinux_*.whl,
# the package with libhss.so.1 and the libraries it needs (libcurl, OpenSSL...) inside, repaired by
# auditwheel; and dist/libhss-<version>.tar.gz, which builds the library from source with Swift.
.PHONY: wheel sdist
wheel: $(LIB_SONAME) | test-deps
	PYTHON=$(PYTHON) packaging/wheel/build.sh wheel $(LIB_SONAME) dist

sdist: | test-deps
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

fuzz: fuzz-build
	Fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	Fuzz/run.sh --smoke $(BUILD)/fuzz $(FUZZ_SMOKE_SECONDS)

# Benchmarks (never part of make test): see bench/README.md.
bench: lib
	bench/run.sh

# Instructions per successful call, the working tree against BASE (default: the last commit).
BASE ?= HEAD
bench-compare: lib
	bench/compare.sh $(BASE)

print-version:
	@echo $(VERSION)

clean:
	rm -rf $(BUILD) .build $(VENV) dist
