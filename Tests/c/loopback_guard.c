/*
 * The tests' loopback guard (issue 12): an LD_PRELOAD library that keeps a
 * process and its children on 127.0.0.0/8 and ::1. Tests/conftest.py builds
 * it and runs the whole pytest session (and so every program a test starts,
 * if the environment keeps LD_PRELOAD) under it.
 *
 *   connect, sendto, sendmsg  to an AF_INET/AF_INET6 address outside
 *                 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: refused with
 *                 ENETUNREACH, nothing sent. Other families (AF_UNIX...)
 *                 and calls without an address pass.
 *   getaddrinfo   numeric hosts pass (connect judges them), and so does
 *                 "localhost" (/etc/hosts); names under the reserved TLDs
 *                 .invalid, .test, .example and .localhost (RFC 2606, 6761)
 *                 fail with EAI_NONAME at once, as DNS would answer them,
 *                 without asking a name server; any other name is refused
 *                 the same way. The name server is not on loopback, and
 *                 glibc's resolver reaches it with internal calls that no
 *                 LD_PRELOAD sees: this is the only place to stop a lookup.
 *
 * Every refusal (except of a reserved name) appends one line to the file
 * named by $HSS_LOOPBACK_GUARD_LOG, read at each call:
 *     connect 10.1.2.3:443      sendto [2001:db8::1]:53      resolve example.com
 * conftest fails the session when that file is not empty.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Append one line to the log in a single write (O_APPEND: lines of concurrent
 * processes never mix). errno is preserved. */
static void record(const char *what, const char *target)
{
    int saved = errno;
    const char *path = getenv("HSS_LOOPBACK_GUARD_LOG");
    if (path != NULL && *path != '\0') {
        char line[512];
        int n = snprintf(line, sizeof line, "%s %s\n", what, target);
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (n > (int)sizeof line - 1)
                n = (int)sizeof line - 1;
            if (write(fd, line, (size_t)n) < 0) {
                /* nothing to do: the refusal itself still stands */
            }
            close(fd);
        }
    }
    errno = saved;
}

/* 1: an address the guard lets through (loopback, or not IP at all). Writes
 * "addr:port" of a refused one to `text`. */
static int allowed(const struct sockaddr *sa, socklen_t len, char *text, size_t size)
{
    char addr[INET6_ADDRSTRLEN];
    if (sa == NULL)
        return 1;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        if ((ntohl(in->sin_addr.s_addr) >> 24) == 127)
            return 1;
        inet_ntop(AF_INET, &in->sin_addr, addr, sizeof addr);
        snprintf(text, size, "%s:%u", addr, ntohs(in->sin_port));
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        const unsigned char *b = in6->sin6_addr.s6_addr;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127))
            return 1;
        inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof addr);
        snprintf(text, size, "[%s]:%u", addr, ntohs(in6->sin6_port));
        return 0;
    }
    return 1; /* AF_UNIX, AF_NETLINK, AF_UNSPEC (disconnect), a short address (the kernel refuses it) */
}

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    char text[INET6_ADDRSTRLEN + 16];
    static connect_fn real_connect; /* libc's */
    if (real_connect == NULL)
        real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
    if (!allowed(addr, len, text, sizeof text)) {
        record("connect", text);
        errno = ENETUNREACH;
        return -1;
    }
    return real_connect(fd, addr, len);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len)
{
    char text[INET6_ADDRSTRLEN + 16];
    static sendto_fn real_sendto; /* libc's */
    if (real_sendto == NULL)
        real_sendto = (sendto_fn)dlsym(RTLD_NEXT, "sendto");
    if (!allowed(addr, len, text, sizeof text)) {
        record("sendto", text);
        errno = ENETUNREACH;
        return -1;
    }
    return real_sendto(fd, buf, n, flags, addr, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    char text[INET6_ADDRSTRLEN + 16];
    static sendmsg_fn real_sendmsg; /* libc's */
    if (real_sendmsg == NULL)
        real_sendmsg = (sendmsg_fn)dlsym(RTLD_NEXT, "sendmsg");
    if (msg != NULL && !allowed(msg->msg_name, msg->msg_namelen, text, sizeof text)) {
        record("sendmsg", text);
        errno = ENETUNREACH;
        return -1;
    }
    return real_sendmsg(fd, msg, flags);
}

/* 1 if `name` (case-insensitive, a trailing dot allowed) is `label` or ends in ".label". */
static int in_domain(const char *name, const char *label)
{
    size_t n = strlen(name), l = strlen(label);
    if (n > 0 && name[n - 1] == '.')
        n--;
    if (n < l || strncasecmp(name + n - l, label, l) != 0)
        return 0;
    return n == l || name[n - l - 1] == '.';
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
    struct in_addr v4;
    struct in6_addr v6;
    static getaddrinfo_fn real_getaddrinfo; /* libc's */
    if (real_getaddrinfo == NULL)
        real_getaddrinfo = (getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo");
    if (node == NULL || inet_aton(node, &v4) || inet_pton(AF_INET6, node, &v6) == 1 ||
        (hints != NULL && (hints->ai_flags & AI_NUMERICHOST)) || strcasecmp(node, "localhost") == 0)
        return real_getaddrinfo(node, service, hints, res);
    if (!in_domain(node, "invalid") && !in_domain(node, "test") && !in_domain(node, "example") &&
        !in_domain(node, "localhost"))
        record("resolve", node);
    return EAI_NONAME;
}
