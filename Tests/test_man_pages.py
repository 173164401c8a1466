"""The section-3 manual pages, man/man3 (issues 10, 21): hss(3), and one page per object or
operation that documents all its functions (hss_error(3): every hss_error_* function); each
other function's page is an alias, ".so man3/<page>.3", so that `man <function>` opens it. Each
page renders without a warning, states the header's prototype and the statuses of its "Returns:"
line for every function it documents, and its EXAMPLE, taken from the page as `man` shows it,
calls each of them, compiles with -Werror and runs against the emulator.

The sources carry no version: their .TH line says "libhss @VERSION@", which `make install-man`
(run by `make install`, and so by the Debian packages) fills in from hss.h.

Needs man-db and groff-base (man, lexgrog, groff); the test installs nothing.

The examples run with PATH=/usr/bin:/bin, LD_LIBRARY_PATH=<lib_dir>, LC_ALL=C, the loopback
harness's variables (conftest.py: HOME, and the metadata, IAM and STS endpoints on a closed port)
and:
    HUAWEICLOUD_SDK_AK, _SK, _PROJECT_ID, _ENDPOINT   the emulator, for hss_client_new_from_env
    HSS_AK, HSS_SK, HSS_PROJECT_ID, HSS_ENDPOINT      the same, for the examples that fill
                                                      hss_client_options themselves
    HSS_REGISTRY_PASSWORD                             the registry password
The example of hss_client_resolve also runs with the project id left to IAM (the emulator's), and
without credentials (every source of the chain fails).
"""

import functools
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.man_pages

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bindings" / "python"))
from _hss_testing import DEFAULT_AK as EMULATOR_AK  # noqa: E402
from _hss_testing import DEFAULT_SK as EMULATOR_SK  # noqa: E402
from _hss_testing import default_project_id  # noqa: E402

MAN3 = ROOT / "man" / "man3"
HEADER = ROOT / "include" / "hss.h"
HEADER_TEXT = HEADER.read_text()
VERSION = re.search(r'#define HSS_VERSION_STRING "(.*)"', HEADER_TEXT).group(1)

ALIAS = re.compile(r"\.so man3/(\w+)\.3\n")


def _pages() -> tuple:
    """([real pages], {alias: the page it opens})."""
    real, aliases = [], {}
    for path in sorted(MAN3.glob("*.3")):
        m = ALIAS.fullmatch(path.read_text())
        if m:
            aliases[path.stem] = m.group(1)
        else:
            real.append(path.stem)
    return real, aliases


PAGES, ALIASES = _pages()
FUNCTION_SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "RETURN VALUE", "EXAMPLE", "AVAILABILITY", "SEE ALSO"]
# The version that added each function, when not 1.0.0 (its page's AVAILABILITY says so).
ADDED_IN = {"hss_client_resolve": "1.1.0", "hss_client_setting": "1.1.0", "hss_client_setting_source": "1.1.0",
            "hss_error_attempts": "1.1.0", "hss_error_retryable": "1.2.0", "hss_client_set_trace_level": "1.2.0",
            "hss_image_upload_command_get_into": "1.2.0", "hss_image_upload_command_get_fields": "1.2.0",
            "hss_cancel_new": "1.2.0", "hss_cancel_trigger": "1.2.0",
            "hss_cancel_free": "1.2.0", "hss_image_upload_command_start": "1.2.0",
            "hss_client_resolve_start": "1.2.0", "hss_client_completion_fd": "1.2.0", "hss_client_dispatch": "1.2.0"}
SYMBOLS = ROOT / "debian" / "libhss1.symbols"
OVERVIEW_SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "CONVENTIONS", "ERRORS", "THREADS", "FORK", "SECRETS",
                     "TLS", "EXAMPLE", "AVAILABILITY", "SEE ALSO"]

PROJECT = "man-pages"
PASSWORD = "Man-Page-Pw-7"
# What an example that calls the service shows when the SK is wrong (the emulator answers
# 401 APIGW.0301, quoting the canonical request, whose query holds the password).
ON_401 = {
    # a 401 is never retried
    "hss_error": ["1 attempt(s), the last answered HTTP 401 APIGW.0301", "the service said:",
                  "Verify aksk signature fail"],
}


def man_env(**extra) -> dict:
    return {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "MANWIDTH": "80", **extra}


