#include "engine/models/model_report.h"

namespace attnscope {

ModelReport analyzeModel(LayerStack stack, const ModelOptions& options, const Progress& progress) {
  ModelReport r;
  r.layers = makeLayers(stack, progress.part(0.0, 0.05));
  // The runs first: they refuse a layer too dense to hold before the cost pass walks all of its cells.
  if (options.reach) r.graph = stackGraph(r.layers, progress.part(0.05, 0.25));
  r.cost = modelCost(stack, r.layers, options.precision, progress.part(0.25, 0.45));
  if (options.reach) r.reach = analyzeStack(r.graph, options.reachOptions, progress.part(0.45, 1.0));
  r.stack = std::move(stack);
  progress.report(1.0);
  return r;
}

}  // namespace attnscope
