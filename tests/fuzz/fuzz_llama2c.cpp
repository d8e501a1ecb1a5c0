// libFuzzer harness: llama2.c's two readers on the bytes of a file. The first byte chooses: even, a checkpoint
// (read, and when it is small, run on two tokens and sampled greedily for two more); odd, a tokenizer of 16 … 527
// pieces (read, then used to encode a fixed text and the input's own bytes, and every piece decoded and labelled).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "engine/runtime/llama2c_model.h"
#include "engine/tokenizers/llama2c_tokenizer.h"
#include "engine/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool tokenizer = data[0] & 1;
  const int vocab = 16 + (data[0] >> 1) * 2;
  static const std::string path = "/tmp/fuzz_llama2c_" + std::to_string(::getpid()) + ".bin";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    if (size > 1) std::fwrite(data + 1, 1, size - 1, f);
    std::fclose(f);
  } else {
    return 0;
  }
  try {
    if (tokenizer) {
      const attnscope::Llama2cTokenizer t = attnscope::Llama2cTokenizer::read(path, vocab);
      const std::string_view own(reinterpret_cast<const char*>(data + 1), std::min<std::size_t>(size - 1, 256));
      for (const std::string_view text : {std::string_view("Once upon a time, é 🙂"), own}) {
        try {
          int previous = 1;
          for (int id : t.encode(text, true, true)) {
            (void)t.decode(previous, id);
            (void)t.label(id);
            previous = id;
          }
        } catch (const attnscope::Error&) {  // a vocabulary without byte pieces refuses some text: fine
        }
      }
    } else {
      const attnscope::Llama2cModel m = attnscope::Llama2cModel::read(path);
      const attnscope::Llama2cConfig& c = m.config();
      if (c.dim <= 64 && c.layers <= 4 && c.hiddenDim <= 256 && c.vocabSize <= 1024) {
        const std::vector<int> tokens{0, c.vocabSize - 1};
        (void)m.forward(tokens);
        (void)m.generateGreedy(tokens, 2);
      }
    }
  } catch (const attnscope::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
