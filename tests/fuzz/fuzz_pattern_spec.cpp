// libFuzzer harness: the pattern-name parser ('+' joins families) and the --param KEY=VALUE parsers, as the
// command line calls them, then making and building the mask at a small n.
// Input: the first line is the pattern name, the second n, every further line one KEY=VALUE.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/patterns/pattern_registry.h"
#include "engine/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (lines.size() < 2) return 0;
  try {
    const attnscope::PatternSpec spec = attnscope::PatternSpec::parse(lines[0]);
    std::vector<std::pair<std::string, std::string>> params;
    for (std::size_t i = 2; i < lines.size(); ++i) {
      const std::size_t eq = lines[i].find('=');
      if (eq == std::string::npos || eq == 0) continue;
      params.emplace_back(lines[i].substr(0, eq), lines[i].substr(eq + 1));
    }
    const attnscope::ParamSet values = spec.resolve(params);
    long long n = 0;
    for (char c : lines[1]) {
      if (c < '0' || c > '9' || n > 100000) return 0;
      n = n * 10 + (c - '0');
    }
    if (n < 1 || n > 2048) return 0;  // small masks only: the fuzzer looks for crashes, not for slow builds
    attnscope::BuildOptions options;
    options.maxCells = 1 << 20;
    attnscope::buildMask(*spec.make(values, n), options);
  } catch (const attnscope::Error&) {
  }
  return 0;
}
