#pragma once
// The compiled-in resources (presets, explanations, icon) of resources/attnscope.qrc.

namespace attnscope {

/// Registers the resources; safe to call more than once. Everything that reads ":/..." calls it first.
void initResources();

}  // namespace attnscope
