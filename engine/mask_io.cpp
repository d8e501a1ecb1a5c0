#include "engine/mask_io.h"

#include <vector>

#include "engine/atomic_file.h"
#include "engine/error.h"
#include "engine/format.h"

namespace attnscope {

namespace {

// NPY format 1.0: magic, version, little-endian header length, a Python dict literal padded with spaces to a
// multiple of 64 bytes and ending in a newline.
void writeNpyHeader(std::ostream& out, const std::string& dtype, const std::vector<Index>& shape) {
  std::string dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) dict += std::to_string(shape[i]) + (shape.size() == 1 ? "," : i + 1 < shape.size() ? ", " : "");
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

void writeDenseRows(std::ostream& out, const SparseMask& mask) {
  std::vector<char> row(static_cast<std::size_t>(mask.n()));
  for (int h = 0; h < mask.heads(); ++h)
    for (Index i = 0; i < mask.n(); ++i) {
      std::fill(row.begin(), row.end(), 0);
      for (KeyIndex k : mask.row(h, i)) row[static_cast<std::size_t>(k)] = 1;
      out.write(row.data(), static_cast<std::streamsize>(row.size()));
    }
}

}  // namespace

void checkDenseSize(double bytes, const std::string& what) {
  if (bytes > kMaxDenseBytes)
    throw Error("the mask is too large to write as " + what + ": " + withSeparators(static_cast<Index>(bytes)) +
                " bytes, the limit is " + withSeparators(static_cast<Index>(kMaxDenseBytes)) +
                " (choose a smaller n, or write the block layout with --layout)");
}

void writeMaskNpy(const SparseMask& mask, const std::string& path) {
  checkDenseSize(mask.cells(), ".npy");
  AtomicFile file(path);
  writeNpyHeader(file.stream(), "|u1", {mask.heads(), mask.n(), mask.n()});
  writeDenseRows(file.stream(), mask);
  file.commit();
}

void writeLayoutNpy(const SparseMask& mask, const std::string& path) {
  if (!mask.hasBlockLayout()) throw Error("--layout needs a block family: this pattern has no block layout");
  const SparseMask& layout = mask.blockLayout();
  checkDenseSize(layout.cells(), ".npy");
  AtomicFile file(path);
  writeNpyHeader(file.stream(), "|u1", {layout.heads(), layout.n(), layout.n()});
  writeDenseRows(file.stream(), layout);
  file.commit();
}

void writeMaskCsv(const SparseMask& mask, int head, const std::string& path) {
  checkDenseSize(2.0 * double(mask.n()) * double(mask.n()), "CSV");
  AtomicFile file(path);
  std::string line;
  for (Index i = 0; i < mask.n(); ++i) {
    line.assign(static_cast<std::size_t>(2 * mask.n()), ',');
    for (Index j = 0; j < mask.n(); ++j) line[static_cast<std::size_t>(2 * j)] = '0';
    for (KeyIndex k : mask.row(head, i)) line[static_cast<std::size_t>(2 * k)] = '1';
    line.back() = '\n';
    file.stream() << line;
  }
  file.commit();
}

}  // namespace attnscope
