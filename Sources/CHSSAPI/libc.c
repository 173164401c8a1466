#include "CHSSAPI.h"

#include <sys/eventfd.h>
#include <sys/prctl.h>

int chss_open_nonblocking(const char *path)
{
    return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

int chss_errno(void)
{
    return errno;
}

void chss_name_thread(const char *name)
{
    prctl(PR_SET_NAME, name, 0, 0, 0);
}

int chss_eventfd(void)
{
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}
