#include "CHSSAPI.h"

int chss_open_nonblocking(const char *path)
{
    return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

int chss_errno(void)
{
    return errno;
}
