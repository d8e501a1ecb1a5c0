// A model's own attention weights: every shape and dtype a dump comes in, .npz archives in natural order, memory
// that stays small on a large file, and each head's figures against plain double-precision loops.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/io/mapped_file.h"
#include "engine/io/npy.h"
#include "engine/patterns/pattern_registry.h"
#include "engine/weights/attention_dump.h"
#include "engine/weights/head_stats.h"
#include "engine/weights/rollout.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

using test::errorOf;

std::string tempPath(const std::string& name) {
  return ::testing::TempDir() + "attnscope_weights_" + std::to_string(::getpid()) + "_" + name;
}

// float → float16 bits for values float16 holds exactly (the tests use k / 2^m).
std::uint16_t toHalf(float f) {
  if (f == 0) return 0;
  int e = 0;
  const float m = std::frexp(f, &e);  // f = m · 2^e, m in [0.5, 1)
  const int exponent = e - 1 + 15;
  const auto mantissa = static_cast<std::uint16_t>(std::lround((m * 2 - 1) * 1024));
  return static_cast<std::uint16_t>((exponent << 10) | mantissa);
}

// Writes `values` (C order) as .npy of `shape` in float32 or float16, the way numpy.save does.
std::string npyBytes(const std::vector<Index>& shape, const std::vector<float>& values, bool half) {
  std::ostringstream out;
  writeNpyHeader(out, half ? "<f2" : "<f4", shape);
  for (float v : values) {
    if (half) {
      const std::uint16_t h = toHalf(v);
      out.write(reinterpret_cast<const char*>(&h), 2);
    } else {
      out.write(reinterpret_cast<const char*>(&v), 4);
    }
  }
  return out.str();
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void put(std::string& s, std::uint64_t v, int bytes) {
  for (int b = 0; b < bytes; ++b) s += static_cast<char>((v >> (8 * b)) & 0xff);
}

// An uncompressed ZIP of named members, as np.savez writes (CRCs left 0: the reader does not check them).
std::string zipBytes(const std::vector<std::pair<std::string, std::string>>& members, int method = 0) {
  std::string out, directory;
  for (const auto& [name, data] : members) {
    const std::uint64_t local = out.size();
    put(out, 0x04034b50, 4), put(out, 20, 2), put(out, 0, 2), put(out, method, 2), put(out, 0, 4), put(out, 0, 4);
    put(out, data.size(), 4), put(out, data.size(), 4), put(out, name.size(), 2), put(out, 0, 2);
    out += name + data;
    put(directory, 0x02014b50, 4), put(directory, 20, 2), put(directory, 20, 2), put(directory, 0, 2);
    put(directory, method, 2), put(directory, 0, 4), put(directory, 0, 4), put(directory, data.size(), 4);
    put(directory, data.size(), 4), put(directory, name.size(), 2), put(directory, 0, 2), put(directory, 0, 2);
    put(directory, 0, 2), put(directory, 0, 2), put(directory, 0, 4), put(directory, local, 4);
    directory += name;
  }
  const std::uint64_t at = out.size();
  out += directory;
  put(out, 0x06054b50, 4), put(out, 0, 2), put(out, 0, 2), put(out, members.size(), 2), put(out, members.size(), 2);
  put(out, directory.size(), 4), put(out, at, 4), put(out, 0, 2);
  return out;
}

// weights(l, h, i, j) for a [layers, heads, n, n] dump.
std::vector<float> tensor(Index layers, Index heads, Index n,
                          const std::function<float(Index, Index, Index, Index)>& f) {
  std::vector<float> v;
  for (Index l = 0; l < layers; ++l)
    for (Index h = 0; h < heads; ++h)
      for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < n; ++j) v.push_back(f(l, h, i, j));
  return v;
}

TEST(AttentionDump, EveryShapeAndDtypeReadsTheSameRows) {
  const auto f = [](Index l, Index h, Index i, Index j) { return float((l * 7 + h * 3 + i * 5 + j) % 16) / 16; };
  const std::vector<float> all = tensor(2, 3, 8, f);
  struct Case {
    std::vector<Index> shape;
    bool half;
    Index layers, heads;
  };
  for (const Case& c : {Case{{8, 8}, false, 1, 1}, Case{{3, 8, 8}, true, 1, 3}, Case{{2, 3, 8, 8}, false, 2, 3},
                        Case{{2, 3, 8, 8}, true, 2, 3}}) {
    Index count = 1;
    for (Index d : c.shape) count *= d;
    const std::string path = tempPath("shape.npy");
    writeFile(path, npyBytes(c.shape, std::vector<float>(all.begin(), all.begin() + count), c.half));
    const AttentionDump dump = AttentionDump::open(path);
    EXPECT_EQ(dump.layers(), c.layers);
    EXPECT_EQ(dump.heads(), c.heads);
    EXPECT_EQ(dump.n(), 8);
    EXPECT_EQ(dump.itemSize(), c.half ? 2 : 4);
    std::vector<float> row(8);
    for (Index l = 0; l < c.layers; ++l)
      for (int h = 0; h < c.heads; ++h)
        for (Index i = 0; i < 8; i += 3) {
          dump.row(l, h, i, row.data());
          for (Index j = 0; j < 8; ++j) EXPECT_EQ(row[j], f(l, h, i, j)) << l << h << i << j;
        }
    std::remove(path.c_str());
  }
}

