#pragma once
// The main window. For now a pattern picker and its counts; the heatmap arrives with the desktop app issue.

#include <QMainWindow>

class QComboBox;
class QLabel;
class QSpinBox;

namespace attnscope {

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);

 private:
  void refresh();

  QComboBox* family_ = nullptr;
  QSpinBox* n_ = nullptr;
  QLabel* summary_ = nullptr;
};

}  // namespace attnscope
