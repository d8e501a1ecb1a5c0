#pragma once
// Everything the Model tab and `attnscope-cli model` say about a stack, computed in one call: the layers made, the
// reach through them, and what each costs.

#include <optional>

#include "engine/models/model_cost.h"
#include "engine/models/stack_reach.h"

namespace attnscope {

struct ModelOptions {
  Precision precision = Precision::Bf16;
  bool reach = true;
  StackReachOptions reachOptions;
};

struct ModelReport {
  LayerStack stack;
  std::vector<MadeLayer> layers;
  StackGraph graph;  ///< empty when reach was not asked for
  std::optional<StackReach> reach;
  ModelCost cost;
};

/// Throws Error (bad layers, memory) or Cancelled. Progress: making the layers, their runs, reach, cost.
ModelReport analyzeModel(LayerStack stack, const ModelOptions& options, const Progress& progress = {});

}  // namespace attnscope