TEST(AttentionDump, AnNpzIsOneLayerAMemberInNaturalOrder) {
  // Twelve layers written out of order, named as a user's loop would name them: layer_10 must come after layer_9.
  const auto f = [](Index l, Index h, Index i, Index j) { return float(l) + float(h * 64 + i * 8 + j) / 1024; };
  std::vector<std::pair<std::string, std::string>> members;
  for (Index l : {10, 2, 0, 11, 1, 3, 4, 5, 6, 7, 8, 9})
    members.push_back(
        {"layer_" + std::to_string(l) + ".npy",
         npyBytes({1, 2, 8, 8}, tensor(1, 2, 8, [&](Index, Index h, Index i, Index j) { return f(l, h, i, j); }),
                  false)});
  const std::string path = tempPath("dump.npz");
  writeFile(path, zipBytes(members));
  const AttentionDump dump = AttentionDump::open(path);
  ASSERT_EQ(dump.layers(), 12);
  EXPECT_EQ(dump.heads(), 2);
  std::vector<float> row(8);
  for (Index l = 0; l < 12; ++l) {
    dump.row(l, 1, 5, row.data());
    EXPECT_EQ(row[3], f(l, 1, 5, 3)) << "layer " << l;
  }
  // np.savez_compressed deflates its members: refused in one line that says what to do.
  writeFile(path, zipBytes({{"layer_0.npy", npyBytes({2, 8, 8}, std::vector<float>(128, 0.125f), false)}}, 8));
  EXPECT_EQ(errorOf([&] { AttentionDump::open(path); }),
            "cannot read '" + path +
                "' as a .npz archive: member 'layer_0.npy' is compressed; save it with np.savez, "
                "not np.savez_compressed");
  // Layers that disagree.
  writeFile(path, zipBytes({{"layer_0.npy", npyBytes({2, 8, 8}, std::vector<float>(128, 0.125f), false)},
                            {"layer_1.npy", npyBytes({2, 4, 4}, std::vector<float>(32, 0.25f), false)}}));
  EXPECT_NE(errorOf([&] { AttentionDump::open(path); }).find("every layer must agree"), std::string::npos);
  std::remove(path.c_str());
}

TEST(AttentionDump, BadFilesAreRefusedInOneLine) {
  const std::string path = tempPath("bad.npy");
  writeFile(path, npyBytes({3, 4}, std::vector<float>(12, 0.25f), false));
  EXPECT_EQ(
      errorOf([&] { AttentionDump::open(path); }),
      "'" + path + "' has shape [3, 4]: expected attention weights [..., n, n], square in the last two dimensions");
  writeFile(path, npyBytes({1, 1, 2, 2, 2}, std::vector<float>(8, 0.5f), false));
  EXPECT_NE(errorOf([&] { AttentionDump::open(path); }).find("expected [n, n], [heads, n, n] or [layers, heads, n, n]"),
            std::string::npos);
  writeFile(path, npyBytes({0, 4, 4}, {}, false));  // no heads at all
  EXPECT_EQ(
      errorOf([&] { AttentionDump::open(path); }),
      "'" + path + "' has shape [0, 4, 4]: an empty dimension (every layer, head and token count must be at least 1)");
  writeFile(path, npyBytes({4, 4}, std::vector<float>(16, 0.25f), false).substr(0, 100));  // cut short
  EXPECT_NE(errorOf([&] { AttentionDump::open(path); }).find("cannot read '" + path + "'"), std::string::npos);
  const std::string tokens = tempPath("tokens.txt");
  writeFile(tokens, "the\ncat\nsat\n");
  EXPECT_EQ(AttentionDump::readTokens(tokens, 3), (std::vector<std::string>{"the", "cat", "sat"}));
  EXPECT_EQ(errorOf([&] { AttentionDump::readTokens(tokens, 4); }),
            "'" + tokens + "' has 3 tokens: expected exactly n = 4 (one a line, or a JSON list)");
  writeFile(tokens, R"(["a", "b"])");
  const std::string json = tokens + ".json";
  std::rename(tokens.c_str(), json.c_str());
  EXPECT_EQ(AttentionDump::readTokens(json, 2), (std::vector<std::string>{"a", "b"}));
  std::remove(path.c_str());
  std::remove(json.c_str());
}

