#pragma once
// What the Real attention tab's measuring pages (What it costs, Compress) are built from alike: a named button, the
// small progress bar, the three lines under the controls, and their TaskRunner shown on them.

#include <QString>

#include <functional>

class QLabel;
class QProgressBar;
class QPushButton;
class QVBoxLayout;
class QWidget;

namespace attnscope {

class TaskRunner;

QPushButton* pageButton(QWidget* page, const QString& label, const char* name, const QString& tip);
/// A thin bar without text, hidden until a run starts.
QProgressBar* pageProgress(QWidget* page);

/// The lines under a page's controls, added to `layout`: a bold summary (selectable), a grey note, and a red message
/// hidden while empty. Named `<prefix>Summary`, `<prefix>Note`, `<prefix>Message`.
struct PageLines {
  QLabel* summary = nullptr;
  QLabel* note = nullptr;
  QLabel* message = nullptr;
  void showMessage(const QString& text) const;
  QString messageText() const;  ///< "" while hidden
};
PageLines addPageLines(QWidget* page, QVBoxLayout* layout, const QString& prefix);

/// Shows `runner` on the page: a start enables `cancel`, clears the message and shows `progress` at 0; progress
/// fills it; every ending disables `cancel`, hides `progress` and calls `ended` — after showing a failure's message,
/// or after `cancelled` (may be empty) for a cancel.
void showRunnerOn(TaskRunner* runner, QWidget* page, QPushButton* cancel, QProgressBar* progress,
                  const PageLines& lines, std::function<void()> ended, std::function<void()> cancelled = {});

}  // namespace attnscope