def need(tool: str) -> str:
    path = shutil.which(tool, path="/usr/bin:/bin")
    if path is None:
        pytest.fail("%s is not installed (Debian: man-db and groff-base)" % tool)
    return path


# ----------------------------------------------------------------------------- the header

def _declarations() -> dict:
    """name -> (prototype without HSS_API, text of the comment's "Returns:")."""
    out = {}
    for comment, decl in re.findall(r"/\*((?:(?!\*/).)*)\*/\s*(HSS_API[^;]*;)", HEADER_TEXT, re.S):
        name = re.search(r"\b(hss_\w+)\s*\(", decl).group(1)
        returns = comment.split("Returns:", 1)[1] if "Returns:" in comment else ""
        out[name] = (decl.replace("HSS_API", "", 1), " ".join(returns.replace("*", " ").split()))
    return out


DECLARATIONS = _declarations()
FUNCTIONS = sorted(DECLARATIONS)


def header_statuses(name: str) -> set:
    returns = DECLARATIONS[name][1]
    statuses = set(re.findall(r"\bHSS_(?:OK|E_[A-Z_]+)\b", returns))
    same = re.match(r"as (hss_\w+)", returns)
    return statuses | (header_statuses(same.group(1)) if same else set())


def squeeze(code: str) -> str:
    """C declaration text with its layout removed."""
    return re.sub(r"\s*([(),*;])\s*", r"\1", " ".join(code.split()))


# ----------------------------------------------------------------------------- the pages