// Archives crafted to lie: every offset the file gives is checked without arithmetic that can wrap, and a
// directory that lists one member many times is refused instead of read again and again.
TEST(AttentionDump, CraftedArchivesAreRefusedNeverRead) {
  const std::string path = tempPath("crafted.npz");
  const std::string member = npyBytes({2, 8, 8}, std::vector<float>(128, 0.125f), false);
  const std::string good = zipBytes({{"layer_0.npy", member}});
  const std::size_t eocd = good.size() - 22, directory = good.size() - 22 - (46 + 11);
  auto patched = [&](std::size_t at, std::uint64_t value, int bytes) {
    std::string z = good;
    for (int b = 0; b < bytes; ++b) z[at + std::size_t(b)] = static_cast<char>((value >> (8 * b)) & 0xff);
    return z;
  };
  auto refusal = [&](const std::string& bytes) {
    writeFile(path, bytes);
    return errorOf([&] { AttentionDump::open(path); });
  };
  const std::string prefix = "cannot read '" + path + "' as a .npz archive: ";
  // A local-header offset near 2^64 (through a ZIP64 extra field) used to wrap past the bounds check.
  {
    std::string z = good.substr(0, directory);
    std::string entry = good.substr(directory, 46 + 11);
    for (int b = 0; b < 4; ++b) entry[42 + std::size_t(b)] = '\xff';  // local offset: look in the extra field
    entry[30] = 12, entry[31] = 0;                                    // 12 bytes of extra field
    std::string extra;
    put(extra, 0x0001, 2), put(extra, 8, 2), put(extra, 0xFFFFFFFFFFFFFFF0ull, 8);
    entry += extra;
    z += entry;
    put(z, 0x06054b50, 4), put(z, 0, 2), put(z, 0, 2), put(z, 1, 2), put(z, 1, 2), put(z, entry.size(), 4);
    put(z, directory, 4), put(z, 0, 2);
    EXPECT_EQ(refusal(z), prefix + "member 'layer_0.npy' has no header");
  }
  // A ZIP64 locator pointing near 2^64.
  {
    std::string z = good.substr(0, eocd);
    put(z, 0x07064b50, 4), put(z, 0, 4), put(z, 0xFFFFFFFFFFFFFFF8ull, 8), put(z, 1, 4);
    std::string end = good.substr(eocd);
    for (int b = 0; b < 4; ++b) end[16 + std::size_t(b)] = '\xff';  // the directory offset is in ZIP64
    z += end;
    EXPECT_EQ(refusal(z), prefix + "a broken ZIP64 record");
  }
  // A directory whose size or offset runs past the file.
  EXPECT_EQ(refusal(patched(eocd + 12, 0xFFFFFFF0u, 4)), prefix + "its directory lies outside the file");
  EXPECT_EQ(refusal(patched(eocd + 16, 0xFFFFFFF0u, 4)), prefix + "its directory lies outside the file");
  // One member listed 65,535 times: the directory has room for one entry.
  EXPECT_EQ(refusal(patched(eocd + 10, 65535, 2)), prefix + "its directory claims 65535 members but has room for 1");
  // The same member listed twice, with room for both.
  {
    std::string z = good.substr(0, directory);
    const std::string entry = good.substr(directory, 46 + 11);
    z += entry + entry;
    put(z, 0x06054b50, 4), put(z, 0, 2), put(z, 0, 2), put(z, 2, 2), put(z, 2, 2), put(z, 2 * entry.size(), 4);
    put(z, directory, 4), put(z, 0, 2);
    EXPECT_EQ(refusal(z), prefix + "member 'layer_0.npy' is listed twice");
  }
  // Two names for the same bytes.
  {
    std::string z = good.substr(0, directory);
    std::string entry = good.substr(directory, 46 + 11), other = entry;
    other[46 + 6] = '1';  // layer_1.npy, the same local header
    z += entry + other;
    put(z, 0x06054b50, 4), put(z, 0, 2), put(z, 0, 2), put(z, 2, 2), put(z, 2, 2), put(z, 2 * entry.size(), 4);
    put(z, directory, 4), put(z, 0, 2);
    EXPECT_EQ(refusal(z), prefix + "its members claim more bytes than the file holds (members that overlap)");
  }
  EXPECT_NO_THROW(AttentionDump::open((writeFile(path, good), path)));
  std::remove(path.c_str());
}

