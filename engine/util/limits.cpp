#include "engine/util/limits.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope {

namespace {

// "12G", "200M", "4096": bytes, or NaN when the text is not of that form.
double parseBytes(const char* text) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (end == text || !(v > 0)) return NAN;
  double scale = 1;
  switch (*end) {
    case '\0': break;
    case 'k':
    case 'K':
      scale = 1024.0;
      ++end;
      break;
    case 'm':
    case 'M':
      scale = 1024.0 * 1024;
      ++end;
      break;
    case 'g':
    case 'G':
      scale = 1024.0 * 1024 * 1024;
      ++end;
      break;
    default: return NAN;
  }
  return *end == '\0' ? v * scale : NAN;
}

double overrideBytes() {
  const char* env = std::getenv("ATTNSCOPE_MEMORY_LIMIT");
  return env ? parseBytes(env) : NAN;
}

}  // namespace

double physicalMemoryBytes() {
  static const double bytes = [] {
    double total = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE));
    std::ifstream cgroup("/sys/fs/cgroup/memory.max");  // a container's own limit, when it has one
    std::string text;
    if (cgroup >> text && text != "max") {
      const double limit = parseBytes(text.c_str());
      if (limit > 0 && limit < total) total = limit;
    }
    return total > 0 ? total : 8.0 * 1024 * 1024 * 1024;
  }();
  return bytes;
}

double memoryLimitBytes() {
  const double share = kMemoryShare * physicalMemoryBytes();
  const double env = overrideBytes();
  return std::isnan(env) ? share : std::min(share, env);
}

std::string memoryLimitSource() {
  const double env = overrideBytes();
  if (!std::isnan(env) && env < kMemoryShare * physicalMemoryBytes()) return "set by ATTNSCOPE_MEMORY_LIMIT";
  return "half of this machine's " + formatBytes(physicalMemoryBytes());
}

Index maskCellLimit() {
  // A cell is 4 bytes stored, and up to 4 more while rows are generated into buffers before they are copied.
  const double fit = 0.5 * memoryLimitBytes() / 8.0;
  return std::max<Index>(1, std::min<Index>(kMaxMaskCells, static_cast<Index>(fit)));
}

std::string formatBytes(double bytes) {
  const char* units[] = {"bytes", "KB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 5) {
    bytes /= 1000.0;
    ++u;
  }
  char buf[48];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%.0f %s", bytes, units[u]);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
  return buf;
}

void checkMemory(double bytes, std::string_view what, std::string_view wayOut) {
  const double limit = memoryLimitBytes();
  if (!(bytes <= limit))
    throw Error(std::string(what) + " needs about " + formatBytes(bytes) + "; the limit here is " + formatBytes(limit) +
                " (" + memoryLimitSource() + "): " + std::string(wayOut));
}

void checkSequenceLength(Index n) {
  if (n < 1 || n > kMaxSequenceLength)
    throw Error("n = " + std::to_string(n) + " is not allowed: expected an integer 1 … " +
                std::to_string(kMaxSequenceLength));
}

}  // namespace attnscope
