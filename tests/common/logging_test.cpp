// Whether a daemon logs to the journal: only when stderr is the stream
// systemd named in JOURNAL_STREAM (device:inode), never on a name alone.
#include "common/logging.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace lbha {
namespace {

TEST(logging, stderr_is_the_journal_only_when_journal_stream_names_its_device_and_inode) {
  struct stat st {};
  ASSERT_EQ(::fstat(STDERR_FILENO, &st), 0);
  const auto dev = std::to_string(st.st_dev), ino = std::to_string(st.st_ino);
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal()) << "started by hand, or by a test";
  ::setenv("JOURNAL_STREAM", (dev + ":" + ino).c_str(), 1);
  EXPECT_TRUE(stderr_is_journal());
  ::setenv("JOURNAL_STREAM", (dev + ":" + std::to_string(st.st_ino + 1)).c_str(), 1);
  EXPECT_FALSE(stderr_is_journal()) << "inherited by a process whose stderr was redirected";
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(stderr_is_journal());
  ::unsetenv("JOURNAL_STREAM");
}

}  // namespace
}  // namespace lbha
