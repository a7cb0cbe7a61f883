#include "cli/identity_commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/exit_code.hpp"
#include "crypto/identity.hpp"
#include "osdep/files.hpp"

namespace weft::cli {

namespace {

std::string file_error(const std::string& path, Error e) {
  switch (e) {
    case Error::insecure_permissions:
      return fmt::format(
          "{} holds a secret key but group or others may read it; "
          "run `chmod 600 {}` (and make a new identity if others saw it)",
          path, path);
    case Error::not_found: return fmt::format("{}: no such file", path);
    case Error::permission_denied: return fmt::format("{}: permission denied", path);
    case Error::too_large: return fmt::format("{}: too large to be an identity", path);
    default: return fmt::format("{}: {}", path, message(e));
  }
}

std::string parse_error(const std::string& path, Error e) {
  switch (e) {
    case Error::truncated: return fmt::format("{}: identity is truncated", path);
    case Error::malformed:
      return fmt::format("{}: not an identity (expected address:1:public-keys[:secret-keys])",
                         path);
    case Error::unsupported_version:
      return fmt::format("{}: identity has an unsupported version", path);
    case Error::verification_failed:
      return fmt::format("{}: identity does not verify (address or keys do not match)", path);
    default: return fmt::format("{}: {}", path, message(e));
  }
}

// A text with a fourth field carries secret keys.
bool holds_secret(std::string_view text) { return std::count(text.begin(), text.end(), ':') >= 3; }

struct Loaded {
  crypto::PublicIdentity public_identity;
  bool has_secret;
};

Loaded load(const std::string& path) {
  auto text = osdep::read_file(path);
  if (!text) fail(ExitCode::failure, file_error(path, text.error()));
  if (holds_secret(*text)) {
    if (auto secret = osdep::read_secret_file(path); !secret)
      fail(ExitCode::failure, file_error(path, secret.error()));
    auto id = crypto::Identity::parse(*text);
    if (!id) fail(ExitCode::failure, parse_error(path, id.error()));
    return {id->public_identity(), true};
  }
  auto pub = crypto::PublicIdentity::parse(*text);
  if (!pub) fail(ExitCode::failure, parse_error(path, pub.error()));
  return {*pub, false};
}

void write_new(const std::string& path, std::string_view text, mode_t mode, bool force) {
  if (!force && std::filesystem::exists(path))
    fail(ExitCode::failure, fmt::format("{} exists; pass --force to replace it", path));
  if (auto w = osdep::write_file_atomic(path, text, mode); !w)
    fail(ExitCode::failure, file_error(path, w.error()));
}

}  // namespace

void add_identity_commands(CLI::App& app) {
  // CLI11 binds options to variables that must outlive parsing; the callbacks share them.
  struct Options {
    std::string secret_path;
    std::string public_path;
    bool force = false;
    std::string path;
  };
  auto opts = std::make_shared<Options>();

  auto* identity = app.add_subcommand("identity", "Create and inspect node identities");
  identity->require_subcommand(1);

  auto* make = identity->add_subcommand(
      "new", "Create an identity; print it, or write SECRET (0600) and PUBLIC files");
  make->add_option("secret", opts->secret_path, "File for the secret identity (written 0600)");
  make->add_option("public", opts->public_path, "File for the public identity");
  make->add_flag("--force", opts->force, "Replace existing files");
  make->callback([opts] {
    auto id = crypto::Identity::generate();
    if (opts->secret_path.empty()) {
      std::printf("%s\n", id.to_secret_string().c_str());
      return;
    }
    write_new(opts->secret_path, id.to_secret_string() + "\n", 0600, opts->force);
    if (!opts->public_path.empty())
      write_new(opts->public_path, id.public_identity().to_string() + "\n", 0644, opts->force);
    std::printf("%s\n", id.address().to_string().c_str());
  });

  auto* show = identity->add_subcommand("show", "Print an identity's address and public form");
  show->add_option("file", opts->path, "Identity file (secret or public)")->required();
  show->callback([opts] {
    const auto loaded = load(opts->path);
    std::printf("address: %s\npublic:  %s\n", loaded.public_identity.address().to_string().c_str(),
                loaded.public_identity.to_string().c_str());
  });

  auto* verify = identity->add_subcommand(
      "verify", "Check an identity file: format, address derivation and (if secret) key pairs");
  verify->add_option("file", opts->path, "Identity file (secret or public)")->required();
  verify->callback([opts] {
    const auto loaded = load(opts->path);
    std::printf("ok: %s (%s)\n", loaded.public_identity.address().to_string().c_str(),
                loaded.has_secret ? "secret and public keys" : "public keys");
  });
}

}  // namespace weft::cli
