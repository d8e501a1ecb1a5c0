#include "app/main_window.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QSpinBox>

#include "engine/pattern_registry.h"
#include "widgets/stats_text.h"

namespace attnscope {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(QStringLiteral("AttnScope"));
  auto* central = new QWidget(this);
  auto* form = new QFormLayout(central);
  family_ = new QComboBox(central);
  for (const PatternFamily* f : patternFamilies()) family_->addItem(QString::fromStdString(f->name()));
  n_ = new QSpinBox(central);
  n_->setRange(1, 65536);
  n_->setValue(64);
  summary_ = new QLabel(central);
  summary_->setWordWrap(true);
  form->addRow(QStringLiteral("Pattern"), family_);
  form->addRow(QStringLiteral("n"), n_);
  form->addRow(QStringLiteral("Active cells"), summary_);
  setCentralWidget(central);
  connect(family_, &QComboBox::currentIndexChanged, this, &MainWindow::refresh);
  connect(n_, &QSpinBox::valueChanged, this, &MainWindow::refresh);
  refresh();
}

void MainWindow::refresh() {
  try {
    const PatternSpec spec = PatternSpec::parse(family_->currentText().toStdString());
    summary_->setText(cellsSummary(computeStats(spec.build({}, n_->value()))));
  } catch (const Error& e) {
    summary_->setText(QString::fromStdString(e.what()));
  }
}

}  // namespace attnscope
