#include "engine/weights/attention_dump.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "engine/io/json.h"
#include "engine/io/mapped_file.h"
#include "engine/io/npy.h"
#include "engine/masks/sparse_mask.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"

namespace attnscope {

namespace {

std::uint64_t le(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int b = bytes - 1; b >= 0; --b) v = (v << 8) | p[b];
  return v;
}

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

std::vector<Member> zipMembers(const MappedFile& file) {
  const unsigned char* d = file.data();
  const std::uint64_t size = file.size();
  auto fail = [&](const std::string& why) -> std::vector<Member> {
    throw Error("cannot read '" + file.path() + "' as a .npz archive: " + why);
  };
  if (size < 22) return fail("the file is too short");
  // The end-of-central-directory record is in the last 22 + 65,535 bytes.
  std::uint64_t eocd = size - 22;
  const std::uint64_t stop = size > 22 + 65535 ? size - 22 - 65535 : 0;
  while (le(d + eocd, 4) != 0x06054b50u) {
    if (eocd == stop) return fail("no end-of-archive record (not a ZIP file)");
    --eocd;
  }
  std::uint64_t entries = le(d + eocd + 10, 2), cdOffset = le(d + eocd + 16, 4), cdSize = le(d + eocd + 12, 4);
  if ((entries == 0xFFFF || cdOffset == 0xFFFFFFFFu) && eocd >= 20 && le(d + eocd - 20, 4) == 0x07064b50u) {
    const std::uint64_t z = le(d + eocd - 20 + 8, 8);  // ZIP64 end-of-central-directory record
    if (z + 56 > size || le(d + z, 4) != 0x06064b50u) return fail("a broken ZIP64 record");
    entries = le(d + z + 32, 8);
    cdSize = le(d + z + 40, 8);
    cdOffset = le(d + z + 48, 8);
  }
  if (cdOffset > size || cdSize > size - cdOffset) return fail("its directory lies outside the file");
  if (entries > 100000) return fail("more than 100,000 members");
  std::vector<Member> members;
  std::uint64_t at = cdOffset;
  for (std::uint64_t e = 0; e < entries; ++e) {
    if (at + 46 > cdOffset + cdSize || le(d + at, 4) != 0x02014b50u) return fail("a broken directory entry");
    const auto method = le(d + at + 10, 2), nameLen = le(d + at + 28, 2), extraLen = le(d + at + 30, 2),
               commentLen = le(d + at + 32, 2);
    std::uint64_t compressed = le(d + at + 20, 4), plain = le(d + at + 24, 4), local = le(d + at + 42, 4);
    if (at + 46 + nameLen + extraLen > cdOffset + cdSize) return fail("a broken directory entry");
    Member m;
    m.name.assign(reinterpret_cast<const char*>(d + at + 46), nameLen);
    // ZIP64 sizes and offsets, in the order of the fields that overflowed.
    const std::uint64_t extraEnd = at + 46 + nameLen + extraLen;
    for (std::uint64_t x = at + 46 + nameLen; x + 4 <= extraEnd;) {
      const auto id = le(d + x, 2), len = le(d + x + 2, 2);
      const std::uint64_t fieldEnd = std::min(x + 4 + len, extraEnd);  // a field never reads past its entry
      if (id == 0x0001) {
        std::uint64_t y = x + 4;
        if (plain == 0xFFFFFFFFu && y + 8 <= fieldEnd) plain = le(d + y, 8), y += 8;
        if (compressed == 0xFFFFFFFFu && y + 8 <= fieldEnd) compressed = le(d + y, 8), y += 8;
        if (local == 0xFFFFFFFFu && y + 8 <= fieldEnd) local = le(d + y, 8);
      }
      x += 4 + len;
    }
    if (method != 0)
      return fail("member '" + m.name + "' is compressed; save it with np.savez, not np.savez_compressed");
    if (local + 30 > size || le(d + local, 4) != 0x04034b50u) return fail("member '" + m.name + "' has no header");
    m.offset = local + 30 + le(d + local + 26, 2) + le(d + local + 28, 2);
    m.size = plain;
    if (m.offset > size || m.size > size - m.offset) return fail("member '" + m.name + "' runs past the end");
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

const unsigned char* AttentionDump::at(Index layer, int head, Index query) const {
  const Layer& l = layers_[static_cast<std::size_t>(layer)];
  return l.file->data() + l.offset +
         (std::uint64_t(head) * std::uint64_t(n_) + std::uint64_t(query)) * std::uint64_t(n_) *
             std::uint64_t(itemSize_);
}

void AttentionDump::row(Index layer, int head, Index query, float* out) const {
  const unsigned char* p = at(layer, head, query);
  if (itemSize_ == 4) {
    std::memcpy(out, p, static_cast<std::size_t>(n_) * 4);
  } else if (itemSize_ == 2) {
    halfToFloat(p, out, n_);
  } else {
    for (Index j = 0; j < n_; ++j) {
      double v;
      std::memcpy(&v, p + 8 * j, 8);
      out[j] = static_cast<float>(v);
    }
  }
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

void AttentionDump::release(Index layer, int head) const {
  const Layer& l = layers_[static_cast<std::size_t>(layer)];
  const std::uint64_t bytes = std::uint64_t(n_) * std::uint64_t(n_) * std::uint64_t(itemSize_);
  l.file->release(l.offset + std::uint64_t(head) * bytes, bytes);
}

std::vector<std::string> AttentionDump::readTokens(const std::string& path, Index n) {
  std::vector<std::string> tokens;
  if (endsWith(path, ".json")) {
    const JsonValue list = readJsonFile(path, 64u << 20);
    if (!list.isArray()) throw Error("'" + path + "' is not a JSON list of strings");
    for (const JsonValue& t : list.items()) {
      if (!t.isString()) throw Error("'" + path + "' holds a " + JsonValue::kindName(t.kind()) + ": expected strings");
      tokens.push_back(t.asString());
    }
  } else {
    std::ifstream in(path);
    if (!in) throw Error("cannot open '" + path + "'");
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