// A dump rewritten on disk while it is open (a user re-exports it from Python to the same path): the next read says
// so in one line, whether the file was cut short (touching its pages would raise SIGBUS) or written again whole.
TEST(AttentionDump, AFileThatChangesWhileOpenIsReportedNeverASignal) {
  const std::string path = tempPath("changing.npy");
  const Index n = 2048;  // 16 MB of float32: many pages past any truncation
  writeFile(path, npyBytes({1, n, n}, std::vector<float>(std::size_t(n * n), 1.0f / n), false));
  const AttentionDump dump = AttentionDump::open(path);
  std::vector<float> row(static_cast<std::size_t>(n));
  dump.row(0, 0, n - 1, row.data());
  EXPECT_FLOAT_EQ(row[7], 1.0f / n);
  const std::string changed = "'" + path + "' changed since it was opened (written again or cut short): open it again";
  // Cut short, as np.save's open for writing does first.
  ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
  EXPECT_EQ(errorOf([&] { dump.row(0, 0, n - 1, row.data()); }), changed);
  EXPECT_EQ(errorOf([&] { measureWeights(dump); }), changed);
  EXPECT_EQ(errorOf([&] { attentionRollout(dump); }), changed);
  // The guard itself: the file is cut short between the check and the copy (here by the copy itself), and the
  // SIGBUS of touching a page past the end becomes the same message.
  {
    const std::string guarded = tempPath("guard.bin");
    writeFile(guarded, std::string(1 << 20, 'x'));
    const auto file = MappedFile::open(guarded);
    struct Cut {
      static void thenRead(const unsigned char* p, void* context) {
        const auto* name = static_cast<const std::string*>(context);
        if (::truncate(name->c_str(), 0) != 0) return;
        volatile unsigned total = 0;
        for (int i = 0; i < (1 << 20); i += 4096) total = total + p[i];
      }
    };
    std::string name = guarded;
    EXPECT_EQ(errorOf([&] { file->read(0, 1 << 20, Cut::thenRead, &name); }),
              "'" + guarded + "' changed since it was opened (written again or cut short): open it again");
    std::remove(guarded.c_str());
  }
  std::remove(path.c_str());
}

// Token files: a folder, a FIFO, an endless device or a sparse file of gigabytes is refused before it is read.
TEST(AttentionDump, TokenFilesAreRegularAndBoundedByN) {
  const std::string dir = tempPath("tokens-dir");
  ::mkdir(dir.c_str(), 0700);
  EXPECT_EQ(errorOf([&] { AttentionDump::readTokens(dir, 4); }),
            "cannot read '" + dir + "': it is not a regular file (a folder); give a file");
  const std::string fifo = tempPath("tokens.fifo");
  ::mkfifo(fifo.c_str(), 0600);
  EXPECT_EQ(errorOf([&] { AttentionDump::readTokens(fifo, 4); }),
            "cannot read '" + fifo + "': it is not a regular file (a FIFO); give a file");
  EXPECT_EQ(errorOf([&] { AttentionDump::readTokens("/dev/zero", 4); }),
            "cannot read '/dev/zero': it is not a regular file (a device or socket); give a file");
  const std::string sparse = tempPath("sparse.txt");
  writeFile(sparse, "a\n");
  ASSERT_EQ(::truncate(sparse.c_str(), 3ll << 30), 0);  // 3 GB, nothing of it on disk
  EXPECT_EQ(errorOf([&] { AttentionDump::readTokens(sparse, 4); }),
            "'" + sparse + "' has more than 1049600 bytes, more than a token file for n = 4 may have");
  std::remove(sparse.c_str());
  std::remove(fifo.c_str());
  ::rmdir(dir.c_str());
}

