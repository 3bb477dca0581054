// SPDX-License-Identifier: Apache-2.0
// The bash completion script from `complyd completion bash`, sourced in a
// real bash: COMPREPLY for a few typed lines, and every subcommand that
// `complyd --help` lists. Names come from the binary's help, not from a list
// here, so other commands added later are covered as well.
#include <gtest/gtest.h>

#include <set>

#include "harness.hpp"

namespace complyd::itest {
namespace {

// The script, written once per test into the test's directory.
fs::path completion_script(const TempDir& dir) {
  auto r = run(dir, {"completion", "bash"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto path = dir / "complyd.bash";
  write_file(path, r.out);
  return path;
}

// COMPREPLY after typing `words` (the last one is the word being completed, "" after a space).
std::set<std::string> completion_reply(const TempDir& dir, const std::vector<std::string>& words) {
  std::string array;
  for (const auto& w : words) array += " " + quote(w);
  const std::string script = "source " + quote(completion_script(dir).string()) + "; COMP_WORDS=(" + array +
                             "); COMP_CWORD=" + std::to_string(words.size() - 1) +
                             "; _complyd; printf '%s\\n' \"${COMPREPLY[@]}\"";
  const auto out = dir / ".completion";
  const int status = std::system(("bash --norc --noprofile -c " + quote(script) + " >" + quote(out.string()) +
                                  " 2>&1 </dev/null").c_str());
  EXPECT_EQ(status, 0) << read_file(out);
  std::set<std::string> reply;
  std::istringstream lines(read_file(out));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) reply.insert(line);
  }
  return reply;
}

// The names under "Subcommands:" in a CLI11 help text.
std::set<std::string> help_subcommands(const std::string& help) {
  std::set<std::string> names;
  std::istringstream lines(help);
  bool in = false;
  for (std::string line; std::getline(lines, line);) {
    if (line == "Subcommands:") {
      in = true;
    } else if (in && line.starts_with("  ")) {
      names.insert(line.substr(2, line.find(' ', 2) - 2));
    } else if (in && !line.empty()) {
      in = false;
    }
  }
  return names;
}

TEST(BashCompletion, CompletesACommandFromItsPrefix) {
  TempDir d;
  EXPECT_EQ(completion_reply(d, {"complyd", "fin"}), std::set<std::string>{"findings"});
}

TEST(BashCompletion, OffersEverySubcommandThatHelpLists) {
  TempDir d;
  const auto top = help_subcommands(run(d, {"--help"}).out);
  ASSERT_TRUE(top.contains("findings") && top.contains("audit")) << run(d, {"--help"}).out;
  EXPECT_EQ(completion_reply(d, {"complyd", ""}), top);

  const auto findings = help_subcommands(run(d, {"findings", "--help"}).out);
  ASSERT_TRUE(findings.contains("list") && findings.contains("mute"));
  EXPECT_EQ(completion_reply(d, {"complyd", "findings", ""}), findings);
  // Every second-level group too, e.g. `complyd notify <TAB>`.
  for (const auto& cmd : top) {
    EXPECT_EQ(completion_reply(d, {"complyd", cmd, ""}), help_subcommands(run(d, {cmd, "--help"}).out)) << cmd;
  }
}

TEST(BashCompletion, CompletesOptionsAndTheirChoices) {
  TempDir d;
  EXPECT_EQ(completion_reply(d, {"complyd", "findings", "list", "--statu"}), std::set<std::string>{"--status"});
  EXPECT_EQ(completion_reply(d, {"complyd", "findings", "list", "--st"}), (std::set<std::string>{"--state", "--status"}));
  const std::set<std::string> statuses{"open", "resolved", "muted", "all"};
  EXPECT_EQ(completion_reply(d, {"complyd", "findings", "list", "--status", ""}), statuses);
  EXPECT_EQ(completion_reply(d, {"complyd", "findings", "list", "--status", "re"}), std::set<std::string>{"resolved"});
  // A value is not a subcommand: after `--config findings` the path is still `complyd findings`.
  EXPECT_EQ(completion_reply(d, {"complyd", "findings", "list", "--config", "findings", "--status", ""}), statuses);
  // Options of the path typed so far, not of its siblings.
  const auto options = completion_reply(d, {"complyd", "findings", "list", "--"});
  EXPECT_TRUE(options.contains("--config") && options.contains("--help") && options.contains("--format"));
  EXPECT_FALSE(options.contains("--reason"));
}

}  // namespace
}  // namespace complyd::itest
