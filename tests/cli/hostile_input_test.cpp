// Bad input of every kind, as a hostile user would give it: each case must end with exit code 2, one line on
// stderr that names what is wrong, nothing on stdout, no file left behind, with bounded peak memory (the child's
// own maximum resident set, from wait4) and bounded CPU time (RLIMIT_CPU: a child that computes past it is ended by
// SIGXCPU, which fails the case). None of this is a speed measurement, and nothing here reads a clock: CPU seconds
// do not grow when the machine is loaded, and the bounds are far above what a refusal costs and far below what the
// old behaviour cost (gigabytes, minutes). A child that hangs without computing (a FIFO) is ended after ten
// minutes and fails the case.
#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include "engine/io/npy.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

struct Child {
  int exitCode = -1;  ///< -1 when ended by a signal
  int signal = 0;
  std::string out, err;
  long maxRssKb = 0;
  double cpuSeconds = 0;  ///< user and system time of the child, for the message of a failing case
};

// CPU seconds a refusal may take before it is ended: far above a refusal (milliseconds, more under the sanitizers),
// far below the old behaviour (minutes to hours of computing).
constexpr rlim_t kCpuSeconds = 60;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs attnscope-cli with `args`; `whileRunning(pid)` is called once right after the start (to send a signal).
Child spawnCli(const std::vector<std::string>& args, const std::string& dir,
               const std::function<void(pid_t)>& whileRunning = nullptr, const char* extraEnv = nullptr) {
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) env.push_back(*e);
  std::string extra = extraEnv ? extraEnv : "";
  if (extraEnv) env.push_back(extra.data());
  env.push_back(nullptr);
  std::vector<char*> argv;
  std::string program = ATTNSCOPE_CLI;
  argv.push_back(program.data());
  std::vector<std::string> copies(args);
  for (std::string& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string outPath = dir + "/.stdout", errPath = dir + "/.stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  Child c;
  if (posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), env.data()) != 0) return c;
  posix_spawn_file_actions_destroy(&actions);
  const rlimit cpu{kCpuSeconds, kCpuSeconds + 5};
  ::prlimit(pid, RLIMIT_CPU, &cpu, nullptr);
  std::atomic<bool> ended{false};
  std::thread watchdog([&] {  // a hang that burns no CPU: ended, and reported as a signal
    for (int tenths = 0; tenths < 6000 && !ended; ++tenths) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!ended) ::kill(pid, SIGKILL);
  });
  if (whileRunning) whileRunning(pid);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  ended = true;
  watchdog.join();
  c.cpuSeconds = double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                 double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  c.maxRssKb = usage.ru_maxrss;
  if (WIFEXITED(status)) c.exitCode = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) c.signal = WTERMSIG(status);
  c.out = slurp(outPath);
  c.err = slurp(errPath);
  ::unlink(outPath.c_str());
  ::unlink(errPath.c_str());
  return c;
}

