#include "engine/masks/mask_io.h"

#include <vector>

#include "engine/io/atomic_file.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/io/npy.h"

namespace attnscope {

namespace {

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
  if (bytes > kMaxDenseFileBytes)
    throw Error("the mask is too large to write as " + what + ": " + withSeparators(static_cast<Index>(bytes)) +
                " bytes, the limit is " + withSeparators(static_cast<Index>(kMaxDenseFileBytes)) +
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