TEST(HeadStats, RolesEntropyAndMassAgainstPlainLoops) {
  // Four causal heads of n = 16 with known behaviour, and a padding row (token 15) in every head:
  // 0 previous-token, 1 first-token sink (0.75 on token 0, the rest spread evenly), 2 uniform over earlier keys,
  // 3 on the diagonal.
  const Index n = 16;
  const auto f = [&](Index, Index h, Index i, Index j) -> float {
    if (i == n - 1 || j > i) return 0;
    switch (h) {
      case 0: return j == std::max<Index>(0, i - 1) ? 1.0f : 0.0f;
      case 1: return i == 0 ? 1.0f : j == 0 ? 0.75f : 0.25f / float(i);
      case 2: return 1.0f / float(i + 1);
      default: return i == j ? 1.0f : 0.0f;
    }
  };
  const std::vector<float> all = tensor(1, 4, n, f);
  const std::string path = tempPath("heads.npy");
  writeFile(path, npyBytes({1, 4, n, n}, all, false));
  const AttentionDump dump = AttentionDump::open(path);
  const SparseMask window = PatternSpec::parse("window").build({{"radius", "1"}, {"causal", "true"}}, n);
  WeightsOptions options;
  options.topk = 2;
  options.mask = &window;
  const WeightsReport r = measureWeights(dump, options);
  ASSERT_EQ(r.stats.size(), 1u);
  EXPECT_EQ(r.paddingRows, 4);
  EXPECT_EQ(r.offRows, 0);
  for (int h = 0; h < 4; ++h) {
    double entropy = 0, diag = 0, prev = 0, first = 0, top = 0, kept = 0, oracle = 0;
    for (Index i = 0; i < n - 1; ++i) {
      std::vector<double> row;
      for (Index j = 0; j < n; ++j) row.push_back(f(0, h, i, j));
      for (double a : row)
        if (a > 0) entropy -= a * std::log(a);
      diag += row[i];
      if (i > 0) prev += row[i - 1];
      first += row[0];
      std::vector<double> sorted = row;
      std::sort(sorted.rbegin(), sorted.rend());
      top += sorted[0] + sorted[1];
      kept += row[i] + (i > 0 ? row[i - 1] : 0.0);      // the causal window of radius 1: i − 1 and i
      oracle += sorted[0] + (i > 0 ? sorted[1] : 0.0);  // as many of the largest weights
    }
    const HeadStats& s = r.stats[0][h];
    EXPECT_NEAR(s.entropy, entropy / (n - 1), 1e-6) << h;
    EXPECT_NEAR(s.diagonal, diag / (n - 1), 1e-6) << h;
    EXPECT_NEAR(s.previous, prev / (n - 2), 1e-6) << h;
    EXPECT_NEAR(s.first, first / (n - 1), 1e-6) << h;
    EXPECT_NEAR(s.topk, top / (n - 1), 1e-6) << h;
    EXPECT_NEAR(s.massKept, kept / (n - 1), 1e-6) << h;
    EXPECT_NEAR(s.oracleKept, oracle / (n - 1), 1e-6) << h;
    EXPECT_NEAR(s.density, double(window.headRows(0).offsets.back()) / (n * n), 1e-12) << h;
    EXPECT_TRUE(s.causal);
    EXPECT_EQ(s.paddingRows, 1);
  }
  EXPECT_EQ(r.stats[0][0].role(), "previous-token");
  EXPECT_EQ(r.stats[0][1].role(), "first-token sink");
  EXPECT_EQ(r.stats[0][2].role(), "broad");
  EXPECT_EQ(r.stats[0][3].role(), "diagonal");
  // Weights that are not numbers count as 0 and their rows as off, in every figure (no crash in the top-k).
  std::vector<float> broken = all;
  broken[static_cast<std::size_t>(3 * n + 2)] = std::numeric_limits<float>::quiet_NaN();     // head 0: a_3,2
  broken[static_cast<std::size_t>(n * n + 2 * n)] = std::numeric_limits<float>::infinity();  // head 1, row 2
  const std::string brokenPath = tempPath("broken.npy");
  writeFile(brokenPath, npyBytes({1, 4, n, n}, broken, false));
  const WeightsReport b = measureWeights(AttentionDump::open(brokenPath), options);
  EXPECT_EQ(b.offRows, 2);
  EXPECT_EQ(b.stats[0][0].offRows, 1);
  EXPECT_EQ(b.stats[0][1].offRows, 1);
  EXPECT_NEAR(b.stats[0][0].previous, double(n - 3) / (n - 2), 1e-6);  // the NaN was row 3's previous token
  std::remove(brokenPath.c_str());
  // A mask of another n, and a layer that is not there.
  const SparseMask other = PatternSpec::parse("full").build({}, 8);
  options.mask = &other;
  EXPECT_EQ(errorOf([&] { measureWeights(dump, options); }), "the pattern has n = 8 but the weights have n = 16");
  options.mask = nullptr;
  options.fromLayer = 1;
  EXPECT_EQ(errorOf([&] { measureWeights(dump, options); }), "layer 1 is not in the dump: it has 1 layer (0 … 0)");
  std::remove(path.c_str());
}

long peakKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

TEST(AttentionDump, ALargeFileIsMappedNotRead) {
  // A 4-layer × 2-head × 4,096² float16 dump: 268 MB on disk, sparse (all zeros, so every row is padding). Opening
  // it, reading rows of every head and measuring one layer must stay far below the file's size in peak memory.
  const std::string path = tempPath("large.npy");
  {
    std::ofstream out(path, std::ios::binary);
    writeNpyHeader(out, "<f2", {4, 2, 4096, 4096});
  }
  const std::uint64_t bytes = 128 + std::uint64_t(4) * 2 * 4096 * 4096 * 2;
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(bytes)), 0);
  const long before = peakKb();
  const AttentionDump dump = AttentionDump::open(path);
  EXPECT_EQ(dump.layers(), 4);
  std::vector<float> row(4096);
  for (Index l = 0; l < 4; ++l)
    for (int h = 0; h < 2; ++h) dump.row(l, h, 2048, row.data());
  WeightsOptions options;
  options.fromLayer = 3;
  options.toLayer = 4;
  const WeightsReport r = measureWeights(dump, options);
  EXPECT_EQ(r.paddingRows, 2 * 4096);
  const long grown = peakKb() - before;
  EXPECT_LT(grown, 120 * 1024) << "peak memory grew by " << grown / 1024 << " MB reading a 268 MB file";
  std::remove(path.c_str());
}

}  // namespace
}  // namespace attnscope

