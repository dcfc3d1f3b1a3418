// SPDX-License-Identifier: Apache-2.0
#include "base/thread.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

namespace hearth {

void set_thread_role(const char* name, int nice) {
  pthread_setname_np(pthread_self(), name);
  if (nice > 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice);
}

}  // namespace hearth
