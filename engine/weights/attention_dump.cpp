#include "engine/weights/attention_dump.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "engine/io/atomic_file.h"
#include "engine/io/json.h"
#include "engine/io/mapped_file.h"
#include "engine/io/npy.h"
#include "engine/masks/sparse_mask.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"

namespace attnscope {

namespace {

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string shapeText(const std::vector<Index>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// One member of an uncompressed .npz (a ZIP archive written by np.savez): its name and where its .npy bytes are.
struct Member {
  std::string name;
  std::uint64_t offset = 0, size = 0;
};

// The bytes of a file, read only through checked offsets: every offset and length taken from the file is compared
// with what is left after it (subtraction from a size already checked, never an addition that could wrap).
class Bytes {
 public:
  Bytes(const unsigned char* data, std::uint64_t size, std::function<void(const std::string&)> fail)
      : d_(data), size_(size), fail_(std::move(fail)) {}
  std::uint64_t size() const { return size_; }
  /// Whether [offset, offset + length) lies inside.
  bool has(std::uint64_t offset, std::uint64_t length) const { return offset <= size_ && length <= size_ - offset; }
  /// A little-endian integer of `bytes` bytes at `offset`; fails with `what` when it is not all inside.
  std::uint64_t le(std::uint64_t offset, int bytes, const char* what) const {
    if (!has(offset, std::uint64_t(bytes))) fail_(*what ? what : "a record runs past the end");
    std::uint64_t v = 0;
    for (int b = bytes - 1; b >= 0; --b) v = (v << 8) | d_[offset + std::uint64_t(b)];
    return v;
  }
  std::string text(std::uint64_t offset, std::uint64_t length, const char* what) const {
    if (!has(offset, length)) fail_(*what ? what : "a record runs past the end");
    return std::string(reinterpret_cast<const char*>(d_ + offset), static_cast<std::size_t>(length));
  }

 private:
  const unsigned char* d_;
  std::uint64_t size_;
  std::function<void(const std::string&)> fail_;
};

std::vector<Member> zipMembers(const MappedFile& file) {
  auto fail = [&](const std::string& why) {
    throw Error("cannot read '" + file.path() + "' as a .npz archive: " + why);
  };
  const Bytes z(file.data(), file.size(), fail);
  const std::uint64_t size = z.size();
  if (size < 22) fail("the file is too short");
  // The end-of-central-directory record is in the last 22 + 65,535 bytes.
  std::uint64_t eocd = size - 22;
  const std::uint64_t stop = size > 22 + 65535 ? size - 22 - 65535 : 0;
  while (z.le(eocd, 4, "no end-of-archive record") != 0x06054b50u) {
    if (eocd == stop) fail("no end-of-archive record (not a ZIP file)");
    --eocd;
  }
  std::uint64_t entries = z.le(eocd + 10, 2, "a broken end record"),
                cdOffset = z.le(eocd + 16, 4, "a broken end record"),
                cdSize = z.le(eocd + 12, 4, "a broken end record");
  if ((entries == 0xFFFF || cdOffset == 0xFFFFFFFFu) && eocd >= 20 && z.le(eocd - 20, 4, "") == 0x07064b50u) {
    const std::uint64_t z64 = z.le(eocd - 20 + 8, 8, "a broken ZIP64 locator");  // ZIP64 end-of-central-directory
    if (!z.has(z64, 56) || z.le(z64, 4, "a broken ZIP64 record") != 0x06064b50u) fail("a broken ZIP64 record");
    entries = z.le(z64 + 32, 8, "a broken ZIP64 record");
    cdSize = z.le(z64 + 40, 8, "a broken ZIP64 record");
    cdOffset = z.le(z64 + 48, 8, "a broken ZIP64 record");
  }
  if (!z.has(cdOffset, cdSize)) fail("its directory lies outside the file");
  // Each entry takes at least 46 bytes of the directory: a count the directory cannot hold is a lie.
  if (entries > cdSize / 46)
    fail("its directory claims " + std::to_string(entries) + " members but has room for " +
         std::to_string(cdSize / 46));
  if (entries > 100000) fail("more than 100,000 members");
  const Bytes cd(file.data() + cdOffset, cdSize, [&](const std::string&) { fail("a broken directory entry"); });
  std::vector<Member> members;
  std::set<std::string> names;
  std::uint64_t at = 0, total = 0;
  for (std::uint64_t e = 0; e < entries; ++e) {
    if (cd.le(at, 4, "") != 0x02014b50u) fail("a broken directory entry");
    const auto method = cd.le(at + 10, 2, ""), nameLen = cd.le(at + 28, 2, ""), extraLen = cd.le(at + 30, 2, ""),
               commentLen = cd.le(at + 32, 2, "");
    std::uint64_t compressed = cd.le(at + 20, 4, ""), plain = cd.le(at + 24, 4, ""), local = cd.le(at + 42, 4, "");
    Member m;
    m.name = cd.text(at + 46, nameLen, "");
    // ZIP64 sizes and offsets, in the order of the fields that overflowed; a field never reads past its entry.
    if (!cd.has(at + 46 + nameLen, extraLen)) fail("a broken directory entry");
    const Bytes extra(file.data() + cdOffset + at + 46 + nameLen, extraLen,
                      [&](const std::string&) { fail("a broken directory entry"); });
    for (std::uint64_t x = 0; extra.has(x, 4);) {
      const auto id = extra.le(x, 2, ""), len = extra.le(x + 2, 2, "");
      const std::uint64_t fieldEnd = std::min(x + 4 + len, extraLen);
      if (id == 0x0001) {
        std::uint64_t y = x + 4;
        if (plain == 0xFFFFFFFFu && y + 8 <= fieldEnd) plain = extra.le(y, 8, ""), y += 8;
        if (compressed == 0xFFFFFFFFu && y + 8 <= fieldEnd) compressed = extra.le(y, 8, ""), y += 8;
        if (local == 0xFFFFFFFFu && y + 8 <= fieldEnd) local = extra.le(y, 8, "");
      }
      x += 4 + len;
    }
    if (method != 0)
      fail("member '" + quoted(m.name) + "' is compressed; save it with np.savez, not np.savez_compressed");
    if (!names.insert(m.name).second) fail("member '" + quoted(m.name) + "' is listed twice");
    if (!z.has(local, 30) || z.le(local, 4, "") != 0x04034b50u) fail("member '" + quoted(m.name) + "' has no header");
    const std::uint64_t skip = 30 + z.le(local + 26, 2, "") + z.le(local + 28, 2, "");
    if (!z.has(local, skip)) fail("member '" + quoted(m.name) + "' runs past the end");
    m.offset = local + skip;
    m.size = plain;
    if (!z.has(m.offset, m.size)) fail("member '" + quoted(m.name) + "' runs past the end");
    // Members of a real archive lie side by side: together they never hold more bytes than the file.
    total += m.size;
    if (total > size) fail("its members claim more bytes than the file holds (members that overlap)");
    members.push_back(std::move(m));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return members;
}

// "layer_10.npy" → ("layer_", 10): natural order puts layer_2 before layer_10.
std::pair<std::string, Index> naturalKey(std::string name) {
  if (endsWith(name, ".npy")) name.resize(name.size() - 4);
  std::size_t digits = name.size();
  while (digits > 0 && name[digits - 1] >= '0' && name[digits - 1] <= '9') --digits;
  const Index number = digits < name.size() && name.size() - digits <= 9 ? std::stoll(name.substr(digits)) : -1;
  return {name.substr(0, digits), number};
}

}  // namespace

AttentionDump AttentionDump::open(const std::string& path) {
  AttentionDump dump;
  dump.path_ = path;
  const auto file = MappedFile::open(path);
  Index heads = 0;
  auto headerAt = [&](std::uint64_t offset, std::uint64_t size, const std::string& what) {
    try {
      const std::string_view bytes(reinterpret_cast<const char*>(file->data() + offset),
                                   static_cast<std::size_t>(std::min<std::uint64_t>(size, 65536 + 12)));
      return parseNpyHeader(bytes, size);
    } catch (const Error& e) {
      throw Error("cannot read '" + path + "'" + what + ": " + e.what());
    }
  };
  auto square = [&](const std::vector<Index>& shape, const std::string& what) {
    if (shape.size() < 2 || shape[shape.size() - 1] != shape[shape.size() - 2])
      throw Error("'" + path + "'" + what + " has shape " + shapeText(shape) +
                  ": expected attention weights [..., n, n], square in the last two dimensions");
    if (std::find(shape.begin(), shape.end(), Index{0}) != shape.end())
      throw Error("'" + path + "'" + what + " has shape " + shapeText(shape) +
                  ": an empty dimension (every layer, head and token count must be at least 1)");
  };
  if (endsWith(path, ".npz")) {
    std::vector<Member> members = zipMembers(*file);
    if (members.empty()) throw Error("'" + path + "' holds no arrays: expected one per layer (layer_0, layer_1, …)");
    std::sort(members.begin(), members.end(),
              [](const Member& a, const Member& b) { return naturalKey(a.name) < naturalKey(b.name); });
    std::vector<Index> first;
    for (const Member& m : members) {
      const std::string what = " (member '" + m.name + "')";
      const NpyHeader h = headerAt(m.offset, m.size, what);
      std::vector<Index> shape = h.shape;
      if (shape.size() == 4 && shape[0] == 1) shape.erase(shape.begin());  // [1, heads, n, n]: a batch of one
      square(shape, what);
      if (shape.size() > 3)
        throw Error("'" + path + "'" + what + " has shape " + shapeText(h.shape) +
                    ": expected one layer, [heads, n, n] or [1, heads, n, n]");
      if (shape.size() == 2) shape.insert(shape.begin(), 1);
      if (first.empty()) first = shape, dump.itemSize_ = h.itemSize;
      if (shape != first || h.itemSize != dump.itemSize_)
        throw Error("'" + path + "'" + what + " has shape " + shapeText(shape) + " of " +
                    std::to_string(8 * h.itemSize) + "-bit floats, but '" + members[0].name + "' has " +
                    shapeText(first) + ": every layer must agree");
      dump.layers_.push_back({file, m.offset + h.dataOffset});
    }
    heads = first[0];
    dump.n_ = first[1];
    dump.description_ = std::to_string(members.size()) + " arrays, " + naturalKey(members.front().name).first +
                        "… in natural order, each " + shapeText(first);
  } else {
    const NpyHeader h = headerAt(0, file->size(), "");
    std::vector<Index> shape = h.shape;
    square(shape, "");
    if (shape.size() > 4)
      throw Error("'" + path + "' has shape " + shapeText(shape) +
                  ": expected [n, n], [heads, n, n] or [layers, heads, n, n]");
    while (shape.size() < 4) shape.insert(shape.begin(), 1);
    dump.itemSize_ = h.itemSize;
    heads = shape[1];
    dump.n_ = shape[3];
    const std::uint64_t layerBytes = std::uint64_t(shape[1] * shape[2] * shape[3]) * std::uint64_t(h.itemSize);
    for (Index l = 0; l < shape[0]; ++l) dump.layers_.push_back({file, h.dataOffset + std::uint64_t(l) * layerBytes});
    dump.description_ = shapeText(h.shape);
  }
  if (heads > kMaxHeads)
    throw Error("'" + path + "' has " + std::to_string(heads) + " heads: at most " + std::to_string(kMaxHeads));
  dump.heads_ = static_cast<int>(heads);
  if (dump.n_ > kMaxFullAttentionTokens)
    throw Error("'" + path + "' has n = " + withSeparators(dump.n_) + " tokens: at most " +
                withSeparators(kMaxFullAttentionTokens) + " (the weights are n × n)");
  return dump;
}

std::uint64_t AttentionDump::rowOffset(Index layer, int head, Index query) const {
  const Layer& l = layers_[static_cast<std::size_t>(layer)];
  return l.offset + (std::uint64_t(head) * std::uint64_t(n_) + std::uint64_t(query)) * std::uint64_t(n_) *
                        std::uint64_t(itemSize_);
}

namespace {
struct RowCopy {
  float* out;
  Index n;
  int itemSize;
};
void copyRow(const unsigned char* p, void* context) {
  const RowCopy& c = *static_cast<const RowCopy*>(context);
  if (c.itemSize == 4) {
    std::memcpy(c.out, p, static_cast<std::size_t>(c.n) * 4);
  } else if (c.itemSize == 2) {
    halfToFloat(p, c.out, c.n);
  } else {
    for (Index j = 0; j < c.n; ++j) {
      double v;
      std::memcpy(&v, p + 8 * j, 8);
      c.out[j] = static_cast<float>(v);
    }
  }
}
}  // namespace

void AttentionDump::row(Index layer, int head, Index query, float* out) const {
  RowCopy copy{out, n_, itemSize_};
  // A rewrite of the same size is noticed by its modification time, checked once a head (at its first row, which
  // every pass over a head reads); a file cut short faults inside the copy, on any row, and says the same.
  layers_[static_cast<std::size_t>(layer)].file->read(rowOffset(layer, head, query),
                                                      std::uint64_t(n_) * std::uint64_t(itemSize_), copyRow, &copy,
                                                      /*checkFirst=*/query == 0);
}

void AttentionDump::finiteRow(Index layer, int head, Index query, float* out) const {
  row(layer, head, query, out);
  if (!Eigen::Map<const Eigen::VectorXf>(out, n_).allFinite())  // vectorised: a serial sum cost a tenth of a rollout
    throw Error("'" + path_ + "' holds NaN or infinite weights at layer " + std::to_string(layer) + ", head " +
                std::to_string(head) + ", query " + std::to_string(query) +
                ": a rollout and a fit need finite weights (export the attention in float32, or mend that row)");
}

Index AttentionDump::checkLayers(Index from, Index to) const {
  const Index last = to < 0 ? layers() : to;
  const std::string has =
      std::to_string(layers()) + (layers() == 1 ? " layer" : " layers") + " (0 … " + std::to_string(layers() - 1) + ")";
  if (from < 0 || from >= layers()) throw Error("layer " + std::to_string(from) + " is not in the dump: it has " + has);
  if (last <= from || last > layers())
    throw Error("layers " + std::to_string(from) + " up to " + std::to_string(last) + " are not in the dump: it has " +
                has);
  return last;
}

void AttentionDump::checkMask(Index maskN, int maskHeads) const {
  if (maskN != n_)
    throw Error("the pattern has n = " + std::to_string(maskN) + " but the weights have n = " + std::to_string(n_));
  if (maskHeads != 1 && maskHeads != heads_)
    throw Error("the pattern has " + std::to_string(maskHeads) + " heads but the weights have " +
                std::to_string(heads_) + ": expected one layout for all heads or one a head");
}

void AttentionDump::checkMasks(const SparseMask* mask, const std::vector<const SparseMask*>& layerMasks) const {
  if (!layerMasks.empty() && static_cast<Index>(layerMasks.size()) != layers())
    throw Error("one mask a layer: " + std::to_string(layerMasks.size()) + " masks for " + std::to_string(layers()) +
                " layers");
  for (const SparseMask* m : layerMasks)
    if (m) checkMask(m->n(), m->heads());
  if (mask) checkMask(mask->n(), mask->heads());
}

void AttentionDump::release(Index layer, int head) const { release(layer, head, 0, n_); }

void AttentionDump::release(Index layer, int head, Index fromRow, Index toRow) const {
  const Layer& l = layers_[static_cast<std::size_t>(layer)];
  const std::uint64_t rowBytes = std::uint64_t(n_) * std::uint64_t(itemSize_);
  l.file->release(rowOffset(layer, head, fromRow), std::uint64_t(toRow - fromRow) * rowBytes);
}

std::vector<std::string> AttentionDump::readTokens(const std::string& path, Index n) {
  std::vector<std::string> tokens;
  if (endsWith(path, ".json")) {
    const JsonValue list =
        readJsonFile(path, static_cast<std::size_t>(std::min<Index>(n, kMaxSequenceLength)) * 256 + (1u << 20));
    if (!list.isArray()) throw Error("'" + path + "' is not a JSON list of strings");
    for (const JsonValue& t : list.items()) {
      if (!t.isString()) throw Error("'" + path + "' holds a " + JsonValue::kindName(t.kind()) + ": expected strings");
      tokens.push_back(t.asString());
    }
  } else {
    // A token is rarely more than a few dozen bytes: 256 a token (and a MiB to spare) bounds the file by n before a
    // byte is read, so neither /dev/zero nor a sparse file of gigabytes is read to find out.
    const std::size_t most = static_cast<std::size_t>(std::min<Index>(n, kMaxSequenceLength)) * 256 + (1u << 20);
    std::istringstream in(readSmallFile(path, most, "a token file for n = " + std::to_string(n)));
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      tokens.push_back(line);
      if (static_cast<Index>(tokens.size()) > n) break;
    }
  }
  const auto count = static_cast<Index>(tokens.size());
  if (count > n)
    throw Error("'" + path + "' has more than " + std::to_string(n) +
                " tokens: expected exactly n = " + std::to_string(n) + " (one a line, or a JSON list)");
  if (count < n)
    throw Error("'" + path + "' has " + std::to_string(count) + " tokens: expected exactly n = " + std::to_string(n) +
                " (one a line, or a JSON list)");
  return tokens;
}

}  // namespace attnscope