#include "engine/models/layer_stack.h"
#include "engine/weights/stack_masks.h"

namespace attnscope {
namespace {

TEST(Rollout, AgainstADenseDoublePrecisionReferenceWithAndWithoutAPattern) {
  // Three layers of two heads over 12 tokens, each row a softmax of seeded logits.
  const Index L = 3, H = 2, n = 12;
  std::vector<float> all;
  std::uint64_t state = 12345;
  auto uniform = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return double(state >> 11) / double(1ull << 53);
  };
  for (Index r = 0; r < L * H * n; ++r) {
    std::vector<double> e(n);
    double sum = 0;
    for (Index j = 0; j < n; ++j) sum += e[j] = std::exp(3 * uniform());
    for (Index j = 0; j < n; ++j) all.push_back(float(e[j] / sum));
  }
  const std::string path = tempPath("rollout.npy");
  writeFile(path, npyBytes({L, H, n, n}, all, false));
  const AttentionDump dump = AttentionDump::open(path);
  const SparseMask window = PatternSpec::parse("window").build({{"radius", "1"}}, n);
  // A model's stack: a window, a full layer, a window (the full layer lets everything through).
  LayerStack stack;
  stack.n = 999;  // built at the dump's n whatever the stack says
  stack.layers = parseShortForm("window radius=1, full, window radius=1");
  const LayerMasks stackMasks = masksFromStack(stack, dump);
  ASSERT_EQ(stackMasks.byLayer.size(), 3u);
  EXPECT_EQ(stackMasks.byLayer[0], stackMasks.byLayer[2]);  // equal layers share one mask
  EXPECT_EQ(*stackMasks.byLayer[0], window);
  for (int mode = 0; mode < 3; ++mode) {  // dense, every layer the window, the stack
    const SparseMask* mask = mode == 1 ? &window : nullptr;
    // The reference: per layer the heads (restricted and renormalised) averaged, 0.5·A + 0.5·I, rows renormalised.
    MatrixD R;
    for (Index l = 0; l < L; ++l) {
      const bool restricted = mode == 1 || (mode == 2 && l != 1);
      MatrixD A = MatrixD::Zero(n, n);
      for (Index h = 0; h < H; ++h)
        for (Index i = 0; i < n; ++i) {
          double sum = 0;
          for (Index j = 0; j < n; ++j)
            if (!restricted || std::abs(i - j) <= 1) sum += all[((l * H + h) * n + i) * n + j];
          for (Index j = 0; j < n; ++j)
            if (!restricted || std::abs(i - j) <= 1) A(i, j) += all[((l * H + h) * n + i) * n + j] / sum / H;
        }
      A = 0.5 * A + 0.5 * MatrixD::Identity(n, n);
      for (Index i = 0; i < n; ++i) A.row(i) /= A.row(i).sum();
      R = l == 0 ? A : MatrixD(A * R);
    }
    RolloutOptions options;
    options.mask = mask;
    if (mode == 2) options.layerMasks = stackMasks.pointers();
    const Matrix got = attentionRollout(dump, options);
    EXPECT_LT((got.cast<double>() - R).cwiseAbs().maxCoeff(), 1e-5) << "mode " << mode;
    for (Index i = 0; i < n; ++i) EXPECT_NEAR(got.row(i).sum(), 1.0, 1e-5);
    if (mode == 1) {  // three layers of a window of radius 1: exactly the tokens within 3 hops
      for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < n; ++j) EXPECT_EQ(got(i, j) > 0, std::abs(i - j) <= 3) << i << " " << j;
    }
  }
  // A stack of another depth is refused, naming both.
  stack.layers = parseShortForm("window radius=1 ×2");
  EXPECT_EQ(errorOf([&] { masksFromStack(stack, dump); }),
            "the stack has 2 layers but the weights have 3: give a stack of as many layers (layer ℓ is held against "
            "layer ℓ), or of one layer for every layer");
  std::remove(path.c_str());
}

