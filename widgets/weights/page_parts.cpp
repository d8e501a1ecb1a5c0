#include "widgets/weights/page_parts.h"

#include <QBuffer>
#include <QLabel>
#include <QPainter>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

#include "engine/io/atomic_file.h"
#include "engine/util/error.h"
#include "widgets/shared/task_runner.h"

namespace attnscope {

QPixmap PaintedPicture::picture(int width, int height) const {
  QPixmap pixmap(width, height);
  pixmap.fill(Qt::white);
  QPainter p(&pixmap);
  draw(p, QSizeF(width, height));
  return pixmap;
}

void PaintedPicture::paintEvent(QPaintEvent*) {
  QPainter p(this);
  draw(p, size());
}

QPushButton* pageButton(QWidget* page, const QString& label, const char* name, const QString& tip) {
  auto* b = new QPushButton(label, page);
  b->setObjectName(QString::fromLatin1(name));
  b->setToolTip(tip);
  return b;
}

QProgressBar* pageProgress(QWidget* page) {
  auto* p = new QProgressBar(page);
  p->setRange(0, 1000);
  p->setTextVisible(false);
  p->setMaximumWidth(160);
  p->hide();
  return p;
}

void PageLines::showMessage(const QString& text) const {
  message->setText(text);
  message->setVisible(!text.isEmpty());
}

QString PageLines::messageText() const { return message->isHidden() ? QString() : message->text(); }

PageLines addPageLines(QWidget* page, QVBoxLayout* layout, const QString& prefix) {
  PageLines l;
  l.summary = new QLabel(page);
  l.summary->setObjectName(prefix + QStringLiteral("Summary"));
  l.summary->setWordWrap(true);
  l.summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
  QFont bold = l.summary->font();
  bold.setBold(true);
  l.summary->setFont(bold);
  l.note = new QLabel(page);
  l.note->setObjectName(prefix + QStringLiteral("Note"));
  l.note->setWordWrap(true);
  l.note->setStyleSheet(QStringLiteral("color: #555555"));
  l.message = new QLabel(page);
  l.message->setObjectName(prefix + QStringLiteral("Message"));
  l.message->setWordWrap(true);
  l.message->setStyleSheet(QStringLiteral("color: #b00020"));
  l.message->hide();
  layout->addWidget(l.summary);
  layout->addWidget(l.note);
  layout->addWidget(l.message);
  return l;
}

void writePng(const QString& path, const QPixmap& picture) {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  if (!picture.save(&buffer, "PNG")) throw Error("the picture could not be drawn as a PNG");
  writeFileAtomically(path.toStdString(), std::string_view(bytes.constData(), std::size_t(bytes.size())));
}

void showRunnerOn(TaskRunner* runner, QWidget* page, QPushButton* cancel, QProgressBar* progress,
                  const PageLines& lines, std::function<void()> ended, std::function<void()> cancelled) {
  QObject::connect(runner, &TaskRunner::started, page, [=] {
    cancel->setEnabled(true);
    progress->setValue(0);
    progress->show();
    lines.showMessage({});
  });
  QObject::connect(runner, &TaskRunner::progress, page,
                   [progress](double f) { progress->setValue(int(std::lround(f * 1000))); });
  auto over = [cancel, progress, ended] {
    cancel->setEnabled(false);
    progress->hide();
    if (ended) ended();
  };
  QObject::connect(runner, &TaskRunner::finished, page, over);
  QObject::connect(runner, &TaskRunner::cancelled, page, [over, cancelled] {
    over();
    if (cancelled) cancelled();
  });
  QObject::connect(runner, &TaskRunner::failed, page, [over, lines](const QString& m) {
    lines.showMessage(m);
    over();
  });
}

}  // namespace attnscope