// A raw .npy: the given header dict, padded as NumPy pads it, then `data` bytes.
void writeNpy(const std::string& path, const std::string& dict, const std::string& data, int version = 1,
              long long claimedLength = -1) {
  std::string header = dict;
  const std::size_t pre = version == 1 ? 10 : 12;
  while ((pre + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  const unsigned long long len = claimedLength >= 0 ? static_cast<unsigned long long>(claimedLength) : header.size();
  std::string bytes = "\x93NUMPY";
  bytes += char(version);
  bytes += char(0);
  for (std::size_t b = 0; b < (version == 1 ? 2u : 4u); ++b) bytes += char((len >> (8 * b)) & 0xff);
  std::ofstream(path, std::ios::binary) << bytes << header << data;
}

std::string floats(std::initializer_list<float> values, int repeat = 1) {
  std::string s;
  for (int r = 0; r < repeat; ++r)
    for (float v : values) s.append(reinterpret_cast<const char*>(&v), 4);
  return s;
}

struct Case {
  const char* name;
  std::vector<std::string> args;  ///< "{dir}" is replaced by the case's folder
  const char* needle;             ///< a part of the one line on stderr
  const char* env = nullptr;      ///< one more NAME=VALUE for the child's environment
};

class HostileInput : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const std::string d = dir_.path().toStdString();
    // .npy files that lie in every way a header can.
    writeNpy(d + "/q.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 4), }", floats({0.5f}, 32));
    writeNpy(d + "/huge-shape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }",
             floats({1.0f}, 16));
    writeNpy(d + "/overflow.npy",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
             floats({1.0f}, 4));
    writeNpy(d + "/long-header.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", floats({1}, 4), 2,
             4000000000LL);
    writeNpy(d + "/short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 4), }", floats({1}, 31));
    writeNpy(d + "/big-endian.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (8, 4), }", floats({1}, 32));
    writeNpy(d + "/ints.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (8, 4), }", std::string(256, '\0'));
    writeNpy(d + "/fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (8, 4), }", floats({1}, 32));
    writeNpy(d + "/garbage.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 4)", floats({1}, 32));
    writeNpy(d + "/rank1.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (32,), }", floats({1}, 32));
    writeNpy(d + "/huge-values.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 4), }",
             floats({1e30f}, 32));
    std::ofstream(d + "/not-npy.npy") << "just text";
    // Model configs that are broken, contradictory or lie about their size.
    std::ofstream(d + "/not-json.json") << "{\"model_type\": \"llama\", \"num_hidden_layers\": 32,";
    std::ofstream(d + "/no-layers.json") << R"({"model_type": "my_model", "hidden_size": 64})";
    std::ofstream(d + "/odd-window.json") << R"({"model_type": "longformer", "attention_window": 511})";
    std::ofstream(d + "/wrong-length.json")
        << R"({"model_type": "longformer", "num_hidden_layers": 12, "attention_window": [512, 512]})";
    std::ofstream(d + "/layers-huge.json") << R"({"model_type": "llama", "num_hidden_layers": 4000000000})";
    std::ofstream(d + "/deep.json") << std::string(100000, '[') << std::string(100000, ']');
    std::ofstream(d + "/big.json") << "[" << std::string(2 * 1024 * 1024, ' ') << "]";
    std::ofstream(d + "/stack-bad.json") << R"({"n": 64, "layers": [{"pattern": "window", "repeat": 99999}]})";
    ::mkfifo((d + "/fifo.json").c_str(), 0600);
    ::mkfifo((d + "/fifo.npy").c_str(), 0600);
    {
      std::ofstream out(d + "/attn-not-square.npy", std::ios::binary);
      attnscope::writeNpyHeader(out, "<f4", {3, 4});
      out << std::string(48, '\0');
    }
    {
      std::ofstream out(d + "/attn-huge.npy", std::ios::binary);  // claims 300,000² weights, holds none
      attnscope::writeNpyHeader(out, "<f2", {300000, 300000});
    }
    {
      std::ofstream out(d + "/attn.npy", std::ios::binary);
      attnscope::writeNpyHeader(out, "<f4", {4, 4});
      for (int i = 0; i < 16; ++i) out.write("\0\0\x80\x3e", 4);  // 0.25 everywhere
    }
    std::ofstream(d + "/attn.npz") << "PK\x03\x04 not really an archive";
    std::ofstream(d + "/attn-tokens.txt") << "a\nb\nc\n";
    ::mkfifo((d + "/fifo.npy").c_str(), 0600);
    ::mkfifo((d + "/out-fifo.npy").c_str(), 0600);
    // Inputs far larger than any command compares with full attention: 8,388,608 × 64 float32 (2 GiB each, sparse
    // on disk, so the headers are all there is to read before refusing).
    for (const char* name : {"/big-q.npy", "/big-k.npy", "/big-v.npy"}) {
      std::ofstream out(d + name, std::ios::binary);
      attnscope::writeNpyHeader(out, "<f4", {8388608, 64});
      out.close();
      ASSERT_EQ(::truncate((d + name).c_str(), 128 + 8388608ll * 64 * 4), 0);
    }
    {  // 65,536 tokens of dim 1, all NaN: a refusal from the header alone never reads them (reading refuses NaN)
      std::ofstream out(d + "/tall.npy", std::ios::binary);
      attnscope::writeNpyHeader(out, "<f4", {65536, 1});
      out << std::string(65536 * 4, '\xff');
    }
    for (const char* name : {"/mid-q.npy", "/mid-k.npy", "/mid-v.npy"}) {  // n = 8,192: too many to write n² weights
      std::ofstream out(d + name, std::ios::binary);
      attnscope::writeNpyHeader(out, "<f4", {8192, 16});
      out << std::string(8192 * 16 * 4, '\0');
    }
    {
      std::ofstream out(d + "/attn-nan.npy", std::ios::binary);  // a row of NaN, as a float16 overflow leaves
      attnscope::writeNpyHeader(out, "<f4", {4, 4});
      for (int i = 0; i < 16; ++i) out.write(i >= 8 && i < 12 ? "\0\0\xc0\x7f" : "\0\0\x80\x3e", 4);
    }
    {
      // A real archive of one member whose directory claims 65,535 of it.
      std::ifstream in(d + "/attn.npy", std::ios::binary);
      const std::string member((std::istreambuf_iterator<char>(in)), {});
      std::string z;
      auto put = [&](std::uint64_t v, int bytes) {
        for (int b = 0; b < bytes; ++b) z += static_cast<char>((v >> (8 * b)) & 0xff);
      };
      const std::string name = "layer_0.npy";
      put(0x04034b50, 4), put(20, 2), put(0, 2), put(0, 2), put(0, 4), put(0, 4), put(member.size(), 4);
      put(member.size(), 4), put(name.size(), 2), put(0, 2);
      z += name + member;
      const std::size_t directory = z.size();
      put(0x02014b50, 4), put(20, 2), put(20, 2), put(0, 2), put(0, 2), put(0, 4), put(0, 4), put(member.size(), 4);
      put(member.size(), 4), put(name.size(), 2), put(0, 2), put(0, 2), put(0, 2), put(0, 2), put(0, 4), put(0, 4);
      z += name;
      const std::size_t entry = z.size() - directory;
      put(0x06054b50, 4), put(0, 2), put(0, 2), put(65535, 2), put(65535, 2), put(entry, 4), put(directory, 4),
          put(0, 2);
      std::ofstream(d + "/repeated.npz", std::ios::binary) << z;
    }
    std::ofstream(d + "/nul.json") << R"({"model_type": "my\u0000model", "hidden_size": 64})";
    std::ofstream(d + "/stack-dup.json")
        << R"({"n": 64, "layers": [{"pattern": "window", "params": {"radius": 2, "radius": 3}}]})";
    ::mkfifo((d + "/tokens-fifo.txt").c_str(), 0600);
    QDir(dir_.path()).mkdir(QStringLiteral("folder.npy"));
    ::symlink("/dev/null", (d + "/device.npy").c_str());  // a link is written through: here, to a device
  }
  QTemporaryDir dir_;
};