TEST(HeadStats, AStackHoldsEachOfItsLayersAgainstThatLayer) {
  // Two layers of one head over 10 tokens, every row uniform over its earlier keys. Held against the stack
  // "window radius=1 causal=true, causal": layer 0 keeps the query and the one before it (2/(i+1) of row i, 1 for
  // row 0), layer 1 keeps everything.
  const Index n = 10;
  const std::string path = tempPath("stack.npy");
  writeFile(path, npyBytes({2, 1, n, n},
                           tensor(2, 1, n,
                                  [](Index, Index, Index i, Index j) { return j <= i ? 1.0f / float(i + 1) : 0.0f; }),
                           false));
  const AttentionDump dump = AttentionDump::open(path);
  LayerStack stack;
  stack.layers = parseShortForm("window radius=1 causal=true, causal");
  const LayerMasks masks = masksFromStack(stack, dump);
  WeightsOptions options;
  options.layerMasks = masks.pointers();
  const WeightsReport r = measureWeights(dump, options);
  double kept = 1;  // row 0
  for (Index i = 1; i < n; ++i) kept += 2.0 / double(i + 1);
  EXPECT_NEAR(r.stats[0][0].massKept, kept / n, 1e-6);
  EXPECT_NEAR(r.stats[0][0].density, double(2 * n - 1) / (n * n), 1e-12);
  EXPECT_NEAR(r.stats[1][0].massKept, 1.0, 1e-6);
  EXPECT_NEAR(r.stats[1][0].density, double(n * (n + 1) / 2) / (n * n), 1e-12);
  // One layer stands for every layer.
  stack.layers = parseShortForm("causal");
  const LayerMasks one = masksFromStack(stack, dump);
  ASSERT_EQ(one.byLayer.size(), 2u);
  options.layerMasks = one.pointers();
  EXPECT_EQ(measureWeights(dump, options).stats[0][0].density, r.stats[1][0].density);
  std::remove(path.c_str());
}

TEST(Rollout, ThroughAFullPatternTheSparseProductIsTheDenseOne) {
  // n = 100: the sparse product's 64-column strips and its remainder, against the dense product (checked above).
  const Index n = 100;
  std::vector<float> all;
  for (Index r = 0; r < 2 * n; ++r) {
    std::vector<double> e(n);
    double sum = 0;
    for (Index j = 0; j < n; ++j) sum += e[j] = 1.0 + double((r * 31 + j * 17) % 23);
    for (Index j = 0; j < n; ++j) all.push_back(float(e[j] / sum));
  }
  const std::string path = tempPath("rollout100.npy");
  writeFile(path, npyBytes({2, 1, n, n}, all, false));
  const AttentionDump dump = AttentionDump::open(path);
  const SparseMask full = PatternSpec::parse("full").build({}, n);
  RolloutOptions options;
  const Matrix dense = attentionRollout(dump, options);
  options.mask = &full;
  const Matrix sparse = attentionRollout(dump, options);
  EXPECT_LT((dense - sparse).cwiseAbs().maxCoeff(), 1e-6);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

TEST(Float16, EveryBitPatternConvertsExactly) {
  // All 65,536 float16 values against the definition: (−1)^s · 2^(e−15) · 1.m, subnormals 2^−14 · 0.m, e = 31
  // infinity or NaN; one at a time and in bulk (the F16C path where the CPU has it), at an odd address.
  std::vector<unsigned char> bytes(1 + 2 * 65536);
  for (std::uint32_t h = 0; h < 65536; ++h) {
    bytes[1 + 2 * h] = static_cast<unsigned char>(h & 0xff);
    bytes[2 + 2 * h] = static_cast<unsigned char>(h >> 8);
  }
  std::vector<float> bulk(65536);
  halfToFloat(bytes.data() + 1, bulk.data(), 65536);
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const int e = (h >> 10) & 31, m = h & 1023;
    const double magnitude = e == 0 ? std::ldexp(double(m), -24) : std::ldexp(1.0 + m / 1024.0, e - 15);
    const double want = (h & 0x8000 ? -1 : 1) * magnitude;
    const float one = halfToFloat(static_cast<std::uint16_t>(h));
    if (e == 31) {
      EXPECT_EQ(std::isnan(one), m != 0) << h;
      EXPECT_EQ(std::isinf(one), m == 0) << h;
      EXPECT_EQ(std::isnan(bulk[h]), m != 0) << h;
    } else {
      EXPECT_EQ(double(one), want) << h;
      EXPECT_EQ(double(bulk[h]), want) << h;
      EXPECT_EQ(std::signbit(one), bool(h & 0x8000)) << h;
    }
  }
}

}  // namespace
}  // namespace attnscope

#include "engine/weights/fit.h"

