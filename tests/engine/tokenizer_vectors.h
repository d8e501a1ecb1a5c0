#pragma once
// The tokenizer test vectors (llama.cpp's files, made with Hugging Face's tokenizers): the inputs separated by lines
// "__ggml_vocab_test__" in NAME.inp, and one line of ids an input in NAME.out, under tests/data/tokenizers/vectors.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace attnscope::test {

inline const std::string kTokenizerData = ATTNSCOPE_TEST_DATA_DIR "/tokenizers";

inline std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Vectors {
  std::vector<std::string> inputs;
  std::vector<std::vector<int>> ids;
};

inline Vectors readVectors(const std::string& name) {
  Vectors v;
  const std::string inp = readAll(kTokenizerData + "/vectors/" + name + ".inp");
  const std::string sep = "\n__ggml_vocab_test__\n";
  for (std::size_t at = 0; at < inp.size();) {
    const std::size_t end = inp.find(sep, at);
    v.inputs.push_back(inp.substr(at, end - at));
    if (end == std::string::npos) break;
    at = end + sep.size();
  }
  std::istringstream out(readAll(kTokenizerData + "/vectors/" + name + ".out"));
  for (std::string line; std::getline(out, line) && v.ids.size() < v.inputs.size();) {
    std::istringstream numbers(line);
    std::vector<int> ids;
    for (int id; numbers >> id;) ids.push_back(id);
    v.ids.push_back(ids);
  }
  return v;
}

}  // namespace attnscope::test
