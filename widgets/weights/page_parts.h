#pragma once
// What the Real attention tab's measuring pages (What it costs, Compress) are built from alike: a named button, the
// small progress bar, the three lines under the controls, and their TaskRunner shown on them.

#include <QString>
#include <QWidget>

#include <functional>

class QLabel;
class QPainter;
class QPixmap;
class QProgressBar;
class QPushButton;
class QVBoxLayout;

namespace attnscope {

class TaskRunner;

/// A picture painted by one function, on screen and into an export alike (the Compress page's head map, the Distil
/// page's similarity matrix).
class PaintedPicture : public QWidget {
 public:
  using QWidget::QWidget;
  /// The picture drawn at the given size on white.
  QPixmap picture(int width, int height) const;

 protected:
  void paintEvent(QPaintEvent* event) override;
  virtual void draw(QPainter& p, QSizeF size) const = 0;
};

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

/// Writes `picture` to `path` as a PNG, all or nothing. Throws Error when it cannot be encoded or written.
void writePng(const QString& path, const QPixmap& picture);

/// Shows `runner` on the page: a start enables `cancel`, clears the message and shows `progress` at 0; progress
/// fills it; every ending disables `cancel`, hides `progress` and calls `ended` — after showing a failure's message,
/// or after `cancelled` (may be empty) for a cancel.
void showRunnerOn(TaskRunner* runner, QWidget* page, QPushButton* cancel, QProgressBar* progress,
                  const PageLines& lines, std::function<void()> ended, std::function<void()> cancelled = {});

}  // namespace attnscope
