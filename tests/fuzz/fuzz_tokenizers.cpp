// libFuzzer harness: the tokenizer files a model folder brings, read as the runtime reads them, then used. The first
// byte chooses: 0, a WordPiece vocab.txt; 1, a byte-level BPE vocab.json (its merges a fixed small file); 2, a BPE
// merges.txt (its vocabulary a fixed small one); 3, a tokenizer.json (byte-level BPE, WordPiece or SentencePiece BPE,
// whichever it describes). Each that reads is asked to encode a fixed text and the input's own bytes, and to label
// what it gives.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "engine/tokenizers/byte_level_bpe.h"
#include "engine/tokenizers/tokenizer_json.h"
#include "engine/tokenizers/word_piece.h"
#include "engine/util/error.h"

namespace {

std::string write(const std::string& name, std::string_view bytes) {
  const std::string path = "/tmp/fuzz_tokenizers_" + std::to_string(::getpid()) + "_" + name;
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  return path;
}

template <typename Tokenizer>
void use(const Tokenizer& t, std::string_view own) {
  for (const std::string_view text :
       {std::string_view("Hello, y'all! [MASK] <mask> caf\xc3\xa9 \xe6\x88\x91 1314"), own}) {
    try {
      for (int id : t.encode(text)) (void)t.label(id);
    } catch (const attnscope::Error&) {  // a vocabulary without a piece for some text refuses it: fine
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string_view own = input.substr(0, 256);
  const std::string smallVocab = R"({"a": 0, "b": 1, "ab": 2, "\u0120": 3, "\u0120a": 4, "<mask>": 5})";
  const std::string smallMerges = "#version: 0.2\na b\n\u0120 a\n";
  try {
    switch (data[0] % 4) {
      case 0: {
        const attnscope::WordPiece t = attnscope::WordPiece::read(write("vocab.txt", input));
        use(t, own);
        break;
      }
      case 1: {
        attnscope::ByteLevelBpe t =
            attnscope::ByteLevelBpe::read(write("vocab.json", input), write("merges.txt", smallMerges));
        if (t.id("<mask>") >= 0) t.setSpecialTokens({"<mask>"}, {"<mask>"});
        use(t, own);
        break;
      }
      case 3: {
        const attnscope::TokenizerJson t = attnscope::parseTokenizerJson(input, "tokenizer.json");
        if (t.byteLevel) use(*t.byteLevel, own);
        if (t.wordPiece) use(*t.wordPiece, own);
        if (t.sentencePiece) use(*t.sentencePiece, own);
        break;
      }
      default: {
        const attnscope::ByteLevelBpe t =
            attnscope::ByteLevelBpe::read(write("vocab.json", smallVocab), write("merges.txt", input));
        use(t, own);
      }
    }
  } catch (const attnscope::Error&) {
  }
  return 0;
}
