#include "engine/npy.h"

#include <cstring>
#include <fstream>
#include <regex>

#include "engine/atomic_file.h"
#include "engine/error.h"

namespace attnscope {

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw Error("cannot read '" + path + "': " + why);
}

}  // namespace

void writeNpyHeader(std::ostream& out, const std::string& dtype, const std::vector<Index>& shape) {
  // Magic, version 1.0, little-endian header length, then a Python dict literal padded with spaces so that the
  // data starts on a multiple of 64 bytes, ending in a newline.
  std::string dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i)
    dict += std::to_string(shape[i]) + (shape.size() == 1 ? "," : i + 1 < shape.size() ? ", " : "");
  dict += "), }";
  const std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  const auto len = static_cast<std::uint16_t>(dict.size());
  out.write("\x93NUMPY\x01\x00", 8);
  const char lenBytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(lenBytes, 2);
  out << dict;
}

void writeNpyFloat(const std::string& path, const std::vector<Index>& shape, const float* data) {
  Index count = 1;
  for (Index d : shape) count *= d;
  AtomicFile file(path);
  writeNpyHeader(file.stream(), "<f4", shape);
  file.stream().write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(float)));
  file.commit();
}

NpyArray readNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, "no such file, or not readable");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) bad(path, "not a NumPy .npy file");
  const int major = static_cast<unsigned char>(magic[6]);
  std::size_t headerLen = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) bad(path, "the header is cut short");
    headerLen = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) bad(path, "the header is cut short");
    headerLen = b[0] | (b[1] << 8) | (std::size_t(b[2]) << 16) | (std::size_t(b[3]) << 24);
  } else {
    bad(path, "NPY format version " + std::to_string(major) + " is not supported (1, 2 or 3 are)");
  }
  std::string header(headerLen, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(headerLen))) bad(path, "the header is cut short");

  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')"))) bad(path, "the header has no dtype");
  const std::string descr = m[1];
  std::size_t itemSize = 0;
  if (descr == "<f4" || descr == "=f4") itemSize = 4;
  else if (descr == "<f8" || descr == "=f8") itemSize = 8;
  else bad(path, "dtype " + descr + " is not supported: save float32 or float64 (e.g. x.astype('float32'))");
  if (std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*True)")))
    bad(path, "Fortran-order arrays are not supported: save np.ascontiguousarray(x)");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) bad(path, "the header has no shape");
  NpyArray array;
  const std::string dims = m[1];
  const std::regex number(R"(\d+)");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it)
    array.shape.push_back(std::stoll(it->str()));
  Index count = 1;
  for (Index d : array.shape) count *= d;
  array.data.resize(count);
  if (itemSize == 4) {
    if (!in.read(reinterpret_cast<char*>(array.data.data()), static_cast<std::streamsize>(count * 4)))
      bad(path, "the data is shorter than its shape says");
  } else {
    std::vector<double> buffer(static_cast<std::size_t>(count));
    if (!in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(count * 8)))
      bad(path, "the data is shorter than its shape says");
    for (Index i = 0; i < count; ++i) array.data[i] = static_cast<float>(buffer[i]);
  }
  return array;
}

}  // namespace attnscope
