#pragma once
// A fixture for tests/layers: a utility that reaches up into the weights layer, which the check must refuse.
#include "engine/weights/attention_dump.h"
