#pragma once
// A fixture for tests/layers: the pattern's widgets reaching into one of the views above them, which the check
// must refuse.
#include "widgets/run/run_panel.h"
