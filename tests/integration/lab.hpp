#pragma once

// A root and a controller (`weftd --root`, `weftd --controller`) on loopback
// in a scratch directory, the controller driven by the `weft` CLI over its
// admin API: what the multi-process tests of members and examples start from.

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "integration/child_process.hpp"

namespace weft::integration {

class Lab {
 public:
  // The paths of weftd and of the weft CLI.
  Lab(std::string weftd, std::string cli) : cli_(std::move(cli)) {
    char tmpl[] = "/tmp/weft-lab-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    root_ = ChildProcess::spawn({weftd, "--root", "--state", dir_ + "/root", "--listen", "127.0.0.1:0"},
                                ChildProcess::Ending::terminate);
    if (!root_) return;
    const auto r = words(root_->expect_line("root "));
    if (r.size() != 2) return;
    root_line_ = r[1];
    controller_ = ChildProcess::spawn({weftd, "--controller", "--state", dir_ + "/controller", "--listen",
                                       "127.0.0.1:0", "--use-root", root_line_, "--admin-port", "0"},
                                      ChildProcess::Ending::terminate);
    if (!controller_) return;
    const auto port = words(controller_->expect_line("admin-port "));
    if (port.size() != 2) return;
    api_ = "http://127.0.0.1:" + port[1];
  }
  ~Lab() {
    controller_.reset();
    root_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  // Both are up and said where they listen.
  [[nodiscard]] bool ready() const { return !api_.empty(); }
  // A scratch directory for the test's own state; removed with the lab.
  [[nodiscard]] const std::string& dir() const { return dir_; }
  // "<root identity>@<endpoint>", as nodes take it.
  [[nodiscard]] const std::string& root_line() const { return root_line_; }

  // The weft CLI against the controller: its first line of output.
  std::string cli(std::vector<std::string> args) const {
    std::vector<std::string> argv{cli_};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--api", api_, "--token-file", dir_ + "/controller/admin.token"});
    auto p = ChildProcess::spawn(argv);
    return p ? p->read_line() : "";
  }

 private:
  std::string cli_;
  std::string dir_;
  std::unique_ptr<ChildProcess> root_;
  std::unique_ptr<ChildProcess> controller_;
  std::string root_line_;
  std::string api_;
};

}  // namespace weft::integration
