/* Secrets read from stdin or a file: read(2), not stdio, so that no copy is left in a stdio
 * buffer; wiped before they are freed. */
#include "command.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static void wipe(void *memory, size_t size)
{
    volatile unsigned char *p = memory;
    while (size--)
        *p++ = 0;
}

void secret_free(struct secret *secret)
{
    if (secret->text) {
        wipe(secret->text, secret->capacity);
        free(secret->text);
    }
    secret->text = NULL;
    secret->capacity = 0;
}

/* Read the first line of fd (without its "\n" or "\r\n") into a new
 * secret of at most max_bytes. read(2), not stdio, so no copy is left in a
 * stdio buffer. Returns NULL on success, else what went wrong. */
static const char *read_secret_line(int fd, size_t max_bytes, struct secret *out)
{
    struct secret s = {malloc(max_bytes + 2), max_bytes + 2};
    size_t length = 0;
    char *newline = NULL;

    if (!s.text)
        return "out of memory";
    while (!newline && length < s.capacity - 1) {
        ssize_t n = read(fd, s.text + length, s.capacity - 1 - length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int error = errno;
            secret_free(&s);
            return strerror(error);
        }
        if (n == 0)
            break;
        newline = memchr(s.text + length, '\n', (size_t)n);
        length += (size_t)n;
    }
    if (newline)
        length = (size_t)(newline - s.text);
    else if (length > max_bytes) {
        secret_free(&s);
        return "the line is too long";
    }
    /* A C string would end at the NUL and silently use a shorter secret. */
    if (memchr(s.text, '\0', length)) {
        secret_free(&s);
        return "the line contains a NUL byte";
    }
    if (length > 0 && s.text[length - 1] == '\r')
        length--;
    s.text[length] = '\0';
    *out = s;
    return NULL;
}

/* The terminal settings to restore if a signal ends us while echo is off. */
static struct termios echo_terminal;
static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void restore_echo_and_die(int sig)
{
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &echo_terminal); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* --password-stdin. On a terminal, prompt and do not echo; Ctrl-C at the
 * prompt still leaves the terminal echoing. */
int read_password_stdin(struct secret *out)
{
    struct termios quiet;
    struct sigaction restore, previous[sizeof prompt_signals / sizeof prompt_signals[0]];
    int terminal = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &echo_terminal) == 0;
    const char *problem;
    size_t i;

    if (terminal) {
        memset(&restore, 0, sizeof restore);
        restore.sa_handler = restore_echo_and_die;
        sigemptyset(&restore.sa_mask);
        for (i = 0; i < sizeof prompt_signals / sizeof prompt_signals[0]; i++)
            sigaction(prompt_signals[i], &restore, &previous[i]);
        /* Echo goes off before the prompt appears, so nothing typed after
         * seeing it can be echoed. */
        quiet = echo_terminal;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        fputs("Registry password: ", stderr);
    }
    problem = read_secret_line(STDIN_FILENO, PASSWORD_MAX_BYTES, out);
    if (terminal) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &echo_terminal);
        for (i = 0; i < sizeof prompt_signals / sizeof prompt_signals[0]; i++)
            sigaction(prompt_signals[i], &previous[i], NULL);
        fputc('\n', stderr);
    }
    if (problem) {
        fprintf(stderr, PROGRAM ": cannot read the password from --password-stdin: %s\n", problem);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* A warning when group or others may read or write a secret file, as the
 * library warns about a credentials profile (and ssh about a key): the call
 * goes on. Only for regular files: a pipe such as <(pass show x) has no
 * mode worth a word. */
static void warn_if_others_can_read(int fd, const char *option, const char *path)
{
    struct stat st;

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 077))
        return;
    fprintf(stderr, PROGRAM ": warning: %s '", option);
    put_one_line(stderr, path);
    fprintf(stderr, "' is readable by others (mode %o): chmod 600 it\n", (unsigned)(st.st_mode & 0777));
}

/* The first line of a file, for --password-file, --auth-token-file and
 * --proxy-password-file. */
int read_secret_file(const char *option, const char *path, size_t max_bytes, struct secret *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    const char *problem = fd < 0 ? strerror(errno) : read_secret_line(fd, max_bytes, out);

    if (!problem)
        warn_if_others_can_read(fd, option, path);

    if (fd >= 0)
        close(fd);
    if (problem) {
        fprintf(stderr, PROGRAM ": cannot read %s %s: %s\n", option, path, problem);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}
