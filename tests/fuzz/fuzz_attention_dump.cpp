// libFuzzer harness: an attention dump (.npy, or .npz when the bytes start as a ZIP archive does) written to a file
// and opened as the app opens it: the headers, the archive's directory and ZIP64 fields, then every row, and for a
// small dump the head figures, the fit and the rollout, whatever the weights hold (NaN, infinities, negatives).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/util/error.h"
#include "engine/weights/attention_dump.h"
#include "engine/weights/fit.h"
#include "engine/weights/head_stats.h"
#include "engine/weights/rollout.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bool zip = size >= 2 && data[0] == 'P' && data[1] == 'K';
  static const std::string base = "/tmp/fuzz_attention_dump_" + std::to_string(::getpid());
  const std::string path = base + (zip ? ".npz" : ".npy");
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    if (size > 0) std::fwrite(data, 1, size, f);
    std::fclose(f);
  } else {
    return 0;
  }
  try {
    const attnscope::AttentionDump dump = attnscope::AttentionDump::open(path);
    std::vector<float> row(static_cast<std::size_t>(dump.n()));
    for (attnscope::Index l = 0; l < dump.layers(); ++l)
      for (int h = 0; h < dump.heads(); ++h)
        for (attnscope::Index i = 0; i < dump.n(); ++i) dump.row(l, h, i, row.data());
    if (dump.n() <= 64 && dump.layers() * dump.heads() <= 64) {
      attnscope::WeightsOptions options;
      options.thumbnailSide = 8;
      attnscope::measureWeights(dump, options);
      attnscope::fitPatterns(dump);
      attnscope::attentionRollout(dump);
    }
  } catch (const attnscope::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