TEST_P(HostileInput, OneLineExitTwoBoundedTimeAndMemory) {
  const Case& c = GetParam();
  const std::string d = dir_.path().toStdString();
  std::vector<std::string> args;
  for (std::string a : c.args) {
    for (std::size_t at; (at = a.find("{dir}")) != std::string::npos;) a.replace(at, 5, d);
    args.push_back(a);
  }
  const QStringList before = QDir(dir_.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System);
  const Child r = spawnCli(args, d, nullptr, c.env);
  EXPECT_EQ(r.signal, 0) << "ended by signal " << r.signal << " after " << r.cpuSeconds << " CPU seconds";
  EXPECT_EQ(r.exitCode, 2) << r.err;
  EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  // Far above a refusal (a few tens of MB, more under the sanitizers), far below the gigabytes of old.
  EXPECT_LT(r.maxRssKb, 400 * 1024) << "peak resident memory " << r.maxRssKb / 1024 << " MB";
  EXPECT_EQ(QDir(dir_.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System), before);
}

// One case a line, as a table reads.
// clang-format off
const Case kCases[] = {
    // Sizes: refused from the parameters, before anything proportional to n.
    {"n_of_a_billion", {"stats", "--pattern", "window", "--n", "1000000000"}, "n = 1000000000 is not allowed: expected an integer 1 … 16777216"},
    {"n_negative", {"stats", "--pattern", "window", "--n", "-5"}, "n = -5 is not allowed"},
    {"n_not_a_number", {"stats", "--pattern", "window", "--n", "1e9"}, "n = 1e9 is not allowed"},
    {"layouts_of_256_heads", {"stats", "--pattern", "deepspeed-fixed", "-p", "block=1024", "-p", "num_heads=256", "-p",
                              "different_layout_per_head=true", "--n", "16777216"}, "the limit here is"},
    {"too_many_cells", {"stats", "--pattern", "window", "-p", "radius=2147483647", "--n", "16777216"}, "active cells; the limit is"},
    {"lsh_chunk_of_everything", {"stats", "--pattern", "lsh", "-p", "chunk=100000", "--n", "1000000"}, "the limit here is"},
    {"tiny_blocks_at_huge_n", {"stats", "--pattern", "hf-bigbird", "-p", "block_size=1", "--n", "16777216"}, "random draws, over the limit"},
    {"run_full_at_a_million", {"run", "--pattern", "window", "--n", "1000000"}, "n = 1000000 is not allowed: expected an integer 1 … 262144"},
    {"run_huge_heads", {"run", "--pattern", "window", "--n", "1024", "--heads", "100000"}, "heads = 100000 is not allowed"},
    {"run_huge_dim", {"run", "--pattern", "window", "--n", "1024", "--dim", "99999999"}, "dim = 99999999 is not allowed"},
    {"bench_huge_n", {"bench", "--max-n", "1048576"}, "max-n = 1048576 is not allowed"},
    {"path_past_the_end", {"path", "--pattern", "window", "--n", "16", "--from", "3", "--to", "1000000000"}, "is not allowed"},
    {"png_too_large", {"mask", "--pattern", "window", "--n", "100000", "--out", "{dir}/m.png"}, "the limit is 32768"},
    // Options.
    {"repeated_n", {"stats", "--pattern", "window", "--n", "16", "--n", "32"}, "option --n is given more than once"},
    {"repeated_param", {"stats", "--pattern", "window", "-p", "radius=2", "-p", "radius=3", "--n", "16"}, "radius is given more than once"},
    {"unknown_pattern", {"stats", "--pattern", "window+nothing", "--n", "16"}, "pattern 'nothing' is unknown"},
    {"param_overflow", {"stats", "--pattern", "window", "-p", "radius=99999999999999999999999", "--n", "16"}, "parameter 'radius'"},
    {"list_garbage", {"stats", "--pattern", "global", "-p", "tokens=1,,x", "--n", "16"}, "parameter 'tokens'"},
    // Input files.
    {"npy_huge_shape", {"run", "--pattern", "window", "--q", "{dir}/huge-shape.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "the data is shorter than its shape says"},
    {"npy_shape_overflow", {"run", "--pattern", "window", "--q", "{dir}/overflow.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "more elements than any file could hold"},
    {"npy_long_header", {"run", "--pattern", "window", "--q", "{dir}/long-header.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "the header is cut short"},
    {"npy_short_data", {"run", "--pattern", "window", "--q", "{dir}/short.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "the data is shorter than its shape says"},
    {"npy_big_endian", {"run", "--pattern", "window", "--q", "{dir}/big-endian.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "is big-endian"},
    {"npy_integers", {"run", "--pattern", "window", "--q", "{dir}/ints.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "dtype <i8 is not supported"},
    {"npy_fortran", {"run", "--pattern", "window", "--q", "{dir}/fortran.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "Fortran-order"},
    {"npy_garbage_header", {"run", "--pattern", "window", "--q", "{dir}/garbage.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "not a dictionary NumPy wrote"},
    {"npy_rank_one", {"run", "--pattern", "window", "--q", "{dir}/rank1.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "expected shape [n, dim] or [heads, n, dim]"},
    {"npy_not_npy", {"run", "--pattern", "window", "--q", "{dir}/not-npy.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "not a NumPy .npy file"},
    {"npy_fifo", {"run", "--pattern", "window", "--q", "{dir}/fifo.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "it is not a regular file (a FIFO)"},
    {"npy_folder", {"run", "--pattern", "window", "--q", "{dir}/folder.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy"}, "it is not a regular file (a folder)"},
    {"npy_huge_values", {"run", "--pattern", "window", "--q", "{dir}/huge-values.npy", "--k", "{dir}/huge-values.npy", "--v", "{dir}/q.npy"}, "beyond what single precision holds safely"},
    {"inputs_unused", {"stats", "--pattern", "window", "--q", "{dir}/not-npy.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy", "--n", "16"}, "pattern 'window' is not built from attention inputs"},
    {"run_inputs_of_8m_tokens", {"run", "--pattern", "window", "--q", "{dir}/big-q.npy", "--k", "{dir}/big-k.npy", "--v", "{dir}/big-v.npy"}, "n = 8388608 is not allowed for a comparison with full attention"},
    {"topk_work_from_the_headers", {"stats", "--pattern", "topk", "--q", "{dir}/tall.npy", "--k", "{dir}/tall.npy", "--v", "{dir}/tall.npy"}, "n = 65536 is not allowed for topk: scoring every query against every key would make 4,294,967,296 vector comparisons"},
    {"lsh_n_against_the_headers", {"stats", "--pattern", "lsh", "--n", "16", "--q", "{dir}/tall.npy", "--k", "{dir}/tall.npy", "--v", "{dir}/tall.npy"}, "n = 16 is not allowed: the input files have 65536 tokens (leave --n out)"},
    {"inputs_and_dim", {"run", "--pattern", "window", "--q", "{dir}/q.npy", "--k", "{dir}/q.npy", "--v", "{dir}/q.npy", "--dim", "4"}, "--dim is not allowed with --q/--k/--v"},
    {"param_with_newline", {"stats", "--pattern", "window", "-p", "radius=2\n3", "--n", "16"}, "parameter 'radius' = 2\\n3 is not allowed"},
    {"param_of_100k", {"stats", "--pattern", "window", "-p", "radius=" + std::string(100000, '7'), "--n", "16"}, "… (100,000 bytes in all) is not allowed"},
    {"pattern_of_100k", {"stats", "--pattern", std::string(100000, 'w'), "--n", "16"}, "… (100,000 bytes in all)' is unknown"},
    // Model configs and stacks.
    {"config_not_json", {"model", "--config", "{dir}/not-json.json", "--n", "64"}, "is not valid JSON"},
    {"config_no_layers", {"model", "--config", "{dir}/no-layers.json", "--n", "64"}, "no layer count"},
    {"config_odd_window", {"model", "--config", "{dir}/odd-window.json", "--n", "64"}, "is odd"},
    {"config_wrong_length", {"model", "--config", "{dir}/wrong-length.json", "--n", "64"}, "has 2 entries but num_hidden_layers = 12"},
    {"config_layers_huge", {"model", "--config", "{dir}/layers-huge.json", "--n", "64"}, "'num_hidden_layers' must be an integer 1 … 1,024"},
    {"config_deep", {"model", "--config", "{dir}/deep.json", "--n", "64"}, "levels deep"},
    {"config_big", {"model", "--config", "{dir}/big.json", "--n", "64"}, "more than the 1.0 MB"},
    {"config_fifo", {"model", "--config", "{dir}/fifo.json", "--n", "64"}, "it is not a regular file (a FIFO)"},
    {"config_missing", {"model", "--config", "{dir}/nothing.json", "--n", "64"}, "no such file"},
    {"attention_not_square", {"attention", "{dir}/attn-not-square.npy"}, "square in the last two dimensions"},
    {"attention_truncated", {"attention", "{dir}/attn-huge.npy"}, "cannot read"},
    {"attention_not_zip", {"attention", "{dir}/attn.npz"}, "not a ZIP file"},
    {"attention_fifo", {"attention", "{dir}/fifo.npy"}, "it is not a regular file (a FIFO)"},
    {"attention_folder", {"attention", "{dir}"}, "it is not a regular file (a folder)"},
    {"attention_tokens", {"attention", "{dir}/attn.npy", "--tokens", "{dir}/attn-tokens.txt"}, "has 3 tokens: expected exactly n = 4"},
    {"attention_keep", {"attention", "{dir}/attn.npy", "--fit", "--keep", "2"}, "expected a share 0 < keep ≤ 1"},
    {"attention_keep_alone", {"attention", "{dir}/attn.npy", "--keep", "0.5"}, "--keep needs --fit"},
    {"attention_layer", {"attention", "{dir}/attn.npy", "--layer", "3"}, "expected an integer 0 … 0"},
    {"attention_stack_depth", {"attention", "{dir}/attn.npy", "--layers", "full ×2"}, "the stack has 2 layers but the weights have 1"},
    {"attention_stack_and_pattern", {"attention", "{dir}/attn.npy", "--layers", "full", "--pattern", "full"}, "give either --pattern or a stack"},
    {"attention_stack_config", {"attention", "{dir}/attn.npy", "--config", "{dir}/odd-window.json"}, "attention_window"},
    {"attention_pattern_n", {"attention", "{dir}/attn.npy", "--pattern", "window", "-p", "radius=9999999999"}, "radius"},
    {"config_n_of_a_billion", {"model", "--config", "{dir}/odd-window.json", "--n", "1000000000"}, "n = 1000000000 is not allowed"},
    {"config_nul", {"model", "--config", "{dir}/nul.json", "--n", "64"}, "model_type 'my\\0model' has no default"},
    {"stack_file_duplicate_key", {"model", "--stack", "{dir}/stack-dup.json"}, "parameter 'radius' is given twice (radius=2 and radius=3)"},
    {"stack_typed_duplicate_key", {"model", "--layers", "window radius=2 radius=3", "--n", "64"}, "parameter 'radius' is given twice"},
    {"stack_of_256_distinct_layers", {"model", "--layers", [] {
       std::string layers;
       for (int r = 1; r <= 256; ++r) layers += (r > 1 ? ", window radius=" : "window radius=") + std::to_string(r);
       return layers;
     }(), "--n", "16777216"}, "making the stack's 256 distinct layers at n = 16,777,216 needs about", "ATTNSCOPE_MEMORY_LIMIT=2G"},
    {"model_mode_without_config", {"model", "--layers", "full", "--mode", "eval", "--n", "8"}, "--global and --mode go with --config"},
    {"model_bad_mode", {"model", "--config", "{dir}/odd-window.json", "--mode", "fast", "--n", "64"}, "--mode fast is not allowed: expected train or eval"},
    {"stats_reach_both_ways", {"stats", "--pattern", "window", "--n", "16", "--reach", "--no-reach"}, "--reach and --no-reach are not allowed together"},
    {"stack_repeat_huge", {"model", "--stack", "{dir}/stack-bad.json"}, "repeat must be an integer 1 … 1024"},
    {"layers_bad_form", {"model", "--layers", "window radius", "--n", "64"}, "neither KEY=VALUE nor a repeat"},
    {"layers_dense_at_16m", {"model", "--layers", "random per_row=1000 ×2", "--n", "16777216"}, "runs of keys"},
    {"model_precision", {"model", "--layers", "full", "--n", "64", "--precision", "fp8"}, "precision 'fp8' is not allowed"},
    {"model_two_sources", {"model", "--layers", "full", "--config", "{dir}/odd-window.json", "--n", "64"}, "exactly one of"},
    {"attention_nan_fit", {"attention", "{dir}/attn-nan.npy", "--fit"}, "holds NaN or infinite weights at layer 0, head 0, query 2"},
    {"attention_nan_rollout", {"attention", "{dir}/attn-nan.npy", "--rollout-out", "{dir}/ro.npy"}, "holds NaN or infinite weights"},
    {"attention_npz_repeated_member", {"attention", "{dir}/repeated.npz"}, "its directory claims 65535 members but has room for 1"},
    {"attention_tokens_folder", {"attention", "{dir}/attn.npy", "--tokens", "{dir}/folder.npy"}, "it is not a regular file (a folder)"},
    {"attention_tokens_fifo", {"attention", "{dir}/attn.npy", "--tokens", "{dir}/tokens-fifo.txt"}, "it is not a regular file (a FIFO)"},
    {"attention_tokens_dev_zero", {"attention", "{dir}/attn.npy", "--tokens", "/dev/zero"}, "it is not a regular file (a device or socket)"},
    {"attention_output_is_its_input", {"attention", "{dir}/attn.npy", "--rollout-out", "{dir}/attn.npy"}, "it is one of the files this run reads"},
    // Approximations.
    {"approx_n_of_a_billion", {"approx", "--method", "linear", "--n", "1000000000"}, "n = 1000000000 is not allowed"},
    {"approx_features_memory", {"approx", "--method", "performer", "-p", "nb_features=65536", "--n", "262144",
                                "--dim", "4096"}, "the limit here is"},
    {"approx_inputs_of_8m_tokens", {"approx", "--method", "linear", "-q", "{dir}/big-q.npy", "-k", "{dir}/big-k.npy", "-v", "{dir}/big-v.npy"}, "n = 8388608 is not allowed"},
    {"approx_weights_out_from_headers", {"approx", "--method", "linear", "-q", "{dir}/mid-q.npy", "-k", "{dir}/mid-k.npy", "-v", "{dir}/mid-v.npy", "--weights-out", "{dir}/w.npy"}, "too large to write the weights"},
    {"approx_n_and_files", {"approx", "--method", "linear", "-q", "{dir}/q.npy", "-k", "{dir}/q.npy", "-v", "{dir}/q.npy", "--n", "64"}, "--n is not allowed with --q/--k/--v"},
    {"approx_dim_and_files", {"approx", "--method", "linear", "-q", "{dir}/q.npy", "-k", "{dir}/q.npy", "-v", "{dir}/q.npy", "--dim", "8"}, "--dim is not allowed with --q/--k/--v"},
    {"approx_scale_and_text", {"approx", "--method", "linear", "--text", "the cat sat", "--scale", "3"}, "--scale is not allowed with --text"},
    {"approx_unknown_param", {"approx", "--method", "linear", "-p", "k=3", "--n", "64"}, "parameter 'k' is unknown for method 'linear'"},
    {"topk_huge_k", {"stats", "--pattern", "topk", "-p", "k=1000000", "--n", "1000000"}, "vector comparisons, over the limit"},
    {"routing_huge_kmeans", {"stats", "--pattern", "routing", "--n", "1000000"}, "choose a larger window, fewer clusters"},
    {"strided_dense", {"stats", "--pattern", "strided", "-p", "stride=1", "-p", "causal=false", "--n", "50000"}, "the mask would have 2,500,000,000 active cells"},
    {"bigbird_draws", {"stats", "--pattern", "hf-bigbird", "-p", "num_heads=256", "-p", "block_size=1", "--n", "16384"}, "random draws, over the limit of 1,000,000,000"},
    {"topk_all_pairs", {"stats", "--pattern", "topk", "--n", "65536"}, "vector comparisons, over the limit"},
    {"topk_in_a_stack", {"model", "--layers", "topk", "-n", "1048576"}, "vector comparisons, over the limit"},
    {"routing_too_many_clusters", {"stats", "--pattern", "routing", "-p", "clusters=300", "-p", "shared_qk=true", "--n", "100"}, "at most the 100 vectors clustered"},
    // Outputs that are not files.
    {"out_fifo", {"mask", "--pattern", "window", "--n", "16", "--out", "{dir}/out-fifo.npy"}, "it is a FIFO, not a regular file"},
    {"out_folder", {"mask", "--pattern", "window", "--n", "16", "--out", "{dir}/folder.npy"}, "it is a folder, not a regular file"},
    {"out_device", {"mask", "--pattern", "window", "--n", "16", "--out", "{dir}/device.npy"}, "it is a device or socket"},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Cli, HostileInput, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(HostileOutput, ALinkIsWrittenThroughAndStaysALink) {
  QTemporaryDir dir;
  const std::string d = dir.path().toStdString();
  ASSERT_EQ(::mkdir((d + "/figures").c_str(), 0700), 0);
  ASSERT_EQ(::symlink("figures/mask.npy", (d + "/link.npy").c_str()), 0);  // dangling: the file is created
  const Child r = spawnCli({"mask", "--pattern", "window", "--n", "16", "--out", d + "/link.npy"}, d);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::lstat((d + "/link.npy").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(::stat((d + "/figures/mask.npy").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 128 + 16 * 16);
}

TEST(HostileOutput, AnInterruptedWriteLeavesNoPartFile) {
  // A dense mask of about 900 MB is being written when SIGINT (then, for a second run, SIGTERM) arrives.
  for (int sig : {SIGINT, SIGTERM}) {
    QTemporaryDir dir;
    const std::string d = dir.path().toStdString();
    const Child r =
        spawnCli({"mask", "--pattern", "window", "--n", "30000", "--out", d + "/big.npy"}, d, [&](pid_t pid) {
          // Wait until the temporary exists, then interrupt.
          for (int i = 0; i < 400; ++i) {
            if (!QDir(dir.path()).entryList({QStringLiteral("*.part-*")}, QDir::Files).isEmpty()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
          }
          ::kill(pid, sig);
        });
    EXPECT_EQ(r.signal, sig) << "exit " << r.exitCode << ": " << r.err;
    EXPECT_TRUE(QDir(dir.path()).entryList({QStringLiteral("*.part-*")}, QDir::Files).isEmpty());
    EXPECT_FALSE(QFile::exists(dir.filePath(QStringLiteral("big.npy"))));
  }
}

}  // namespace
