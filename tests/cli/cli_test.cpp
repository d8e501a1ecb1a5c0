// attnscope-cli as a user runs it: a separate process, its output, its exit code and the files it leaves.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include <QDir>
#include <QFile>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>

#include <cstring>

#include <cmath>
#include <string_view>

#include "engine/io/npy.h"
#include "tests/shared/backwards_tokenizer.h"

namespace {

struct CliRun {
  int exitCode = -1;
  QString out, err;
};

CliRun cli(const QStringList& args) {
  QProcess p;
  p.start(QStringLiteral(ATTNSCOPE_CLI), args);
  p.waitForFinished(120000);
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

QJsonObject json(const CliRun& r) { return QJsonDocument::fromJson(r.out.toUtf8()).object(); }

QStringList args(std::initializer_list<const char*> items) {
  QStringList l;
  for (const char* s : items) l << QString::fromUtf8(s);
  return l;
}

// A bad-input run: exit code 2, exactly one line on stderr that contains `needle`, nothing on stdout.
void expectBadInput(const CliRun& r, const char* needle) {
  EXPECT_EQ(r.exitCode, 2) << r.err.toStdString();
  EXPECT_TRUE(r.err.contains(QString::fromUtf8(needle))) << r.err.toStdString();
  EXPECT_EQ(r.err.count(QLatin1Char('\n')), 1) << r.err.toStdString();
  EXPECT_TRUE(r.out.isEmpty()) << r.out.toStdString();
}

TEST(CliStats, WindowOfFiveJson) {
  const CliRun r = cli(args({"stats", "--pattern", "window", "-p", "radius=2", "--n", "16", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("pattern")).toString(), QStringLiteral("window"));
  EXPECT_EQ(o.value(QStringLiteral("n")).toInteger(), 16);
  EXPECT_EQ(o.value(QStringLiteral("heads")).toInteger(), 1);
  EXPECT_EQ(o.value(QStringLiteral("nnz")).toInteger(), 74);
  EXPECT_EQ(o.value(QStringLiteral("cells")).toDouble(), 256);
  EXPECT_NEAR(o.value(QStringLiteral("density")).toDouble(), 74.0 / 256.0, 1e-12);
  EXPECT_NEAR(o.value(QStringLiteral("nnz_per_token")).toDouble(), 74.0 / 16.0, 1e-12);
  EXPECT_EQ(o.value(QStringLiteral("row_min")).toInteger(), 3);
  EXPECT_NEAR(o.value(QStringLiteral("row_mean")).toDouble(), 74.0 / 16.0, 1e-12);
  EXPECT_EQ(o.value(QStringLiteral("row_max")).toInteger(), 5);
  EXPECT_EQ(o.value(QStringLiteral("empty_rows")).toInteger(), 0);
  EXPECT_FALSE(o.contains(QStringLiteral("blocks_active")));
}

TEST(CliStats, PlainText) {
  const CliRun r = cli(args({"stats", "--pattern", "window", "--param", "radius=2", "--n", "16"}));
  ASSERT_EQ(r.exitCode, 0);
  EXPECT_TRUE(r.out.contains(QStringLiteral("74 of 256 (28.91%)"))) << r.out.toStdString();
}

TEST(CliStats, BlockFamilyCountsBlocksAndListsAndBooleans) {
  const CliRun r = cli(args({"stats", "--pattern", "deepspeed-variable", "-p", "global_block_indices=0,7", "-p",
                             "horizontal_global_attention=true", "-p", "num_heads=2", "--n", "128", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  // 8 blocks, windows [0..3] and [4..7], global blocks 0 and 7 as full rows (horizontal) and columns:
  // rows 0 and 7 have 8 blocks; rows 1-3 their window plus column 7 (5); rows 4-6 their window plus column 0 (5).
  EXPECT_EQ(o.value(QStringLiteral("blocks_active")).toInteger(), 2 * (8 + 8 + 6 * 5));
  EXPECT_EQ(o.value(QStringLiteral("heads")).toInteger(), 2);
  EXPECT_EQ(o.value(QStringLiteral("nnz")).toInteger(), 2 * 46 * 256);
  EXPECT_EQ(o.value(QStringLiteral("params")).toObject().value(QStringLiteral("global_block_indices")).toString(),
            QStringLiteral("0,7"));
}

TEST(CliStats, UnionOfTokenFamilies) {
  const CliRun r =
      cli(args({"stats", "--pattern", "window+global", "-p", "radius=2", "-p", "tokens=0", "--n", "16", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  // 74 window cells, plus row 0 completed (16 − 3) and column 0 for rows 3 … 15 (13).
  EXPECT_EQ(json(r).value(QStringLiteral("nnz")).toInteger(), 74 + 13 + 13);
}

TEST(CliStats, HuggingFaceFallbackNote) {
  const CliRun r = cli(args({"stats", "--pattern", "hf-bigbird", "--n", "512", "--json"}));
  ASSERT_EQ(r.exitCode, 0);
  const QJsonArray notes = json(r).value(QStringLiteral("notes")).toArray();
  ASSERT_EQ(notes.size(), 1);
  EXPECT_TRUE(notes[0].toString().contains(QStringLiteral("full attention")));
}

TEST(CliPatterns, ListsEveryFamilyWithParameters) {
  const CliRun r = cli(args({"patterns", "--json"}));
  ASSERT_EQ(r.exitCode, 0);
  const QJsonArray families = json(r).value(QStringLiteral("patterns")).toArray();
  EXPECT_EQ(families.size(), 18);  // the 16 of issue 1, topk and routing
  bool sawRadius = false;
  for (const auto& f : families) {
    if (f.toObject().value(QStringLiteral("name")).toString() != QStringLiteral("window")) continue;
    for (const auto& p : f.toObject().value(QStringLiteral("params")).toArray())
      if (p.toObject().value(QStringLiteral("name")).toString() == QStringLiteral("radius")) {
        sawRadius = true;
        EXPECT_EQ(p.toObject().value(QStringLiteral("default")).toString(), QStringLiteral("2"));
        EXPECT_EQ(p.toObject().value(QStringLiteral("min")).toInteger(), 0);
      }
  }
  EXPECT_TRUE(sawRadius);
  const CliRun text = cli(args({"patterns"}));
  EXPECT_TRUE(text.out.contains(QStringLiteral("deepspeed-bslongformer")));
}

TEST(CliErrors, BadInputIsOneLineAndExitCodeTwo) {
  expectBadInput(cli(args({"stats", "--pattern", "windw", "--n", "16"})), "pattern 'windw' is unknown");
  expectBadInput(cli(args({"stats", "--pattern", "window", "-p", "radious=2", "--n", "16"})),
                 "parameter 'radious' is unknown for pattern 'window'");
  expectBadInput(cli(args({"stats", "--pattern", "window", "-p", "radius=-1", "--n", "16"})),
                 "parameter 'radius' = -1 is not allowed: expected an integer 0 … 2147483647");
  expectBadInput(cli(args({"stats", "--pattern", "window", "-p", "radius", "--n", "16"})), "expected KEY=VALUE");
  expectBadInput(cli(args({"stats", "--pattern", "blocks", "-p", "block=5", "--n", "16"})),
                 "n = 16 is not allowed for blocks: it must be a multiple of block = 5");
  expectBadInput(cli(args({"stats", "--pattern", "window", "--n", "zero"})), "n = zero is not allowed");
  expectBadInput(cli(args({"stats", "--pattern", "window"})), "--n is required");
  expectBadInput(cli(args({"stats", "--n", "5"})), "--pattern is required");
  expectBadInput(cli(args({"stats", "--pattern", "window", "--n", "5", "--bogus"})), "bogus");
  expectBadInput(cli(args({"frobnicate"})), "command 'frobnicate' is unknown");
  expectBadInput(cli(args({"stats", "--pattern", "full", "--n", "100000"})), "the mask would have");
}

TEST(CliPath, SevenFiveThree) {
  CliRun r =
      cli(args({"path", "--pattern", "window", "-p", "radius=2", "--n", "16", "--from", "7", "--to", "3", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("from")).toInteger(), 7);
  EXPECT_EQ(o.value(QStringLiteral("to")).toInteger(), 3);
  EXPECT_EQ(o.value(QStringLiteral("hops")).toInteger(), 2);
  EXPECT_EQ(o.value(QStringLiteral("path")).toArray(), (QJsonArray{7, 5, 3}));
  r = cli(args({"path", "--pattern", "window", "-p", "radius=2", "--n", "16", "--from", "7", "--to", "3"}));
  EXPECT_EQ(r.out, QStringLiteral("7 → 5 → 3 (2 hops)\n"));
  r = cli(args({"path", "--pattern", "window", "-p", "radius=2", "--n", "16", "--from", "7", "--to", "8", "--json"}));
  EXPECT_EQ(json(r).value(QStringLiteral("hops")).toInteger(), 1);
}

// One hop and one layer are singular wherever a count is written ("1 hop", "after 1 layer"): full attention over 4
// tokens reaches every pair in one hop, so its diameter is 1 and one layer reaches everything.
TEST(CliPath, OneHopIsSingular) {
  CliRun r = cli(args({"path", "--pattern", "window", "-p", "radius=2", "--n", "16", "--from", "7", "--to", "8"}));
  EXPECT_EQ(r.out, QStringLiteral("7 → 8 (1 hop)\n"));
  r = cli(args({"stats", "--pattern", "full", "--n", "4"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_TRUE(r.out.contains(QStringLiteral("diameter       1 hop (exact)\n"))) << r.out.toStdString();
  EXPECT_TRUE(r.out.contains(QStringLiteral("full reach     after 1 layer\n"))) << r.out.toStdString();
  r = cli(args({"model", "--layers", "full", "--n", "4", "--from", "3", "--to", "0"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_TRUE(r.out.contains(QStringLiteral("full reach     after 1 layer\n"))) << r.out.toStdString();
  EXPECT_TRUE(r.out.contains(QStringLiteral("3 has heard from 0 after 1 layer\n"))) << r.out.toStdString();
}

#ifdef ATTNSCOPE_APP
// The app answers --help and --version on a machine with no display at all (no X, no Wayland, no offscreen
// platform chosen), where opening a window would abort.
TEST(AppCommandLine, HelpAndVersionNeedNoDisplay) {
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) env.remove(QString::fromUtf8(name));
  for (const char* option : {"--help", "--version"}) {
    SCOPED_TRACE(option);
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(ATTNSCOPE_APP), {QString::fromUtf8(option)});
    ASSERT_TRUE(p.waitForFinished(120000));
    EXPECT_EQ(p.exitStatus(), QProcess::NormalExit);
    EXPECT_EQ(p.exitCode(), 0) << p.readAllStandardError().toStdString();
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    if (std::string_view(option) == "--help") {
      EXPECT_TRUE(out.contains(QStringLiteral("--view <VIEW>"))) << out.toStdString();
      EXPECT_TRUE(out.contains(QStringLiteral("[PRESET]"))) << out.toStdString();
    } else {
      EXPECT_TRUE(out.startsWith(QStringLiteral("AttnScope "))) << out.toStdString();
    }
  }
}
#endif

TEST(CliPath, UnreachableIsNullAndEmpty) {
  const CliRun r = cli(
      args({"path", "--pattern", "window", "-p", "causal=true", "--n", "16", "--from", "3", "--to", "7", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_TRUE(o.value(QStringLiteral("hops")).isNull());
  EXPECT_TRUE(o.value(QStringLiteral("path")).toArray().isEmpty());
}

TEST(CliPath, BadTokens) {
  expectBadInput(cli(args({"path", "--pattern", "window", "--n", "16", "--from", "16", "--to", "3"})),
                 "from = 16 is not allowed: expected an integer 0 … 15");
  expectBadInput(cli(args({"path", "--pattern", "window", "--n", "16", "--from", "1", "--to", "x"})),
                 "to = x is not allowed");
  expectBadInput(cli(args({"path", "--pattern", "window", "--n", "16", "--from", "1"})),
                 "--from and --to are required");
}

TEST(CliStats, Reachability) {
  CliRun r = cli(args({"stats", "--pattern", "window", "-p", "radius=2", "--n", "16", "--json"}));
  QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("diameter")).toInteger(), 8);
  EXPECT_TRUE(o.value(QStringLiteral("diameter_exact")).toBool());
  EXPECT_EQ(o.value(QStringLiteral("unreachable_pairs")).toInteger(), 0);
  EXPECT_EQ(o.value(QStringLiteral("layers_for_full_reach")).toInteger(), 8);
  const QJsonArray curve = o.value(QStringLiteral("reach_by_layer")).toArray();
  ASSERT_EQ(curve.size(), 8);
  EXPECT_NEAR(curve[0].toDouble(), 58.0 / 240.0, 1e-12);
  EXPECT_DOUBLE_EQ(curve[7].toDouble(), 1.0);
  EXPECT_TRUE(o.value(QStringLiteral("reach_exact")).toBool());

  r = cli(args({"stats", "--pattern", "blocks", "-p", "block=4", "--n", "16", "--json"}));
  o = json(r);
  EXPECT_TRUE(o.value(QStringLiteral("layers_for_full_reach")).isNull());
  EXPECT_EQ(o.value(QStringLiteral("unreachable_pairs")).toInteger(), 192);

  r = cli(args({"stats", "--pattern", "window", "--n", "16", "--no-reach", "--json"}));
  o = json(r);
  EXPECT_TRUE(o.value(QStringLiteral("diameter")).isNull());
  EXPECT_TRUE(o.value(QStringLiteral("reach_note")).toString().contains(QStringLiteral("--no-reach")));
}

TEST(CliStats, LargeInputsSayWhatIsEstimated) {
  const CliRun r =
      cli(args({"stats", "--pattern", "hf-longformer", "-p", "global_tokens=0", "--n", "16384", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("diameter")).toInteger(), 2);
  EXPECT_TRUE(o.value(QStringLiteral("diameter_exact")).toBool());
  EXPECT_FALSE(o.value(QStringLiteral("reach_exact")).toBool());
  EXPECT_GT(o.value(QStringLiteral("reach_sample_sources")).toInteger(), 0);
  EXPECT_EQ(o.value(QStringLiteral("layers_for_full_reach")).toInteger(), 2);
}

TEST(CliRun, WindowAgainstFullJson) {
  const CliRun r = cli(args({"run", "--pattern", "window", "-p", "radius=8", "--n", "256", "--dim", "16", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  for (const char* key : {"ms_pattern", "ms_full", "speedup", "gflops_pattern", "gflops_full"})
    EXPECT_GT(o.value(QString::fromUtf8(key)).toDouble(), 0.0) << key;
  const double mass = o.value(QStringLiteral("mass_kept")).toDouble();
  EXPECT_GT(mass, 0.0);
  EXPECT_LT(mass, 1.0);
  EXPECT_GT(o.value(QStringLiteral("rel_error")).toDouble(), 0.0);
  EXPECT_EQ(o.value(QStringLiteral("empty_rows")).toInteger(), 0);
  EXPECT_EQ(o.value(QStringLiteral("nnz")).toDouble(), 256 * 17 - 2 * (8 * 9 / 2));
  EXPECT_EQ(o.value(QStringLiteral("inputs")).toString(), QStringLiteral("synthetic"));
  EXPECT_EQ(o.value(QStringLiteral("repeat")).toInt(), 3);  // the best of three passes, as bench times a kernel
  const CliRun once = cli(args({"run", "--pattern", "window", "--n", "64", "--repeat", "1"}));
  ASSERT_EQ(once.exitCode, 0) << once.err.toStdString();
  EXPECT_TRUE(once.out.contains(QStringLiteral("best of 1 pass each"))) << once.out.toStdString();
  expectBadInput(cli(args({"run", "--pattern", "window", "--n", "64", "--repeat", "0"})), "repeat = 0 is not allowed");
}

TEST(CliRun, FullKeepsAllTheMass) {
  const CliRun r = cli(args({"run", "--pattern", "full", "--n", "64", "--heads", "2", "--json", "--threads", "1"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_NEAR(o.value(QStringLiteral("mass_kept")).toDouble(), 1.0, 1e-6);
  EXPECT_LT(o.value(QStringLiteral("rel_error")).toDouble(), 1e-5);
  EXPECT_EQ(o.value(QStringLiteral("threads")).toInt(), 1);
}

TEST(CliRun, TextDecidesN) {
  CliRun r = cli(args({"run", "--pattern", "window", "-p", "radius=1", "--text", "the cat sat on the mat", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("n")).toInteger(), 6);
  EXPECT_EQ(o.value(QStringLiteral("tokens")).toArray().size(), 6);
  EXPECT_EQ(o.value(QStringLiteral("inputs")).toString(), QStringLiteral("text"));
  expectBadInput(cli(args({"run", "--pattern", "window", "--text", "the cat sat", "--n", "5"})),
                 "n = 5 is not allowed: the text has 3 tokens");
  expectBadInput(cli(args({"run", "--pattern", "window", "--text", "  "})), "has no tokens");
}

TEST(CliRun, EmptyRowsAreWarnedAbout) {
  const CliRun r = cli(args({"run", "--pattern", "global", "-p", "tokens=none", "--n", "8"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_TRUE(r.out.contains(QStringLiteral("8 (head, query) rows attend no key"))) << r.out.toStdString();
}

TEST(CliRun, BadInput) {
  expectBadInput(cli(args({"run", "--pattern", "window", "--n", "64", "--threads", "0"})),
                 "threads = 0 is not allowed");
  expectBadInput(cli(args({"run", "--pattern", "window", "--n", "64", "--dim", "0"})), "dim = 0 is not allowed");
  expectBadInput(cli(args({"run", "--pattern", "deepspeed-fixed", "-p", "num_heads=2", "--n", "64"})),
                 "heads = 1 is not allowed: pattern 'deepspeed-fixed' has 2 heads");
  expectBadInput(cli(args({"run", "--pattern", "window", "--n", "64", "--out", "o.txt"})),
                 "expected a file ending in .npy");
  expectBadInput(cli(args({"run", "--pattern", "window", "--q", "a.npy"})), "--q, --k and --v go together");
}

class CliRunFiles : public ::testing::Test {
 protected:
  QString path(const char* name) const { return dir_.filePath(QString::fromUtf8(name)); }
  void write(const char* name, const std::vector<attnscope::Index>& shape, const std::vector<float>& data) const {
    attnscope::writeNpyFloat(path(name).toStdString(), shape, data.data());
  }
  QTemporaryDir dir_;
};

TEST_F(CliRunFiles, NpyInputsOutputsAndWeights) {
  std::vector<float> qk(2 * 16 * 4), v(2 * 16 * 3);
  for (std::size_t i = 0; i < qk.size(); ++i) qk[i] = std::sin(0.37f * float(i));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::cos(0.11f * float(i));
  write("q.npy", {2, 16, 4}, qk);
  write("k.npy", {2, 16, 4}, qk);
  write("v.npy", {2, 16, 3}, v);
  const CliRun r = cli(QStringList{QStringLiteral("run"), QStringLiteral("--pattern"), QStringLiteral("window"),
                                   QStringLiteral("--q"), path("q.npy"), QStringLiteral("--k"), path("k.npy"),
                                   QStringLiteral("--v"), path("v.npy"), QStringLiteral("--out"), path("o.npy"),
                                   QStringLiteral("--weights"), path("w.npy"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_EQ(json(r).value(QStringLiteral("n")).toInteger(), 16);
  EXPECT_EQ(json(r).value(QStringLiteral("heads")).toInteger(), 2);
  const attnscope::NpyArray o = attnscope::readNpy(path("o.npy").toStdString());
  EXPECT_EQ(o.shape, (std::vector<attnscope::Index>{2, 16, 3}));
  const attnscope::NpyArray w = attnscope::readNpy(path("w.npy").toStdString());
  ASSERT_EQ(w.shape, (std::vector<attnscope::Index>{2, 16, 16}));
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 16; ++i) {
      double sum = 0;
      for (int j = 0; j < 16; ++j) {
        const float x = w.data[(h * 16 + i) * 16 + j];
        sum += x;
        if (std::abs(i - j) > 2) EXPECT_EQ(x, 0.0f);
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
}

TEST_F(CliRunFiles, MismatchedAndNaNFilesAreRejected) {
  write("q.npy", {8, 4}, std::vector<float>(32, 1.0f));
  write("k.npy", {8, 5}, std::vector<float>(40, 1.0f));
  std::vector<float> bad(32, 1.0f);
  bad[9] = std::nanf("");
  write("nan.npy", {8, 4}, bad);
  auto run = [&](const char* q, const char* k, const char* v) {
    return cli(QStringList{QStringLiteral("run"), QStringLiteral("--pattern"), QStringLiteral("full"),
                           QStringLiteral("--q"), path(q), QStringLiteral("--k"), path(k), QStringLiteral("--v"),
                           path(v)});
  };
  expectBadInput(run("q.npy", "k.npy", "q.npy"), "must match --q's [1, 8, 4]");
  expectBadInput(run("q.npy", "q.npy", "nan.npy"), "v is not allowed: it holds NaN at [0, 2, 1]");
  expectBadInput(run("q.npy", "q.npy", "missing.npy"), "cannot read");
}

TEST(CliLsh, StatsWithInputsAndErrors) {
  const CliRun r = cli(args(
      {"stats", "--pattern", "lsh", "-p", "chunk=2", "--text", "a b a b c d c d e f e f", "--no-reach", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_EQ(json(r).value(QStringLiteral("n")).toInteger(), 12);
  // Chunks of 2 and the chunk before: 4 keys, less the token itself.
  EXPECT_EQ(json(r).value(QStringLiteral("nnz")).toInteger(), 12 * 3);
  expectBadInput(cli(args({"stats", "--pattern", "lsh", "-p", "buckets=3", "--n", "16"})),
                 "parameter 'buckets' = 3 is not allowed: expected an even integer");
}

TEST(CliBench, SmallSweepJson) {
  const CliRun r = cli(args({"bench", "--min-n", "64", "--max-n", "128", "--repeat", "1", "--threads", "2",
                             "--patterns", "full,window", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  const QJsonArray machine = o.value(QStringLiteral("machine")).toArray();
  ASSERT_EQ(machine.size(), 2);
  EXPECT_GT(machine[0].toObject().value(QStringLiteral("fma_peak_gflops")).toDouble(), 0.0);
  EXPECT_GT(machine[0].toObject().value(QStringLiteral("eigen_sgemm_gflops")).toDouble(), 0.0);
  // OpenBLAS is a ceiling where the machine has it, and null where it does not; the best SGEMM is the larger.
  for (const auto& m : machine) {
    const QJsonObject o = m.toObject();
    const QJsonValue openblas = o.value(QStringLiteral("openblas_sgemm_gflops"));
    ASSERT_TRUE(openblas.isDouble() || openblas.isNull());
    EXPECT_DOUBLE_EQ(o.value(QStringLiteral("best_sgemm_gflops")).toDouble(),
                     std::max(o.value(QStringLiteral("eigen_sgemm_gflops")).toDouble(), openblas.toDouble(0.0)));
  }
  EXPECT_EQ(o.value(QStringLiteral("openblas")).isNull(),
            machine[0].toObject().value(QStringLiteral("openblas_sgemm_gflops")).isNull());
  EXPECT_GT(o.value(QStringLiteral("tile_products_gflops")).toDouble(), 0.0);
  // The kernels' blocks are one instruction set's: its full tile and its masked query block, by the vector width.
  const QJsonObject blocks = o.value(QStringLiteral("kernel_blocks")).toObject();
  const int width = blocks.value(QStringLiteral("vector_floats")).toInt();
  ASSERT_TRUE(width == 8 || width == 16) << width;
  const QJsonArray fullTile = blocks.value(QStringLiteral("full_tile")).toArray();
  ASSERT_EQ(fullTile.size(), 2);
  EXPECT_EQ(fullTile[0].toInteger(), width == 16 ? 96 : 128);
  EXPECT_EQ(fullTile[1].toInteger(), width == 16 ? 256 : 96);
  EXPECT_EQ(blocks.value(QStringLiteral("masked_query_rows")).toInteger(), width == 16 ? 16 : 24);
  const QJsonArray rows = o.value(QStringLiteral("rows")).toArray();
  EXPECT_EQ(rows.size(), 2 * 2 * 2);  // n ∈ {64, 128} × {full, window} × {1, 2 threads}
  for (const auto& row : rows) {
    EXPECT_GT(row.toObject().value(QStringLiteral("gflops")).toDouble(), 0.0);
    // The peak is a ceiling: no kernel comes near twice it, whatever else runs on the machine.
    const double share = row.toObject().value(QStringLiteral("fraction_of_peak")).toDouble();
    EXPECT_GT(share, 0.0);
    EXPECT_LT(share, 2.0);
  }
  expectBadInput(cli(args({"bench", "--patterns", "fast"})), "--patterns 'fast' is not allowed");
  expectBadInput(cli(args({"bench", "--backend", "cuda"})), "--backend cuda is not allowed");
}

class CliMask : public ::testing::Test {
 protected:
  QString path(const char* name) const { return dir_.filePath(QString::fromUtf8(name)); }
  QStringList files() const { return QDir(dir_.path()).entryList(QDir::Files); }
  QTemporaryDir dir_;
};

TEST_F(CliMask, WritesNpy) {
  const CliRun r =
      cli(QStringList{QStringLiteral("mask"), QStringLiteral("--pattern"), QStringLiteral("deepspeed-fixed"),
                      QStringLiteral("-p"), QStringLiteral("num_heads=2"), QStringLiteral("--n"), QStringLiteral("64"),
                      QStringLiteral("--out"), path("m.npy")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  QFile f(path("m.npy"));
  ASSERT_TRUE(f.open(QIODevice::ReadOnly));
  const QByteArray bytes = f.readAll();
  EXPECT_TRUE(bytes.contains("'shape': (2, 64, 64)"));
  EXPECT_EQ(bytes.size(), 128 + 2 * 64 * 64);
}

TEST_F(CliMask, WritesLayoutNpy) {
  const CliRun r = cli(QStringList{QStringLiteral("mask"), QStringLiteral("--pattern"),
                                   QStringLiteral("deepspeed-fixed"), QStringLiteral("--n"), QStringLiteral("128"),
                                   QStringLiteral("--layout"), QStringLiteral("--out"), path("l.npy")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  QFile f(path("l.npy"));
  ASSERT_TRUE(f.open(QIODevice::ReadOnly));
  const QByteArray bytes = f.readAll();
  EXPECT_TRUE(bytes.contains("'shape': (1, 8, 8)"));
  // Row 0 of the default Fixed layout: blocks 0, 1, 2, 3 and 7.
  EXPECT_EQ(bytes.mid(128, 8), QByteArray("\x01\x01\x01\x01\x00\x00\x00\x01", 8));
}

TEST_F(CliMask, WritesCsvAndPng) {
  CliRun r = cli(QStringList{QStringLiteral("mask"), QStringLiteral("--pattern"), QStringLiteral("causal"),
                             QStringLiteral("--n"), QStringLiteral("3"), QStringLiteral("--out"), path("m.csv")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  QFile csv(path("m.csv"));
  ASSERT_TRUE(csv.open(QIODevice::ReadOnly));
  EXPECT_EQ(csv.readAll(), QByteArray("1,0,0\n1,1,0\n1,1,1\n"));
  r = cli(QStringList{QStringLiteral("mask"), QStringLiteral("--pattern"), QStringLiteral("window"),
                      QStringLiteral("--n"), QStringLiteral("40"), QStringLiteral("--out"), path("m.png")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  QImageReader reader(path("m.png"));
  EXPECT_EQ(reader.format(), QByteArray("png"));
  EXPECT_EQ(reader.size(), QSize(40, 40));
}

TEST_F(CliMask, BadOutputLeavesNothing) {
  expectBadInput(cli(QStringList{QStringLiteral("mask"), QStringLiteral("--pattern"), QStringLiteral("window"),
                                 QStringLiteral("--n"), QStringLiteral("8"), QStringLiteral("--out"), path("m.txt")}),
                 "expected a file ending in .npy, .csv or .png");
  expectBadInput(cli(QStringList{QStringLiteral("mask"), QStringLiteral("--pattern"), QStringLiteral("window"),
                                 QStringLiteral("--n"), QStringLiteral("8"), QStringLiteral("--layout"),
                                 QStringLiteral("--out"), path("m.npy")}),
                 "--layout is not allowed for pattern 'window'");
  expectBadInput(
      cli(QStringList{QStringLiteral("mask"), QStringLiteral("--pattern"), QStringLiteral("window"),
                      QStringLiteral("--n"), QStringLiteral("40000"), QStringLiteral("--out"), path("big.npy")}),
      "too large to write as .npy");
  expectBadInput(
      cli(QStringList{QStringLiteral("mask"), QStringLiteral("--pattern"), QStringLiteral("window"),
                      QStringLiteral("--n"), QStringLiteral("8"), QStringLiteral("--out"), path("missing/m.npy")}),
      "cannot write");
  expectBadInput(cli(QStringList{QStringLiteral("mask"), QStringLiteral("--pattern"), QStringLiteral("window"),
                                 QStringLiteral("--n"), QStringLiteral("8"), QStringLiteral("--head"),
                                 QStringLiteral("1"), QStringLiteral("--out"), path("m.csv")}),
                 "head = 1 is not allowed: expected an integer 0 … 0");
  EXPECT_TRUE(files().isEmpty()) << files().join(QLatin1Char(' ')).toStdString();
}

#ifndef ATTNSCOPE_NO_RENDER
TEST_F(CliMask, RenderHasTheAskedSize) {
  CliRun r = cli(QStringList{QStringLiteral("render"), QStringLiteral("--pattern"), QStringLiteral("window"),
                             QStringLiteral("-p"), QStringLiteral("radius=2"), QStringLiteral("--n"),
                             QStringLiteral("16"), QStringLiteral("--out"), path("r.png"), QStringLiteral("--size"),
                             QStringLiteral("800x600"), QStringLiteral("--dpi"), QStringLiteral("150")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  QImageReader png(path("r.png"));
  EXPECT_EQ(png.size(), QSize(800, 600));
  EXPECT_NEAR(png.read().dotsPerMeterX() * 0.0254, 150.0, 1.0);
  for (const char* name : {"r.svg", "r.pdf"}) {
    r = cli(QStringList{QStringLiteral("render"), QStringLiteral("--pattern"), QStringLiteral("deepspeed-fixed"),
                        QStringLiteral("-p"), QStringLiteral("num_heads=2"), QStringLiteral("--n"),
                        QStringLiteral("128"), QStringLiteral("--head"), QStringLiteral("1"),
                        QStringLiteral("--layout"), QStringLiteral("--out"), path(name)});
    ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
    QFile f(path(name));
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    EXPECT_TRUE(f.readAll().left(100).contains(QByteArray(name) == "r.svg" ? "<?xml" : "%PDF")) << name;
  }
}

TEST_F(CliMask, RenderBadInput) {
  const QStringList base{QStringLiteral("render"), QStringLiteral("--pattern"), QStringLiteral("window"),
                         QStringLiteral("--n"), QStringLiteral("16")};
  expectBadInput(
      cli(base + QStringList{QStringLiteral("--out"), path("r.png"), QStringLiteral("--size"), QStringLiteral("big")}),
      "--size 'big' is not allowed: expected WxH");
  expectBadInput(cli(base + QStringList{QStringLiteral("--out"), path("r.gif")}),
                 "expected a file ending in .png, .svg or .pdf");
  expectBadInput(cli(base + QStringList{QStringLiteral("--out"), path("r.png"), QStringLiteral("--layout")}),
                 "--layout is not allowed for pattern 'window'");
  expectBadInput(cli(base + QStringList{QStringLiteral("--out"), path("no/r.png")}), "cannot write");
  expectBadInput(cli(QStringList{QStringLiteral("render"), QStringLiteral("--pattern"), QStringLiteral("blocks"),
                                 QStringLiteral("--n"), QStringLiteral("10"), QStringLiteral("--out"), path("r.png")}),
                 "n = 10 is not allowed for blocks");
  EXPECT_TRUE(files().isEmpty()) << files().join(QLatin1Char(' ')).toStdString();
}

TEST_F(CliMask, RenderCompareDrawsBothWithTheirCounts) {
  const QStringList base{QStringLiteral("render"),   QStringLiteral("--pattern"), QStringLiteral("window+global"),
                         QStringLiteral("-p"),       QStringLiteral("radius=2"),  QStringLiteral("-p"),
                         QStringLiteral("tokens=0"), QStringLiteral("--n"),       QStringLiteral("256")};
  CliRun r = cli(base + QStringList{QStringLiteral("--compare"), QStringLiteral("full"), QStringLiteral("--out"),
                                    path("c.png"), QStringLiteral("--size"), QStringLiteral("1200x500")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_TRUE(r.out.startsWith(QStringLiteral("full: 65,536 cells; window+global: 1,780 cells, 36.8× fewer\n")))
      << r.out.toStdString();
  QImageReader png(path("c.png"));
  EXPECT_EQ(png.size(), QSize(1200, 500));
  // Against a second pattern with its own parameters, as one difference map.
  r = cli(base + QStringList{QStringLiteral("--compare"), QStringLiteral("window"), QStringLiteral("--compare-param"),
                             QStringLiteral("radius=5"), QStringLiteral("--difference"), QStringLiteral("--out"),
                             path("d.svg")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_TRUE(r.out.startsWith(QStringLiteral("window: 2,786 cells; window+global: 1,780 cells, 1.6× fewer\n")))
      << r.out.toStdString();
  QFile svg(path("d.svg"));
  ASSERT_TRUE(svg.open(QIODevice::ReadOnly));
  EXPECT_TRUE(svg.readAll().contains("only in window+global"));
  expectBadInput(
      cli(base + QStringList{QStringLiteral("--compare"), QStringLiteral("window"), QStringLiteral("--compare-param"),
                             QStringLiteral("radius=-1"), QStringLiteral("--out"), path("e.png")}),
      "parameter 'radius' = -1 is not allowed");
  expectBadInput(cli(base + QStringList{QStringLiteral("--compare-param"), QStringLiteral("radius=1"),
                                        QStringLiteral("--out"), path("e.png")}),
                 "--compare-param is not allowed without --compare NAME");
  expectBadInput(
      cli(base + QStringList{QStringLiteral("--compare"), QStringLiteral("window"), QStringLiteral("--compare-param"),
                             QStringLiteral("radius"), QStringLiteral("--out"), path("e.png")}),
      "--compare-param 'radius' is not allowed: expected KEY=VALUE");
  EXPECT_FALSE(QFile::exists(path("e.png")));
}
#endif

// --- model -------------------------------------------------------------------------------------------------------

QString modelFile(const char* name) { return QStringLiteral(ATTNSCOPE_MODELS_DIR "/") + QString::fromUtf8(name); }

TEST(CliModel, GemmaThreeFourBFromItsReleasedConfig) {
  const CliRun r = cli(QStringList{QStringLiteral("model"), QStringLiteral("--config"), modelFile("gemma-3-4b.json"),
                                   QStringLiteral("--n"), QStringLiteral("8192"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("layer_count")).toInt(), 34);
  const QJsonArray layers = o.value(QStringLiteral("layers")).toArray();
  ASSERT_EQ(layers.size(), 34);
  EXPECT_EQ(layers[5].toObject().value(QStringLiteral("kind")).toString(), QStringLiteral("full"));
  EXPECT_EQ(layers[4].toObject().value(QStringLiteral("kind")).toString(), QStringLiteral("sliding"));
  EXPECT_EQ(layers[4].toObject().value(QStringLiteral("params")).toObject().value(QStringLiteral("radius")).toString(),
            QStringLiteral("1023"));
  // Cells a head: a causal window of 1,024 keys over 8,192 tokens keeps Σ min(i + 1, 1024); 8 heads.
  double windowCells = 0;
  for (int i = 0; i < 8192; ++i) windowCells += std::min(i + 1, 1024);
  EXPECT_EQ(layers[4].toObject().value(QStringLiteral("active_cells")).toDouble(), 8 * windowCells);
  EXPECT_EQ(layers[4].toObject().value(QStringLiteral("attention_flops")).toDouble(), 4 * 8 * windowCells * 256);
  // Held against one head's n² (never more than 1): the window keeps windowCells of 8,192², a full causal layer
  // (8,192 · 8,193 / 2) of them.
  EXPECT_EQ(layers[4].toObject().value(QStringLiteral("heads")).toInt(), 8);
  EXPECT_EQ(layers[4].toObject().value(QStringLiteral("cells_per_head")).toDouble(), windowCells);
  EXPECT_DOUBLE_EQ(layers[4].toObject().value(QStringLiteral("density")).toDouble(), windowCells / (8192.0 * 8192.0));
  EXPECT_DOUBLE_EQ(layers[5].toObject().value(QStringLiteral("density")).toDouble(),
                   8192.0 * 8193.0 / 2 / (8192.0 * 8192.0));
  EXPECT_TRUE(layers[4].toObject().value(QStringLiteral("windowed")).toBool());
  EXPECT_FALSE(layers[5].toObject().value(QStringLiteral("windowed")).toBool());
  EXPECT_DOUBLE_EQ(o.value(QStringLiteral("density")).toDouble(),
                   (29 * windowCells + 5 * 8192.0 * 8193.0 / 2) / (34 * 8192.0 * 8192.0));
  // KV cache: 2 × 34 layers × 4 kv heads × 256 × 8,192 tokens × 2 bytes; windowed: 29 sliding layers keep 1,024.
  EXPECT_EQ(o.value(QStringLiteral("kv_cache_bytes")).toDouble(), 2.0 * 34 * 4 * 256 * 8192 * 2);
  EXPECT_EQ(o.value(QStringLiteral("kv_cache_bytes_windowed")).toDouble(),
            2.0 * 4 * 256 * 2 * (29 * 1024.0 + 5 * 8192.0));
  // Reach: the first full layer (6) connects every earlier key.
  EXPECT_EQ(o.value(QStringLiteral("layers_for_full_causal_reach")).toInt(), 6);
  EXPECT_TRUE(o.value(QStringLiteral("layers_for_full_reach")).isNull());
  EXPECT_EQ(o.value(QStringLiteral("unreachable_pairs")).toDouble(), 8192.0 * 8191 / 2);
  EXPECT_EQ(o.value(QStringLiteral("reach_by_layer")).toArray().size(), 34);
  EXPECT_TRUE(o.value(QStringLiteral("derivation")).toArray()[0].toString().contains(QStringLiteral("text_config")));
}

TEST(CliModel, EveryShippedConfigOpens) {
  for (const char* name : {"mistral-7b-v0.1.json", "gemma-2-9b.json", "gemma-3-4b.json", "gpt-neo-1.3b.json",
                           "longformer-base-4096.json", "bigbird-roberta-base.json", "llama-3-8b.json"}) {
    const CliRun r = cli(QStringList{QStringLiteral("model"), QStringLiteral("--config"), modelFile(name),
                                     QStringLiteral("--n"), QStringLiteral("4096"), QStringLiteral("--json")});
    ASSERT_EQ(r.exitCode, 0) << name << ": " << r.err.toStdString();
    EXPECT_GT(json(r).value(QStringLiteral("layer_count")).toInt(), 0) << name;
  }
}

TEST(CliModel, BigBirdLayersAreTheExactPatternSeededWithTheirIndex) {
  const CliRun r = cli(QStringList{QStringLiteral("model"), QStringLiteral("--config"),
                                   modelFile("bigbird-roberta-base.json"), QStringLiteral("--n"),
                                   QStringLiteral("4000"), QStringLiteral("--json"), QStringLiteral("--no-reach")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("n")).toInt(), 4032);  // padded to a multiple of 64
  EXPECT_EQ(o.value(QStringLiteral("n_requested")).toInt(), 4000);
  const QJsonObject layer7 = o.value(QStringLiteral("layers")).toArray()[7].toObject();
  EXPECT_EQ(layer7.value(QStringLiteral("params")).toObject().value(QStringLiteral("seed")).toString(),
            QStringLiteral("7"));
  // The same layer as a pattern: its cells must agree (12 heads each with their own random blocks).
  const CliRun stats = cli(args({"stats", "--pattern", "hf-bigbird", "-p", "num_heads=12", "-p", "seed=7", "--n",
                                 "4032", "--json", "--no-reach"}));
  ASSERT_EQ(stats.exitCode, 0) << stats.err.toStdString();
  EXPECT_EQ(layer7.value(QStringLiteral("active_cells")).toDouble(),
            json(stats).value(QStringLiteral("nnz")).toDouble());
  EXPECT_TRUE(r.out.contains(QStringLiteral("padded to 4,032")));
}

TEST(CliModel, TypedStackPathNamesTheLayerOfEachHop) {
  const CliRun r = cli(args({"model", "--layers", "window radius=2 ×2", "--n", "16", "--from", "7", "--to", "3"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_TRUE(r.out.contains(QStringLiteral(
      "path           7 → 5 → 3 (2 hops: hop 1 in layer 1, hop 2 in layer 0): 7 has heard from 3 after 2 layers")))
      << r.out.toStdString();
  EXPECT_TRUE(r.out.contains(QStringLiteral("BERT-base sizes"))) << r.out.toStdString();
}

TEST(CliModel, SavedStackOpensAgain) {
  QTemporaryDir dir;
  const QString file = dir.filePath(QStringLiteral("s.json"));
  ASSERT_EQ(cli(QStringList{QStringLiteral("model"), QStringLiteral("--config"), modelFile("gemma-2-9b.json"),
                            QStringLiteral("--n"), QStringLiteral("512"), QStringLiteral("--save-stack"), file,
                            QStringLiteral("--no-reach")})
                .exitCode,
            0);
  const CliRun again = cli(QStringList{QStringLiteral("model"), QStringLiteral("--stack"), file,
                                       QStringLiteral("--json"), QStringLiteral("--no-reach")});
  ASSERT_EQ(again.exitCode, 0) << again.err.toStdString();
  const QJsonObject o = json(again);
  EXPECT_EQ(o.value(QStringLiteral("layer_count")).toInt(), 42);
  EXPECT_EQ(o.value(QStringLiteral("n")).toInt(), 512);
  EXPECT_EQ(o.value(QStringLiteral("dims")).toObject().value(QStringLiteral("head_dim")).toInt(), 256);
  expectBadInput(cli(args({"model", "--layers", "full"})), "--n is required");
}

// --- approx ------------------------------------------------------------------------------------------------------

TEST(CliApprox, JsonHasEveryMeasureAndTheWeightsFileIsTheMethodsWeights) {
  QTemporaryDir dir;
  const QString w = dir.filePath(QStringLiteral("w.npy"));
  const CliRun r = cli(QStringList{QStringLiteral("approx"), QStringLiteral("--method"), QStringLiteral("nystrom"),
                                   QStringLiteral("-p"), QStringLiteral("num_landmarks=16"), QStringLiteral("--n"),
                                   QStringLiteral("256"), QStringLiteral("--dim"), QStringLiteral("32"),
                                   QStringLiteral("--weights-out"), w, QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("method")).toString(), QStringLiteral("nystrom"));
  EXPECT_EQ(o.value(QStringLiteral("params")).toObject().value(QStringLiteral("num_landmarks")).toString(),
            QStringLiteral("16"));
  for (const char* key :
       {"ms_method", "ms_full", "output_rel_error", "weights_l1", "uniform_l1", "negative_share", "row_sum_max_dev"})
    EXPECT_TRUE(o.value(QString::fromLatin1(key)).isDouble()) << key;
  EXPECT_TRUE(o.value(QStringLiteral("all_rows")).toBool());
  EXPECT_EQ(o.value(QStringLiteral("repeat")).toInt(), 3);  // the best of three passes of each, as bench times them
  const CliRun once = cli(args({"approx", "--method", "linear", "--n", "64", "--repeat", "1"}));
  ASSERT_EQ(once.exitCode, 0) << once.err.toStdString();
  EXPECT_TRUE(once.out.contains(QStringLiteral("best of 1 pass each"))) << once.out.toStdString();
  expectBadInput(cli(args({"approx", "--method", "linear", "--n", "64", "--repeat", "101"})),
                 "repeat = 101 is not allowed: expected an integer 1 … 100");
  const attnscope::NpyArray a = attnscope::readNpy(w.toStdString());
  ASSERT_EQ(a.shape, (std::vector<attnscope::Index>{256, 256}));
  // Nyströmformer's rows sum to 1 up to its pseudo-inverse's error; the file holds the figure the JSON reports.
  double worst = 0;
  for (int i = 0; i < 256; ++i) {
    double sum = 0;
    for (int j = 0; j < 256; ++j) sum += a.data[std::size_t(i) * 256 + j];
    worst = std::max(worst, std::fabs(sum - 1));
  }
  EXPECT_NEAR(worst, o.value(QStringLiteral("row_sum_max_dev")).toDouble(), 1e-4);
}

TEST(CliApprox, SweepDoublesTheBudgetAndTheErrorFalls) {
  const CliRun r =
      cli(args({"approx", "--method", "performer", "--n", "512", "--dim", "16", "--sweep", "nb_features", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonArray steps = json(r).value(QStringLiteral("steps")).toArray();
  ASSERT_EQ(steps.size(), 7);  // 8, 16, …, 512
  EXPECT_EQ(steps[0].toObject().value(QStringLiteral("value")).toInt(), 8);
  EXPECT_LT(steps[6].toObject().value(QStringLiteral("weights_l1")).toDouble(),
            steps[0].toObject().value(QStringLiteral("weights_l1")).toDouble());
  expectBadInput(cli(args({"approx", "--method", "linear", "--n", "64", "--sweep", "k"})),
                 "the budget 'k' is not a parameter of linear: expected none (linear has no budget)");
  expectBadInput(cli(args({"approx", "--method", "nystrom", "--n", "100", "-p", "num_landmarks=64"})),
                 "it must be a multiple of num_landmarks = 64");
  expectBadInput(cli(args({"approx", "--method", "nothing", "--n", "64"})), "method 'nothing' is unknown");
  expectBadInput(cli(args({"approx", "--method", "linear", "--n", "8192", "--weights-out", "/tmp/never.npy"})),
                 "too large to write the weights");
  expectBadInput(cli(args({"approx", "--method", "linear", "--n", "64", "--scale", "-1"})),
                 "--scale -1 is not allowed");
  expectBadInput(cli(args({"approx", "--method", "linformer", "--n", "64", "-p", "k=100"})), "expected at most n = 64");
}

}  // namespace

namespace attnscope {
namespace {

TEST(CliAttention, TheSyntheticExampleShowsEachHeadsRole) {
  // resources/examples/synthetic-attention.npz (scripts/make-synthetic-attention.py): five heads, one behaviour each.
  const CliRun r = cli(args({"attention", ATTNSCOPE_EXAMPLES_DIR "/synthetic-attention.npz", "--tokens",
                             ATTNSCOPE_EXAMPLES_DIR "/synthetic-attention-tokens.txt", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("layers")).toInt(), 4);
  EXPECT_EQ(o.value(QStringLiteral("heads")).toInt(), 5);
  EXPECT_EQ(o.value(QStringLiteral("n")).toInt(), 64);
  const QJsonArray roles = o.value(QStringLiteral("role")).toArray();
  ASSERT_EQ(roles.size(), 4);
  for (const QJsonValue& layer : roles) {
    const QJsonArray heads = layer.toArray();
    EXPECT_EQ(heads[0].toString(), QStringLiteral("diagonal"));
    EXPECT_EQ(heads[1].toString(), QStringLiteral("previous-token"));
    EXPECT_EQ(heads[2].toString(), QStringLiteral("first-token sink"));
    EXPECT_EQ(heads[3].toString(), QString());  // blocks: no single role
    EXPECT_EQ(heads[4].toString(), QStringLiteral("broad"));
  }
  EXPECT_EQ(o.value(QStringLiteral("rows_not_summing_to_1")).toInt(), 0);
}

TEST(CliAttention, AStackIsHeldAgainstTheWeightsLayerByLayer) {
  // The diagonal alone (window radius=0) keeps exactly each head's diagonal mass; the causal layers keep every
  // weight of these causal heads (rows sum to 1 up to float16 rounding).
  const CliRun r = cli(args({"attention", ATTNSCOPE_EXAMPLES_DIR "/synthetic-attention.npz", "--layers",
                             "window radius=0, causal, window radius=0, causal", "--json"}));
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("stack")).toString(),
            QStringLiteral("window radius=0, causal, window radius=0, causal"));
  const QJsonArray kept = o.value(QStringLiteral("mass_kept")).toArray();
  const QJsonArray diagonal = o.value(QStringLiteral("diagonal")).toArray();
  const QJsonArray density = o.value(QStringLiteral("density")).toArray();
  ASSERT_EQ(kept.size(), 4);
  for (int l = 0; l < 4; ++l)
    for (int h = 0; h < 5; ++h) {
      const double k = kept[l].toArray()[h].toDouble(), d = density[l].toArray()[h].toDouble();
      if (l % 2 == 0) {
        EXPECT_NEAR(k, diagonal[l].toArray()[h].toDouble(), 1e-9) << l << " " << h;
        EXPECT_DOUBLE_EQ(d, 64.0 / (64 * 64));
      } else {
        EXPECT_NEAR(k, 1.0, 2e-3) << l << " " << h;
        EXPECT_DOUBLE_EQ(d, 64.0 * 65 / 2 / (64 * 64));
      }
    }
}

}  // namespace
}  // namespace attnscope

namespace {

// infer runs the shipped model: from BOS alone its greedy story is llama2.c's reference text, and a text gives its
// tokens, the next token's choices (a distribution: the top five sum to at most 1, most likely first) and a dump
// that `attention` reads.
const QString kStoriesModel = QStringLiteral(ATTNSCOPE_STORIES_DIR "/stories260K.bin");

TEST(CliInfer, TheShippedModelTellsLlama2csStory) {
  const CliRun r =
      cli({QStringLiteral("infer"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--ids"),
           QStringLiteral("1"), QStringLiteral("--generate"), QStringLiteral("50"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_TRUE(o.value(QStringLiteral("generated"))
                  .toString()
                  .startsWith(QStringLiteral("Once upon a time, there was a little girl named Lily. She loved to play "
                                             "outside in the park.")))
      << o.value(QStringLiteral("generated")).toString().toStdString();
  EXPECT_EQ(o.value(QStringLiteral("generated_ids")).toArray().size(), 50);
  EXPECT_EQ(o.value(QStringLiteral("tokens")).toArray().at(0).toString(), QStringLiteral("<s>"));
}

TEST(CliInfer, ATextsTokensChoicesAndAttentionDump) {
  QTemporaryDir dir;
  const QString dump = dir.filePath(QStringLiteral("attention.npz"));
  const CliRun r = cli({QStringLiteral("infer"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--text"),
                        QStringLiteral("Lily saw a big red ball"), QStringLiteral("--attention-out"), dump,
                        QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  const QJsonArray tokens = o.value(QStringLiteral("tokens")).toArray(), ids = o.value(QStringLiteral("ids")).toArray();
  ASSERT_EQ(tokens.size(), ids.size());
  EXPECT_EQ(ids.at(0).toInt(), 1);
  EXPECT_EQ(tokens.at(1).toString(), QStringLiteral("▁Lily"));
  EXPECT_EQ(o.value(QStringLiteral("layers")).toInt(), 5);
  EXPECT_EQ(o.value(QStringLiteral("heads")).toInt(), 8);
  const QJsonArray predictions = o.value(QStringLiteral("predictions")).toArray();
  ASSERT_EQ(predictions.size(), 5);
  double sum = 0, previous = 1;
  for (const QJsonValue& p : predictions) {
    const double pr = p.toObject().value(QStringLiteral("p")).toDouble();
    EXPECT_LE(pr, previous);
    previous = pr;
    sum += pr;
  }
  EXPECT_LE(sum, 1.0 + 1e-9);
  EXPECT_GT(sum, 0.5);
  // The dump is what `attention` reads: 5 layers of 8 heads over the text's tokens.
  const CliRun a = cli({QStringLiteral("attention"), dump, QStringLiteral("--json")});
  ASSERT_EQ(a.exitCode, 0) << a.err.toStdString();
  EXPECT_EQ(json(a).value(QStringLiteral("layers")).toInt(), 5);
  EXPECT_EQ(json(a).value(QStringLiteral("heads")).toInt(), 8);
  EXPECT_EQ(json(a).value(QStringLiteral("n")).toInt(), ids.size());
}

// bench-model times a pass and says what it counted: stories260K (dim 64, hidden 172, 5 layers, 8 heads, 4 key-value
// heads of 8, vocabulary 512) on 8 tokens is 5 × (2·8·(2·64² + 2·32·64 + 3·172·64) + 4·8·8·36) + 2·8·512·64 FLOPs,
// worked by hand; the figures are asserted for their shape, never for their speed.
TEST(CliBenchModel, CountsThePassAndRefusesWhatItCannotTime) {
  const CliRun r =
      cli({QStringLiteral("bench-model"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--tokens"),
           QStringLiteral("8"), QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--repeat"),
           QStringLiteral("1"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  const double expected =
      (5.0 * (2 * 8 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 172 * 64) + 4 * 8 * 8 * 36) + 2 * 8 * 512 * 64) / 1e9;
  EXPECT_NEAR(o.value(QStringLiteral("gflop")).toDouble(), expected, 1e-12);
  EXPECT_EQ(o.value(QStringLiteral("tokens")).toInt(), 8);
  const QJsonArray runs = o.value(QStringLiteral("runs")).toArray();
  ASSERT_EQ(runs.size(), 1);
  const QJsonObject run = runs.at(0).toObject();
  EXPECT_EQ(run.value(QStringLiteral("threads")).toInt(), 1);
  EXPECT_GT(run.value(QStringLiteral("ms")).toDouble(), 0);
  EXPECT_NEAR(run.value(QStringLiteral("gflops")).toDouble(),
              expected / (run.value(QStringLiteral("ms")).toDouble() / 1e3), 1e-6);
  EXPECT_TRUE(run.value(QStringLiteral("compressed_ms")).isNull());
  auto bench = [](const QStringList& rest) { return cli(QStringList{QStringLiteral("bench-model")} + rest); };
  // A compressed copy timed beside it.
  const CliRun q =
      bench({QStringLiteral("--model"), kStoriesModel, QStringLiteral("--tokens"), QStringLiteral("8"),
             QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--repeat"), QStringLiteral("1"),
             QStringLiteral("--quantize"), QStringLiteral("int8"), QStringLiteral("--json")});
  ASSERT_EQ(q.exitCode, 0) << q.err.toStdString();
  EXPECT_EQ(json(q).value(QStringLiteral("compressed")).toString(), QStringLiteral("int8"));
  EXPECT_GT(json(q)
                .value(QStringLiteral("runs"))
                .toArray()
                .at(0)
                .toObject()
                .value(QStringLiteral("compressed_ms"))
                .toDouble(),
            0.0);
  expectBadInput(bench({QStringLiteral("--model"), kStoriesModel, QStringLiteral("--mixed")}),
                 "--mixed goes with --precision");
  expectBadInput(bench({}), "give either --model PATH");
  expectBadInput(bench({QStringLiteral("--shape"), QStringLiteral("gpt4")}), "--shape 'gpt4' is not allowed");
  expectBadInput(bench({QStringLiteral("--model"), kStoriesModel, QStringLiteral("--tokens"), QStringLiteral("600")}),
                 "--tokens 600 is not allowed: this model takes at most 512");
}

// evaluate: full attention in its own place changes nothing; a sweep gives a row a budget, the share of cells worked
// by hand (query i of n sees min(i, r) + 1 of its i + 1 keys); what cannot be substituted is refused before the
// model runs.
TEST(CliEvaluate, FullChangesNothingAndASweepGivesARowABudget) {
  const QString text = QStringLiteral("Lily saw a big red ball");  // 9 tokens
  CliRun r = cli({QStringLiteral("evaluate"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--text"), text,
                  QStringLiteral("--pattern"), QStringLiteral("full"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("tokens")).toInt(), 9);
  EXPECT_EQ(o.value(QStringLiteral("share_of_cells")).toDouble(), 1.0);
  EXPECT_EQ(o.value(QStringLiteral("top1_agreement")).toDouble(), 1.0);
  EXPECT_EQ(o.value(QStringLiteral("kl_max")).toDouble(), 0.0);
  EXPECT_EQ(o.value(QStringLiteral("perplexity")).toDouble(), o.value(QStringLiteral("perplexity_full")).toDouble());
  EXPECT_EQ(o.value(QStringLiteral("drift_by_layer")).toArray().size(), 5);
  r = cli({QStringLiteral("evaluate"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--text"), text,
           QStringLiteral("--pattern"), QStringLiteral("window"), QStringLiteral("-p"), QStringLiteral("causal=true"),
           QStringLiteral("--sweep"), QStringLiteral("radius=0,3,8"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  o = json(r);
  const QJsonArray rows = o.value(QStringLiteral("rows")).toArray();
  ASSERT_EQ(rows.size(), 3);
  for (int k = 0; k < 3; ++k) {
    const int radius = std::array<int, 3>{0, 3, 8}[std::size_t(k)];
    double kept = 0, own = 0;
    for (int i = 0; i < 9; ++i) kept += std::min(i, radius) + 1, own += i + 1;
    EXPECT_NEAR(rows.at(k).toObject().value(QStringLiteral("share_of_cells")).toDouble(), kept / own, 1e-12);
  }
  EXPECT_EQ(rows.at(2).toObject().value(QStringLiteral("top1_agreement")).toDouble(), 1.0);
  auto evaluate = [](const QStringList& rest) { return cli(QStringList{QStringLiteral("evaluate")} + rest); };
  const QString model = QStringLiteral("--model"), pattern = QStringLiteral("--pattern"), t = QStringLiteral("--text");
  expectBadInput(evaluate({t, text, pattern, QStringLiteral("full")}), "--model is required");
  expectBadInput(evaluate({model, kStoriesModel, t, text}), "give one of --pattern P (in every layer), --config");
  expectBadInput(evaluate({model, kStoriesModel, t, text, pattern, QStringLiteral("full"), QStringLiteral("--layers"),
                           QStringLiteral("full")}),
                 "give one of --pattern P");
  expectBadInput(evaluate({model, kStoriesModel, t, text, QStringLiteral("--layers"), QStringLiteral("window ×4")}),
                 "the stack has 4 layers and the model 5");
  expectBadInput(evaluate({model, kStoriesModel, t, text, QStringLiteral("--layers"), QStringLiteral("window"),
                           QStringLiteral("--sweep"), QStringLiteral("radius=1,2")}),
                 "--sweep goes with --pattern");
  expectBadInput(evaluate({model, kStoriesModel, t, text, QStringLiteral("--layers"), QStringLiteral("windw ×5")}),
                 "windw");
  expectBadInput(evaluate({model, kStoriesModel, t, text, pattern, QStringLiteral("lsh")}),
                 "lsh is not substituted: lsh is made from the inputs");
  expectBadInput(evaluate({model, kStoriesModel, t, text, pattern, QStringLiteral("window+topk")}),
                 "is not substituted");
  expectBadInput(evaluate({model, kStoriesModel, t, text, pattern, QStringLiteral("window"), QStringLiteral("--sweep"),
                           QStringLiteral("size=1")}),
                 "--sweep size is not a parameter of window");
  expectBadInput(evaluate({model, kStoriesModel, t, text, pattern, QStringLiteral("window"), QStringLiteral("-p"),
                           QStringLiteral("radius=-1")}),
                 "radius");
}

// evaluate with a stack: layer l on layer l; --per-layer gives one row a layer, each substituting that layer alone
// (the layers below it do not drift at all).
TEST(CliEvaluate, AStackLayerByLayerAndOneLayerAtATime) {
  const QString text = QStringLiteral("Lily saw a big red ball");  // 9 tokens
  CliRun r = cli({QStringLiteral("evaluate"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--text"), text,
                  QStringLiteral("--layers"), QStringLiteral("full ×3, window radius=0 causal=true ×2"),
                  QStringLiteral("--per-layer"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  // Layers 3 and 4 keep 1 of each query's i + 1 keys: 9 of 45 cells; the three full layers all 45.
  EXPECT_NEAR(o.value(QStringLiteral("share_of_cells")).toDouble(), (3 * 45.0 + 2 * 9.0) / (5 * 45.0), 1e-12);
  const QJsonArray drift = o.value(QStringLiteral("drift_by_layer")).toArray();
  ASSERT_EQ(drift.size(), 5);
  EXPECT_EQ(drift.at(2).toDouble(), 0.0);
  EXPECT_GT(drift.at(3).toDouble(), 0.0);
  const QJsonArray layers = o.value(QStringLiteral("per_layer")).toArray();
  ASSERT_EQ(layers.size(), 5);
  for (int l = 0; l < 5; ++l) {
    const QJsonObject one = layers.at(l).toObject();
    EXPECT_EQ(one.value(QStringLiteral("layer")).toInt(), l);
    const double lastDrift = one.value(QStringLiteral("drift_by_layer")).toArray().at(4).toDouble();
    if (l < 3) {  // full in its own place
      EXPECT_EQ(lastDrift, 0.0);
      EXPECT_EQ(one.value(QStringLiteral("top1_agreement")).toDouble(), 1.0);
    } else {
      EXPECT_GT(lastDrift, 0.0);
      EXPECT_EQ(one.value(QStringLiteral("drift_by_layer")).toArray().at(l - 1).toDouble(), 0.0);
    }
  }
}

// evaluate --approx: linear attention in place of softmax on stories260K (run causally); its share is its d = 8
// features of the i + 1 keys query i sees, worked by hand; a method that cannot run causally is refused, and so is a
// parameter it does not have.
TEST(CliEvaluate, AnApproximationInPlaceOfSoftmax) {
  const QString text = QStringLiteral("Lily saw a big red ball");  // 9 tokens
  CliRun r = cli({QStringLiteral("evaluate"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--text"), text,
                  QStringLiteral("--approx"), QStringLiteral("linear"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  double kept = 0, own = 0;
  for (int i = 0; i < 9; ++i) kept += std::min(8, i + 1), own += i + 1;
  EXPECT_NEAR(o.value(QStringLiteral("share_of_cells")).toDouble(), kept / own, 1e-12);
  EXPECT_LT(o.value(QStringLiteral("top1_agreement")).toDouble(), 1.0);
  EXPECT_TRUE(o.value(QStringLiteral("note")).toString().contains(QStringLiteral("not softmax")));
  auto evaluate = [&](const QStringList& rest) {
    return cli(QStringList{QStringLiteral("evaluate"), QStringLiteral("--model"), kStoriesModel,
                           QStringLiteral("--text"), text} +
               rest);
  };
  expectBadInput(evaluate({QStringLiteral("--approx"), QStringLiteral("linformer")}),
                 "linformer cannot serve a decoder");
  expectBadInput(evaluate({QStringLiteral("--approx"), QStringLiteral("favor")}), "method 'favor' is unknown");
  expectBadInput(evaluate({QStringLiteral("--approx"), QStringLiteral("performer"), QStringLiteral("--sweep"),
                           QStringLiteral("radius=1,2")}),
                 "--sweep radius is not a parameter of performer");
  expectBadInput(evaluate({QStringLiteral("--approx"), QStringLiteral("performer"), QStringLiteral("--pattern"),
                           QStringLiteral("full")}),
                 "give one of --pattern P");
}

// A text longer than the model's 512 positions is measured window by window: every token is compared once, full
// attention in its own place still changes nothing, and the stride must leave the windows overlapping.
TEST(CliEvaluate, ALongTextSlides) {
  QString story;
  for (int k = 0; k < 20; ++k)  // 20 × 24 tokens
    story += QStringLiteral(
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
        "park with her big red ball. ");
  QTemporaryDir dir;
  const QString file = dir.filePath(QStringLiteral("story.txt"));
  QFile out(file);
  ASSERT_TRUE(out.open(QIODevice::WriteOnly));
  out.write(story.toUtf8());
  out.close();
  CliRun r = cli({QStringLiteral("evaluate"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--text-file"),
                  file, QStringLiteral("--pattern"), QStringLiteral("full"), QStringLiteral("--stride"),
                  QStringLiteral("200"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  const int n = o.value(QStringLiteral("tokens")).toInt();
  EXPECT_GT(n, 512);
  EXPECT_EQ(o.value(QStringLiteral("window")).toInt(), 512);
  EXPECT_EQ(o.value(QStringLiteral("stride")).toInt(), 200);
  EXPECT_EQ(o.value(QStringLiteral("positions")).toInt(), n);
  EXPECT_EQ(o.value(QStringLiteral("top1_agreement")).toDouble(), 1.0);
  EXPECT_EQ(o.value(QStringLiteral("kl_max")).toDouble(), 0.0);
  expectBadInput(
      cli({QStringLiteral("evaluate"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--text-file"), file,
           QStringLiteral("--pattern"), QStringLiteral("full"), QStringLiteral("--stride"), QStringLiteral("512")}),
      "stride 512 is not allowed: expected 1 … 511");
}

// compress: stories260K's linear layers pruned by magnitude in a copy; the weights left worked by hand from its
// shapes (0.2 of each 64 × 64 weight is round(819.2) = 819, of each 32 × 64 one 410, of each 172 × 64 one 2,202),
// nothing pruned changes nothing, and bad amounts are one line.
TEST(CliCompress, PrunedWeightsCountedByHand) {
  const QString text = QStringLiteral("Lily saw a big red ball");
  auto compress = [&](const QStringList& rest) {
    return cli(QStringList{QStringLiteral("compress"), QStringLiteral("--model"), kStoriesModel,
                           QStringLiteral("--text"), text} +
               rest);
  };
  CliRun r = compress({QStringLiteral("--prune"), QStringLiteral("l1=0.2"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  QJsonObject o = json(r);
  const double weights = 5 * (2 * 4096 + 2 * 2048 + 3 * 11008);
  EXPECT_EQ(o.value(QStringLiteral("weights")).toDouble(), weights);
  EXPECT_EQ(o.value(QStringLiteral("nonzero_weights")).toDouble(), weights - 5 * (2 * 819 + 2 * 410 + 3 * 2202));
  EXPECT_EQ(o.value(QStringLiteral("size_bytes")).toDouble(), 4 * weights);
  EXPECT_EQ(o.value(QStringLiteral("js_by_head")).toArray().size(), 5);
  EXPECT_EQ(o.value(QStringLiteral("js_by_head")).toArray().at(0).toArray().size(), 8);
  EXPECT_GT(o.value(QStringLiteral("kl_mean")).toDouble(), 0.0);
  // Pruning again prunes 0.2 of what remains.
  r = compress({QStringLiteral("--prune"), QStringLiteral("l1=0.2"), QStringLiteral("--prune"),
                QStringLiteral("l1=0.2"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  // round(0.2 × 3,277) = 655, round(0.2 × 1,638) = 328, round(0.2 × 8,806) = 1,761.
  EXPECT_EQ(json(r).value(QStringLiteral("nonzero_weights")).toDouble(),
            weights - 5 * (2 * (819 + 655) + 2 * (410 + 328) + 3 * (2202 + 1761)));
  r = compress({QStringLiteral("--prune"), QStringLiteral("global=0"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("top1_agreement")).toDouble(), 1.0);
  EXPECT_EQ(o.value(QStringLiteral("kl_max")).toDouble(), 0.0);
  expectBadInput(compress({QStringLiteral("--prune"), QStringLiteral("l1=1")}),
                 "--prune l1=1 is not allowed: expected a share of the weights, 0 ≤ amount < 1");
  expectBadInput(compress({QStringLiteral("--prune"), QStringLiteral("random=0.2")}),
                 "expected l1=AMOUNT or global=AMOUNT");
  expectBadInput(compress({}), "nothing to compress");
}

// Half precision and int8 from the command line: the bytes worked from stories260K's shapes (two a weight, or one
// plus a float scale for each of the 35 linear layers), the kernel named, and the refusals one line each.
TEST(CliCompress, HalfPrecisionAndInt8) {
  const QString text = QStringLiteral("Once upon a time, there was a little girl named Lily. She loved to play.");
  auto compress = [&](const QStringList& rest) {
    return cli(QStringList{QStringLiteral("compress"), QStringLiteral("--model"), kStoriesModel,
                           QStringLiteral("--text"), text, QStringLiteral("--json")} +
               rest);
  };
  const double weights = 5 * (2 * 4096 + 2 * 2048 + 3 * 11008);
  CliRun r = compress({QStringLiteral("--quantize"), QStringLiteral("int8")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("size_bytes_full")).toDouble(), 4 * weights);
  EXPECT_EQ(o.value(QStringLiteral("size_bytes")).toDouble(), weights + 4 * 35);
  EXPECT_EQ(o.value(QStringLiteral("weights_held_as")).toString(), QStringLiteral("int8"));
  EXPECT_FALSE(o.value(QStringLiteral("int8_kernel")).toString().isEmpty());
  EXPECT_GT(o.value(QStringLiteral("kl_mean")).toDouble(), 0.0);
  EXPECT_GE(o.value(QStringLiteral("top1_agreement")).toDouble(), 0.9);
  EXPECT_GT(o.value(QStringLiteral("ms")).toDouble(), 0.0);
  EXPECT_GT(o.value(QStringLiteral("step_ms")).toDouble(), o.value(QStringLiteral("ms")).toDouble());
  const double int8Kl = o.value(QStringLiteral("kl_mean")).toDouble();
  r = compress({QStringLiteral("--precision"), QStringLiteral("fp16"), QStringLiteral("--mixed")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("size_bytes")).toDouble(), 2 * weights);
  EXPECT_TRUE(o.value(QStringLiteral("mixed")).toBool());
  EXPECT_EQ(o.value(QStringLiteral("overflows")).toDouble(), 0.0);
  EXPECT_LT(o.value(QStringLiteral("kl_mean")).toDouble(), int8Kl);
  EXPECT_TRUE(o.value(QStringLiteral("int8_kernel")).isNull());
  // Pruning, then int8: the steps in that order.
  r = compress(
      {QStringLiteral("--quantize"), QStringLiteral("int8"), QStringLiteral("--prune"), QStringLiteral("l1=0.2")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_EQ(json(r).value(QStringLiteral("steps")).toString(), QStringLiteral("l1=0.2 + int8"));
  // Whole heads: 8 of stories260K's 40, each taking its 64 × 8 columns of the output projection; a pruned head has no
  // attention left to compare (null).
  r = compress({QStringLiteral("--prune-heads"), QStringLiteral("8")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  o = json(r);
  const QJsonArray pruned = o.value(QStringLiteral("pruned_heads")).toArray();
  ASSERT_EQ(pruned.size(), 8);
  EXPECT_EQ(o.value(QStringLiteral("nonzero_weights")).toDouble(), weights - 8 * 64 * 8);
  EXPECT_EQ(o.value(QStringLiteral("head_score")).toString(), QStringLiteral("output-norm"));
  // The scores shown: the pruned head's is among the smallest of all 40.
  const QJsonArray scores = o.value(QStringLiteral("head_scores")).toArray();
  ASSERT_EQ(scores.size(), 5);
  int smaller = 0;
  const double least =
      scores.at(pruned.at(0).toArray().at(0).toInt()).toArray().at(pruned.at(0).toArray().at(1).toInt()).toDouble();
  for (const QJsonValue& layer : scores)
    for (const QJsonValue& v : layer.toArray()) smaller += v.toDouble() < least;
  EXPECT_EQ(smaller, 0);
  const QJsonArray first = pruned.at(0).toArray();
  EXPECT_TRUE(o.value(QStringLiteral("js_by_head"))
                  .toArray()
                  .at(first.at(0).toInt())
                  .toArray()
                  .at(first.at(1).toInt())
                  .isNull());
  // Saved, and opened again by infer: its own checkpoint format, its tokenizer beside it.
  QTemporaryDir dir;
  const QString saved = dir.filePath(QStringLiteral("pruned"));
  r = compress({QStringLiteral("--prune"), QStringLiteral("l1=0.5"), QStringLiteral("--save"), saved});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_EQ(json(r).value(QStringLiteral("saved")).toString(), saved + QStringLiteral("/stories260K.bin"));
  EXPECT_TRUE(QFile::exists(saved + QStringLiteral("/tok512.bin")));
  r = cli({QStringLiteral("compress"), QStringLiteral("--model"), saved + QStringLiteral("/stories260K.bin"),
           QStringLiteral("--text"), text, QStringLiteral("--prune"), QStringLiteral("l1=0"),
           QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_EQ(json(r).value(QStringLiteral("nonzero_weights")).toDouble(), weights / 2);  // half of each, exactly
  expectBadInput(compress({QStringLiteral("--prune"), QStringLiteral("l1=0.5"), QStringLiteral("--save"), saved}),
                 "is not an empty folder");
  expectBadInput(compress({QStringLiteral("--prune-heads"), QStringLiteral("40")}),
                 "--prune-heads 40 is not allowed: this model has 40 heads, and at least one must stay");
  expectBadInput(compress({QStringLiteral("--prune-heads"), QStringLiteral("2"), QStringLiteral("--head-score"),
                           QStringLiteral("gradient")}),
                 "--head-score 'gradient' is not allowed");
  expectBadInput(compress({QStringLiteral("--quantize"), QStringLiteral("int4")}),
                 "--quantize 'int4' is not allowed: expected int8");
  expectBadInput(compress({QStringLiteral("--precision"), QStringLiteral("fp8")}),
                 "--precision 'fp8' is not allowed: expected fp16 or bf16");
  expectBadInput(compress({QStringLiteral("--precision"), QStringLiteral("fp16"), QStringLiteral("--quantize"),
                           QStringLiteral("int8")}),
                 "choose one");
  expectBadInput(compress({QStringLiteral("--mixed"), QStringLiteral("--quantize"), QStringLiteral("int8")}),
                 "--mixed computes the linear layers in half precision");
}

// distil: a model against itself matches every head to itself; a student whose tokenizer splits the text otherwise
// (stories260K's own vocabulary with its pieces spelt backwards) is refused.
TEST(CliDistil, AModelAgainstItselfAndATokenizerThatDiffers) {
  const QString text = QStringLiteral("Lily saw a big red ball in the park.");
  auto distil = [&](const QStringList& rest) {
    return cli(QStringList{QStringLiteral("distil"), QStringLiteral("--teacher"), kStoriesModel,
                           QStringLiteral("--student"), kStoriesModel} +
               rest);
  };
  CliRun r = distil({QStringLiteral("--text"), text, QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonObject o = json(r);
  EXPECT_EQ(o.value(QStringLiteral("similarity")).toArray().size(), 40);
  const QJsonArray matching = o.value(QStringLiteral("matching")).toArray();
  ASSERT_EQ(matching.size(), 40);
  for (const QJsonValue& m : matching)
    EXPECT_EQ(m.toObject().value(QStringLiteral("student")), m.toObject().value(QStringLiteral("teacher")));
  EXPECT_EQ(o.value(QStringLiteral("layer_mapping")).toArray(), (QJsonArray{0, 1, 2, 3, 4}));
  EXPECT_EQ(o.value(QStringLiteral("matching_mean_js")).toDouble(), 0.0);
  EXPECT_EQ(o.value(QStringLiteral("minilm_kl")).toArray().size(), 8);
  // The other tokenizer: tok512.bin with every piece of two bytes or more spelt backwards ("ball" → "llab").
  QTemporaryDir dir;
  const QString other = dir.filePath(QStringLiteral("other.bin"));
  ASSERT_TRUE(attnscope::test::writeBackwardsTokenizer(QStringLiteral(ATTNSCOPE_STORIES_DIR "/tok512.bin"), other));
  expectBadInput(distil({QStringLiteral("--text"), text, QStringLiteral("--student-tokenizer"), other}),
                 "the teacher and the student split the text differently");
  expectBadInput(distil({}), "give either --text TEXT or --text-file FILE");
  expectBadInput(cli({QStringLiteral("distil"), QStringLiteral("--teacher"), kStoriesModel}), "--student is required");
}

// tokens: a text's pieces and fertility, and the shipped sample set's table (stories260K spells Russian byte by byte:
// 69 letters × 2 bytes, 11 spaces, the dummy prefix and the full stop make 151 tokens).
TEST(CliTokens, ATextAndTheSampleSet) {
  CliRun r = cli({QStringLiteral("tokens"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--text"),
                  QStringLiteral("Lily saw a big ball."), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  QJsonObject row = json(r).value(QStringLiteral("rows")).toArray().at(0).toObject();
  EXPECT_EQ(row.value(QStringLiteral("words")).toInt(), 5);
  EXPECT_EQ(row.value(QStringLiteral("pieces")).toArray().at(0).toString(), QStringLiteral("<s>"));
  EXPECT_EQ(row.value(QStringLiteral("pieces")).toArray().at(1).toString(), QStringLiteral("▁Lily"));
  const int n = row.value(QStringLiteral("n")).toInt();
  EXPECT_EQ(row.value(QStringLiteral("ids")).toArray().size(), n);
  EXPECT_EQ(row.value(QStringLiteral("tokens")).toInt(), n - 1);
  EXPECT_DOUBLE_EQ(row.value(QStringLiteral("tokens_per_word")).toDouble(), (n - 1) / 5.0);
  r = cli({QStringLiteral("tokens"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--samples"),
           QStringLiteral(ATTNSCOPE_TEXTS_DIR "/one-sentence-ten-languages.json"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonArray rows = json(r).value(QStringLiteral("rows")).toArray();
  ASSERT_EQ(rows.size(), 10);
  row = rows.at(2).toObject();
  EXPECT_EQ(row.value(QStringLiteral("language")).toString(), QStringLiteral("Russian"));
  EXPECT_EQ(row.value(QStringLiteral("tokens")).toInt(), 69 * 2 + 11 + 1 + 1);
  EXPECT_EQ(row.value(QStringLiteral("byte_pieces")).toInt(), 138);
  EXPECT_DOUBLE_EQ(row.value(QStringLiteral("cells_vs_first")).toDouble(),
                   152.0 * 152.0 / std::pow(rows.at(0).toObject().value(QStringLiteral("n")).toDouble(), 2));
  // GPT-2's byte-level BPE beside it: the English sentence in 17 pieces ("kite" is two), no BOS.
  r = cli({QStringLiteral("tokens"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--samples"),
           QStringLiteral(ATTNSCOPE_TEXTS_DIR "/one-sentence-ten-languages.json"), QStringLiteral("--compare"),
           QStringLiteral(ATTNSCOPE_TEST_DATA_DIR "/tokenizers/gpt2"), QStringLiteral("--json")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  const QJsonArray other = json(r).value(QStringLiteral("compare_rows")).toArray();
  ASSERT_EQ(other.size(), 10);
  EXPECT_EQ(other.at(0).toObject().value(QStringLiteral("n")).toInt(), 17);
  expectBadInput(cli({QStringLiteral("tokens"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--text"),
                      QStringLiteral("hi"), QStringLiteral("--compare"), QStringLiteral("/nonexistent")}),
                 "tokenizer '/nonexistent' is not there");
  expectBadInput(cli({QStringLiteral("tokens"), QStringLiteral("--model"), kStoriesModel}),
                 "give one of --text TEXT, --text-file FILE or --samples FILE");
  expectBadInput(cli({QStringLiteral("tokens"), QStringLiteral("--model"), kStoriesModel, QStringLiteral("--text"),
                      QStringLiteral("!!")}),
                 "the text has no words");
}

TEST(CliInfer, BadInputIsOneLine) {
  QTemporaryDir dir;
  auto infer = [](const QStringList& rest) { return cli(QStringList{QStringLiteral("infer")} + rest); };
  const QString model = QStringLiteral("--model"), ids = QStringLiteral("--ids"), one = QStringLiteral("1");
  expectBadInput(cli(args({"infer", "--text", "hi"})), "--model is required");
  expectBadInput(infer({model, kStoriesModel}), "give either --text");
  expectBadInput(infer({model, kStoriesModel, QStringLiteral("--text"), QStringLiteral("a"), ids, one}),
                 "give either --text");
  expectBadInput(infer({model, kStoriesModel, ids, QStringLiteral("1,999")}), "token 1 has id 999: expected 0 … 511");
  expectBadInput(
      infer({model, kStoriesModel, ids, one, QStringLiteral("--attention-out"), dir.filePath(QStringLiteral("a.csv"))}),
      "expected a file ending in .npz or .npy");
  EXPECT_FALSE(QFile::exists(dir.filePath(QStringLiteral("a.csv"))));
  // A Hugging Face folder, a checkpoint with no tokenizer beside it, a cut-off checkpoint.
  QFile config(dir.filePath(QStringLiteral("config.json")));
  ASSERT_TRUE(config.open(QIODevice::WriteOnly));
  config.write(R"({"model_type": "t5", "d_model": 512})");
  config.close();
  expectBadInput(infer({model, dir.path(), ids, one}), "has model_type 't5', which this version does not run");
  const QString alone = dir.filePath(QStringLiteral("alone.bin"));
  ASSERT_TRUE(QFile::copy(kStoriesModel, alone));
  expectBadInput(infer({model, alone, ids, one}), "has no tokenizer beside it: expected tokenizer.bin or tok512.bin");
  QFile cut(alone);
  ASSERT_TRUE(cut.resize(5000));
  expectBadInput(infer({model, alone, ids, one}), "it has 5000 bytes, but its header's sizes need exactly 1056540");
}

}  // namespace

// export-code: what it writes is checked cell for cell by flex_export.py; here, the command's own rules.
TEST(CliExportCode, FormatsAndRefusals) {
  auto run = [](QStringList args) {
    args.prepend(QStringLiteral("export-code"));
    return cli(args);
  };
  CliRun r =
      run({QStringLiteral("--format"), QStringLiteral("flex"), QStringLiteral("--pattern"), QStringLiteral("strided"),
           QStringLiteral("-p"), QStringLiteral("stride=8"), QStringLiteral("--n"), QStringLiteral("64")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_TRUE(r.out.contains(QStringLiteral("def mask_mod(b, h, q_idx, kv_idx):")));
  EXPECT_TRUE(
      r.out.contains(QStringLiteral("((kv_idx <= q_idx) & ((q_idx - kv_idx <= 8) | ((q_idx - kv_idx) % 8 == 0)))")));
  EXPECT_TRUE(r.out.contains(QStringLiteral("create_block_mask(mask_mod, B=None, H=None, Q_LEN=N, KV_LEN=N")));

  // A stack's Hugging Face fields into a file; what a config cannot say is printed.
  QTemporaryDir dir;
  const QString out = dir.filePath(QStringLiteral("fields.json"));
  r = run({QStringLiteral("--format"), QStringLiteral("hf-config"), QStringLiteral("--layers"),
           QStringLiteral("window radius=3 causal=true ×2, strided stride=4"), QStringLiteral("--n"),
           QStringLiteral("64"), QStringLiteral("--out"), out});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_TRUE(r.out.contains(QStringLiteral("cannot express: layer 2: 'strided' has no Hugging Face config field")));
  QFile file(out);
  ASSERT_TRUE(file.open(QIODevice::ReadOnly));
  const QJsonObject doc = QJsonDocument::fromJson(file.readAll()).object();
  EXPECT_TRUE(doc.value(QStringLiteral("config_fields")).isNull());

  // One pattern standing for every layer: Mistral's sliding_window.
  r = run({QStringLiteral("--format"), QStringLiteral("hf-config"), QStringLiteral("--pattern"),
           QStringLiteral("window"), QStringLiteral("-p"), QStringLiteral("radius=4095"), QStringLiteral("-p"),
           QStringLiteral("causal=true"), QStringLiteral("--n"), QStringLiteral("8192")});
  ASSERT_EQ(r.exitCode, 0) << r.err.toStdString();
  EXPECT_EQ(QJsonDocument::fromJson(r.out.toUtf8())
                .object()
                .value(QStringLiteral("config_fields"))
                .toObject()
                .value(QStringLiteral("sliding_window"))
                .toInt(),
            4096);

  const std::vector<std::pair<QStringList, QString>> bad = {
      {{QStringLiteral("--format"), QStringLiteral("onnx"), QStringLiteral("--pattern"), QStringLiteral("full"),
        QStringLiteral("--n"), QStringLiteral("8")},
       QStringLiteral("--format 'onnx' is not allowed: expected flex, deepspeed")},
      {{QStringLiteral("--format"), QStringLiteral("deepspeed"), QStringLiteral("--pattern"), QStringLiteral("window"),
        QStringLiteral("--n"), QStringLiteral("64")},
       QStringLiteral("pattern 'window' has no DeepSpeed SparsityConfig")},
      {{QStringLiteral("--format"), QStringLiteral("deepspeed"), QStringLiteral("--layers"), QStringLiteral("full"),
        QStringLiteral("--n"), QStringLiteral("64")},
       QStringLiteral("--format deepspeed is not allowed for a stack")},
      {{QStringLiteral("--format"), QStringLiteral("flex"), QStringLiteral("--pattern"), QStringLiteral("random"),
        QStringLiteral("--n"), QStringLiteral("100000")},
       QStringLiteral("n = 100,000 is too large to write 'random' for FlexAttention")},
      {{QStringLiteral("--format"), QStringLiteral("layout-npy"), QStringLiteral("--pattern"), QStringLiteral("window"),
        QStringLiteral("--n"), QStringLiteral("64"), QStringLiteral("--out"), dir.filePath(QStringLiteral("l.npy"))},
       QStringLiteral("it has no block layout")},
      {{QStringLiteral("--format"), QStringLiteral("flex"), QStringLiteral("--n"), QStringLiteral("64")},
       QStringLiteral("--pattern, a stack (--config, --stack or --layers) or --fit is required")},
      {{QStringLiteral("--format"), QStringLiteral("deepspeed"), QStringLiteral("--fit"), QStringLiteral("dump.npz")},
       QStringLiteral("--format deepspeed is not allowed for a fitted model")},
      {{QStringLiteral("--format"), QStringLiteral("flex"), QStringLiteral("--pattern"), QStringLiteral("full"),
        QStringLiteral("--n"), QStringLiteral("8"), QStringLiteral("--keep"), QStringLiteral("0.5")},
       QStringLiteral("--keep needs --fit")},
      {{QStringLiteral("--format"), QStringLiteral("flex"), QStringLiteral("--fit"),
        dir.filePath(QStringLiteral("missing.npz"))},
       QStringLiteral("missing.npz")},
  };
  for (const auto& [args, message] : bad) {
    r = run(args);
    EXPECT_EQ(r.exitCode, 2) << args.join(QLatin1Char(' ')).toStdString();
    EXPECT_TRUE(r.err.contains(message)) << r.err.toStdString();
    EXPECT_EQ(r.err.count(QLatin1Char('\n')), 1) << r.err.toStdString();
  }
  EXPECT_FALSE(QFileInfo::exists(dir.filePath(QStringLiteral("l.npy"))));
}