@functools.lru_cache(maxsize=None)
def rendered(page: str) -> str:
    """The page as `man -l` shows it on an 80-column UTF-8 terminal (with groff's warnings on:
    there must be none)."""
    r = subprocess.run([need("man"), "--warnings", "-l", str(MAN3 / (page + ".3"))], env=man_env(),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout and r.stderr == "", r.stderr
    return r.stdout


def sections(page: str) -> dict:
    """Heading -> the text under it, as shown (the trailing page footer dropped)."""
    out, current = {}, None
    for line in rendered(page).splitlines()[1:]:
        if re.fullmatch(r"[A-Z][A-Z ]*", line):
            current = line
            out[current] = []
        elif current is not None:
            out[current].append(line)
    out[current] = out[current][:-1] if out[current] and out[current][-1].startswith("libhss") else out[current]
    return {k: "\n".join(v).strip("\n") for k, v in out.items()}


def example(page: str) -> str:
    return textwrap.dedent(sections(page)["EXAMPLE"]) + "\n"


def names(page: str) -> list:
    """The names of a page's NAME section, from the source (what lexgrog gives mandb)."""
    source = (MAN3 / (page + ".3")).read_text()
    line = " ".join(source.split("\n.SH NAME\n", 1)[1].split(" \\- ", 1)[0].split())
    return line.split(", ")


def documented(page: str) -> list:
    """The functions a page documents: those its NAME lists."""
    return [n for n in names(page) if n in DECLARATIONS]


PAGE_OF = {f: page for page in PAGES for f in documented(page)}


def calls_service(page: str) -> int:
    """How many times the page's EXAMPLE calls the service (read from the source: this decides
    the parameters, before anything is rendered)."""
    source = (MAN3 / (page + ".3")).read_text()
    code = source.split("\n.SH EXAMPLE\n", 1)[1].split("\n.SH ", 1)[0]
    return len(re.findall(r"hss_image_upload_command_get(?:_into|_fields)?\(\s*client,", code))


def test_every_function_is_documented_on_one_page_and_found_by_its_name():
    assert "hss" in PAGES and documented("hss") == []
    assert len(FUNCTIONS) == len(re.findall(r"^HSS_API ", HEADER_TEXT, re.M)), "a declaration without its comment"
    listed = [f for page in PAGES for f in documented(page)]
    assert sorted(listed) == FUNCTIONS, "each function in the NAME of exactly one page"
    for page in PAGES:
        # A page is named after its first function, or after its object (hss_error).
        assert names(page)[0] == page, page
        assert set(names(page)) - set(DECLARATIONS) <= {page}, page
    # Every other function has an alias that opens its page, and an alias is nothing else.
    assert ALIASES == {f: page for f, page in PAGE_OF.items() if f != page}


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_warnings(page):
    # The command lintian runs on every manual page of a package.
    path = MAN3 / (page + ".3")
    r = subprocess.run([need("man"), "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", str(path)],
                       env=man_env(MANROFFSEQ=""), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    # As a reader sees it: no warning either, and every line fits (but the title line, which
    # a long function name overflows on its own).
    wide = [line for line in rendered(page).splitlines()[1:] if len(line) > 80]
    assert wide == []
    # The whatis entries, for apropos and `man -k`: "name - description", one per name.
    whatis = subprocess.run([need("lexgrog"), str(path)], env=man_env(), capture_output=True, text=True)
    assert whatis.returncode == 0, whatis.stdout + whatis.stderr
    entries = re.findall(r'^%s: "(\w+) - \S.*"$' % re.escape(str(path)), whatis.stdout, re.M)
    assert entries == names(page) and whatis.stdout.count("\n") == len(entries), whatis.stdout


@pytest.mark.parametrize("page", PAGES)
def test_page_sections(page):
    source = (MAN3 / (page + ".3")).read_text()
    # The version is filled in at installation (see test_installed_pages_carry_the_version).
    assert re.search(r'^\.TH %s 3 \S+ "libhss @VERSION@" ' % re.escape(page), source, re.M)
    found = list(sections(page))
    wanted = OVERVIEW_SECTIONS if page == "hss" else FUNCTION_SECTIONS
    assert [s for s in found if s in wanted] == wanted, found
    # "Added in libhss 1.0.0", with the exceptions named: "...; hss_error_attempts in 1.1.0."
    availability = " ".join(sections(page)["AVAILABILITY"].split())
    first = re.match(r"Added in libhss (\d+\.\d+\.\d+)\b", availability).group(1)
    later = dict(re.findall(r"\b(hss_\w+) in (\d+\.\d+\.\d+)\b", availability))
    for name in documented(page) or [page]:
        assert later.get(name, first) == ADDED_IN.get(name, "1.0.0"), (name, availability)
    code = sections(page)["SYNOPSIS"] + sections(page)["EXAMPLE"]
    assert code.isascii(), "non-ASCII code: a \\- or \\(aq escape is missing"


@pytest.mark.parametrize("page", [p for p in PAGES if p != "hss"])
def test_synopsis_is_the_header_prototypes(page):
    """The SYNOPSIS holds the header's prototype of every function the page documents, in the
    header's order, and nothing else."""
    lines = sections(page)["SYNOPSIS"].strip().splitlines()
    assert lines[0].strip() == "#include <hss.h>"
    shown = [d + ";" for d in squeeze("\n".join(lines[1:])).split(";")[:-1]]
    assert shown == [squeeze(decl) for f, (decl, _) in DECLARATIONS.items() if f in documented(page)]


def return_value(name: str) -> str:
    """What the RETURN VALUE of a function's page says of it: the whole section on a page of one
    function, else the paragraph under the function's own tag."""
    page = PAGE_OF[name]
    text = sections(page)["RETURN VALUE"]
    if len(documented(page)) == 1:
        return text
    tags = re.compile(r"^ {7}(hss_\w+)$", re.M)
    parts = tags.split(text)
    bodies = dict(zip(parts[1::2], parts[2::2]))
    assert sorted(bodies) == sorted(documented(page)), "one tag per function in %s(3)" % page
    return bodies[name]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_return_value_matches_the_header(name):
    text = " ".join(return_value(name).split())
    missing = sorted(s for s in header_statuses(name) if s not in text)
    assert missing == [], "RETURN VALUE of %s lacks %s" % (name, missing)
    returns = DECLARATIONS[name][1]
    if "never NULL" in returns:
        assert "never NULL" in text
    if returns.startswith("nothing"):
        assert text == "None."


def test_availability_agrees_with_the_symbols_file():
    # debian/libhss1.symbols records the version that added each symbol; a symbol it does not
    # list yet is checked once it does.
    listed = dict(re.findall(r"^ (hss_\w+)@Base (\S+)$", SYMBOLS.read_text(), re.M))
    assert set(listed) <= set(FUNCTIONS)
    assert {f: v for f, v in listed.items() if ADDED_IN.get(f, "1.0.0") != v} == {}


def test_see_also_links_every_page_both_ways():
    overview = sections("hss")["SEE ALSO"]
    assert [p for p in PAGES if p != "hss" and "%s(3)" % p not in overview] == []
    for page in PAGES:
        if page != "hss":
            assert "hss(3)" in sections(page)["SEE ALSO"], page
        # SEE ALSO names pages; the text may name any function (its alias opens its page).
        see_also = set(re.findall(r"\b(hss_\w+)\(3\)", sections(page)["SEE ALSO"]))
        assert see_also <= set(PAGES), "%s: SEE ALSO names aliases or no page: %s" % (page, see_also - set(PAGES))
        named = set(re.findall(r"\b(hss_\w+)\(3\)", "\n".join(sections(page).values())))
        assert named <= set(PAGES) | set(ALIASES), "%s names pages that do not exist: %s" % (
            page, named - set(PAGES) - set(ALIASES))


# ----------------------------------------------------------------------------- installed

@pytest.fixture(scope="module")
def installed_man(tmp_path_factory) -> Path:
    """MANDIR of `make install-man DESTDIR=<tmp> PREFIX=/usr`: what make install and the Debian
    packages install."""
    dest = tmp_path_factory.mktemp("install-man")
    r = subprocess.run(["make", "-s", "-C", str(ROOT), "--no-print-directory", "install-man",
                        "DESTDIR=%s" % dest, "PREFIX=/usr"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return dest / "usr" / "share" / "man"


def test_installed_pages_carry_the_version(installed_man):
    """Every installed page, the commands' section-1 pages included, has the version of hss.h in
    its .TH line, and no placeholder is left; the aliases are installed as they are."""
    sources = sorted(MAN3.glob("*.3")) + [ROOT / "bindings" / "shell" / "hss-image-upload-command.1",
                                          ROOT / "man" / "man1" / "hss-emulator.1"]
    installed = sorted(installed_man.glob("man?/*"))
    assert sorted(p.name for p in installed) == sorted(p.name for p in sources)
    for path in installed:
        text = path.read_text()
        assert "@VERSION@" not in text, path.name
        if path.stem in ALIASES:
            assert text == (MAN3 / path.name).read_text()
            continue
        th = re.findall(r'^\.TH \S+ [13] \S+ "([^"]*)"', text, re.M)
        assert th == ["libhss %s" % VERSION], (path.name, th)
        assert os.stat(path).st_mode & 0o777 == 0o644
    # As a reader sees it: the version in the footer.
    r = subprocess.run([need("man"), "-l", str(installed_man / "man3" / "hss.3")], env=man_env(),
                       capture_output=True, text=True, timeout=30)
    assert r.stdout.rstrip().splitlines()[-1].startswith("libhss %s " % VERSION), r.stdout[-200:]


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_man_opens_the_page_of_each_function(alias, installed_man):
    """`man hss_error_code` finds hss_error(3) through the alias, and shows it."""
    page = ALIASES[alias]
    where = subprocess.run([need("man"), "-M", str(installed_man), "-w", alias], env=man_env(),
                           capture_output=True, text=True, timeout=30)
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip() == str(installed_man / "man3" / (page + ".3"))
    shown = subprocess.run([need("man"), "--warnings", "-M", str(installed_man), alias], env=man_env(),
                           capture_output=True, text=True, timeout=30)
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    name = " ".join(shown.stdout.split("\nNAME\n", 1)[1].split("\nSYNOPSIS\n", 1)[0].split())
    assert alias in name.split(" - ", 1)[0].split(", "), name


# ----------------------------------------------------------------------------- the examples

@pytest.fixture(scope="module")
def run_example(build_c, lib_dir, http_emulator, loopback_env, tmp_path_factory):
    """run_example(page, **env changes) -> CompletedProcess of the page's EXAMPLE, compiled
    with -Werror against include/ and lib_dir, run against the HTTP emulator."""
    from_emulator = {"ENDPOINT": http_emulator.endpoint, "PROJECT_ID": PROJECT,
                     "AK": EMULATOR_AK, "SK": EMULATOR_SK}
    src_dir = tmp_path_factory.mktemp("man-examples")

    def run(page, **changes):
        source = src_dir / (page + ".c")
        source.write_text(example(page))
        exe = build_c(source, name="example-" + page)
        env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(lib_dir), "LC_ALL": "C",
               "HSS_REGISTRY_PASSWORD": PASSWORD, **loopback_env}
        for key, value in from_emulator.items():
            env["HUAWEICLOUD_SDK_" + key] = env["HSS_" + key] = value
        env.update(changes)
        env = {k: v for k, v in env.items() if v is not None}
        return subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=30)

    return run


@pytest.mark.parametrize("page", [p for p in PAGES if p != "hss"])
def test_example_calls_every_function_of_its_page(page):
    code = example(page)
    assert [f for f in documented(page) if not re.search(r"\b%s\(" % f, code)] == []


@pytest.mark.parametrize("page", PAGES)
def test_example_compiles_and_runs(page, run_example, http_emulator):
    before = len(http_emulator.records)
    r = run_example(page)
    assert r.returncode == 0, "%s EXAMPLE exited %d\n%s" % (page, r.returncode, r.stderr)
    assert r.stderr == ""
    if calls_service(page):
        calls = http_emulator.records[before:]
        assert [c["status"] for c in calls] == [200] * calls_service(page)
        assert all(c["params"]["password"] == PASSWORD for c in calls)
        assert r.stdout.strip() != ""


@pytest.mark.parametrize("page", [p for p in PAGES if calls_service(p)])
def test_example_reports_a_failure(page, run_example, http_emulator):
    r = run_example(page, HUAWEICLOUD_SDK_SK="not-the-sk")
    assert r.returncode == 1, "%s EXAMPLE exited %d\n%s" % (page, r.returncode, r.stderr)
    assert r.stdout == "" and r.stderr.strip() != ""
    assert PASSWORD not in r.stderr and "not-the-sk" not in r.stderr
    shown = ON_401.get(page, [])
    if page in ("hss_error", "hss_image_upload_command_get"):
        shown = shown + ["request id: " + http_emulator.records[-1]["request_id"]]
    for text in shown:
        assert text in r.stderr, r.stderr


# ----------------------------------------------------------------------------- the settings pages

def test_setting_example_shows_each_setting_and_its_source(run_example, http_emulator, loopback_env):
    # Explicit options: nothing is looked up. The region stays unknown (the endpoint is not an
    # hss.<region> host), the IAM endpoint is the loopback harness's variable (else the global one).
    r = run_example("hss_client_setting")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    iam = loopback_env.get("HUAWEICLOUD_SDK_IAM_ENDPOINT")
    assert r.stdout.splitlines() == [
        "region: none",
        "endpoint: %s (options)" % http_emulator.endpoint,
        "project_id: %s (options)" % PROJECT,
        "iam_endpoint: " + ("%s (environment)" % iam if iam else "https://iam.myhuaweicloud.com (default)"),
        "credentials: %s...%s (options)" % (EMULATOR_AK[:4], EMULATOR_AK[-4:]),
    ]
    assert EMULATOR_SK not in r.stdout


def test_resolve_example_says_where_the_project_came_from(run_example):
    r = run_example("hss_client_resolve")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout.splitlines() == [
        "using credentials from environment (AK %s...%s)" % (EMULATOR_AK[:4], EMULATOR_AK[-4:]),
        "project id %s from environment" % PROJECT,
        "ready, project %s" % PROJECT,
    ]


def test_resolve_example_finds_the_project_in_iam(run_example, http_emulator):
    # No project id: the region's is looked up in IAM (the emulator), once, before any HSS call.
    before = len(http_emulator.records)
    r = run_example("hss_client_resolve", HUAWEICLOUD_SDK_PROJECT_ID=None, HUAWEICLOUD_SDK_REGION="cn-north-4",
                    HUAWEICLOUD_SDK_IAM_ENDPOINT=http_emulator.endpoint)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert [(c["path"], c["status"]) for c in http_emulator.records[before:]] == [("/v3/projects", 200)]
    project = default_project_id("cn-north-4")
    assert r.stdout.splitlines()[1:] == ["project id %s from iam" % project, "ready, project %s" % project]


def test_resolve_example_reports_missing_credentials(run_example, http_emulator):
    # No credentials anywhere: the chain runs at start-up (the metadata service is the loopback
    # harness's closed port) and the message names every source, in the chain's order.
    before = len(http_emulator.records)
    r = run_example("hss_client_resolve", HUAWEICLOUD_SDK_AK=None, HUAWEICLOUD_SDK_SK=None)
    assert r.returncode == 1 and r.stdout == "", r.stdout
    assert http_emulator.records[before:] == []
    first, *rest = r.stderr.splitlines()
    assert rest == []
    prefix = "no usable credentials or project id: no credentials were given and none were found; "
    assert first.startswith(prefix), first
    sources = [part.split(":", 1)[0] for part in first[len(prefix):].split("; ")]
    assert sources == ["oidc", "environment", "profile", "metadata", "pod-identity"]
