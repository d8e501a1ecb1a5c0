#pragma once
// Distillation's view (issue 25): a teacher and a student that share a tokenizer run on the same text, and their
// heads compared as Clark et al. (2019) compare heads — by the Jensen–Shannon divergence of their attention rows,
// averaged over the text's positions:
// - the teacher × student head similarity matrix;
// - the best one-to-one matching of heads (the Hungarian assignment on that matrix, least total divergence);
// - the layer mapping that fits best: student layer s taken from teacher layer t, in order (t rising with s, as
//   DistilBERT's initialisation takes every other layer), each pair of layers scored by the mean divergence of its
//   own best head matching; beside it the cost of DistilBERT's own mapping;
// - MiniLM's figure (Wang et al. 2020): KL(teacher ‖ student) between the last layers' attention, head by head,
//   averaged over positions, when the two have as many heads.

#include <optional>
#include <vector>

#include "engine/runtime/language_model.h"

namespace attnscope {

/// The assignment of each row to a distinct column (rows ≤ columns) with the least total cost: assignment[r] is
/// row r's column. Hungarian algorithm (potentials, O(rows² · columns)). Throws Error when rows > columns or a cost
/// is not finite.
std::vector<int> hungarian(const std::vector<std::vector<double>>& cost);

/// The mean over query rows of JS(p ‖ q) between two heads' attention (n × n each), in nats (0 … ln 2).
double headDivergence(const Matrix& p, const Matrix& q);
/// The mean over query rows of KL(p ‖ q), in nats; q's zeros where p is not zero count as 1e-12.
double headKl(const Matrix& p, const Matrix& q);

struct HeadMatch {
  int teacherLayer = 0, teacherHead = 0, studentLayer = 0, studentHead = 0;
  double divergence = 0;
};

struct DistilComparison {
  int teacherLayers = 0, teacherHeads = 0, studentLayers = 0, studentHeads = 0;
  /// [teacher layer · heads + head][student layer · heads + head]: JS divergence, nats.
  std::vector<std::vector<double>> similarity;
  /// Each student head's teacher head (all of them when the student has fewer heads in all; else each teacher
  /// head's student head), by the Hungarian assignment; ordered by the student's layer and head.
  std::vector<HeadMatch> matching;
  double matchingMean = 0;
  /// [student layer][teacher layer]: the mean divergence of the best head matching between the two layers.
  std::vector<std::vector<double>> layerCost;
  std::vector<int> layerMapping;  ///< student layer s ← teacher layer layerMapping[s], rising, least total cost
  double layerMappingMean = 0;
  /// DistilBERT's initialisation: s ← round(s · (L_t − 1) / (L_s − 1)), the first and last layers and evenly between
  /// (12 → 6: 0, 2, 4, 7, 9, 11, as extract_distilbert.py copies them).
  std::vector<int> evenMapping;
  double evenMappingMean = 0;
  /// MiniLM: KL(teacher's last layer ‖ student's last layer) head by head (empty when the head counts differ).
  std::vector<double> miniLmKl;
};

/// Compares two passes over the same tokens. Throws Error when their lengths differ.
DistilComparison compareHeads(const ModelPass& teacher, const ModelPass& student);

}  // namespace attnscope
