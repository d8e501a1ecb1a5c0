#include "widgets/shared/resources.h"

#include <QtGlobal>

// Q_INIT_RESOURCE must be used outside any namespace.
static void initAttnscopeResources() { Q_INIT_RESOURCE(attnscope); }

namespace attnscope {

void initResources() {
  static const bool done = [] {
    initAttnscopeResources();
    return true;
  }();
  (void)done;
}

}  // namespace attnscope