namespace attnscope {
namespace {

TEST(Fit, TheCellFormulasAreTheBuiltMasks) {
  for (Index n : {1, 2, 7, 33})
    for (Index r : {0, 1, 3, 40})
      for (bool causal : {false, true})
        for (bool global : {false, true}) {
          std::vector<std::pair<std::string, std::string>> p{{"radius", std::to_string(r)},
                                                             {"causal", causal ? "true" : "false"}};
          if (global) p.push_back({"tokens", "0"});
          const SparseMask m = PatternSpec::parse(global ? "window+global" : "window").build(p, n);
          EXPECT_EQ(windowCells(n, r, causal, global), m.headRows(0).offsets.back())
              << n << " " << r << " " << causal << " " << global;
        }
}

TEST(Fit, HeadsWithKnownStructureGetThePatternThatMadeThem) {
  // n = 64, causal weights: head 0 uniform over |i − j| ≤ 3 (both ways, so not causal: a window head); head 1 the
  // previous token; head 2 an attention sink: 0.6 on token 0, 0.4 spread over the two keys before the query.
  const Index n = 64;
  const auto f = [&](Index, Index h, Index i, Index j) -> float {
    if (h == 0) {
      const Index lo = std::max<Index>(0, i - 3), hi = std::min(n - 1, i + 3);
      return j >= lo && j <= hi ? 1.0f / float(hi - lo + 1) : 0.0f;
    }
    if (h == 1) return j == std::max<Index>(0, i - 1) ? 1.0f : 0.0f;
    if (i <= 2) return j <= i ? 1.0f / float(i + 1) : 0.0f;
    return j == 0 ? 0.6f : (j == i - 1 || j == i - 2) ? 0.2f : 0.0f;
  };
  const std::string path = tempPath("fit.npy");
  writeFile(path, npyBytes({1, 3, n, n}, tensor(1, 3, n, f), false));
  const AttentionDump dump = AttentionDump::open(path);
  FitOptions options;
  options.keep = 0.9;
  const auto fits = fitPatterns(dump, options);
  ASSERT_EQ(fits.size(), 1u);
  EXPECT_EQ(fits[0][0].best.text(), "window radius=3");
  EXPECT_EQ(fits[0][1].best.text(), "window radius=1 causal=true");
  EXPECT_EQ(fits[0][2].best.text(), "window+global radius=2 causal=true tokens=0");
  for (int h = 0; h < 3; ++h) {
    const FitCandidate& best = fits[0][h].best;
    // The best really keeps the share: the mask built from its text, measured by the head statistics.
    const SparseMask mask = PatternSpec::parse(best.pattern).build(best.params, n);
    WeightsOptions wo;
    wo.mask = &mask;
    const HeadStats s = measureWeights(dump, wo).stats[0][h];
    EXPECT_NEAR(s.massKept, best.massKept, 1e-6) << h;
    EXPECT_GE(s.massKept, 0.9) << h;
    EXPECT_EQ(mask.headRows(0).offsets.back(), best.cells) << h;
    // The front is sorted by cells, each point keeping more than the one before, and the best lies on it.
    const auto& front = fits[0][h].front;
    for (std::size_t k = 1; k < front.size(); ++k) {
      EXPECT_GT(front[k].cells, front[k - 1].cells);
      EXPECT_GT(front[k].massKept, front[k - 1].massKept);
    }
  }
  // A radius smaller by one keeps less than the share: the window head at radius 2 keeps 5/7 inside.
  options.keep = 1.0;
  EXPECT_EQ(fitPatterns(dump, options)[0][0].best.text(), "window radius=3");
  options.keep = 1.5;
  EXPECT_EQ(errorOf([&] { fitPatterns(dump, options); }), "keep = 1.5 is not allowed: expected a share 0 < keep ≤ 1");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

TEST(HeadStats, PicturesAreTheMeansOfTheirTiles) {
  // n = 10 into 4 × 4 tiles of 3, 3, 2 and 2 tokens (i · 4 / 10): each picture cell the mean of its tile.
  const Index n = 10;
  const auto f = [](Index, Index h, Index i, Index j) { return float(h + 1) * float(i * 10 + j) / 1024; };
  const std::string path = tempPath("pictures.npy");
  writeFile(path, npyBytes({2, n, n}, tensor(1, 2, n, f), false));
  const AttentionDump dump = AttentionDump::open(path);
  WeightsOptions options;
  options.thumbnailSide = 4;
  const WeightsReport r = measureWeights(dump, options);
  for (int h = 0; h < 2; ++h) {
    const std::vector<float> big = headPicture(dump, 0, h, 4);
    ASSERT_EQ(r.stats[0][h].thumbnail.size(), 16u);
    for (int t = 0; t < 4; ++t)
      for (int u = 0; u < 4; ++u) {
        double sum = 0;
        int cells = 0;
        for (Index i = 0; i < n; ++i)
          for (Index j = 0; j < n; ++j)
            if (i * 4 / n == t && j * 4 / n == u) sum += f(0, h, i, j), ++cells;
        EXPECT_NEAR(r.stats[0][h].thumbnail[t * 4 + u], sum / cells, 1e-6) << h << t << u;
        EXPECT_NEAR(big[t * 4 + u], sum / cells, 1e-6) << h << t << u;
      }
    EXPECT_EQ(headPicture(dump, 0, h, 100).size(), 100u) << "at most n a side";
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace attnscope
