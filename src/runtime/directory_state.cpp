#include "runtime/directory_state.hpp"

#include <sys/stat.h>

#include "osdep/files.hpp"

namespace weft::runtime {

std::string DirectoryState::path(std::string_view name) const {
  std::string p = dir_;
  p += '/';
  p += name;
  return p;
}

Result<std::optional<std::string>> DirectoryState::get(std::string_view name, Secrecy secrecy) {
  struct stat st {};
  if (::stat(dir_.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) return Error::invalid_argument;
  auto text = secrecy == Secrecy::secret ? osdep::read_secret_file(path(name))
                                         : osdep::read_file(path(name));
  if (text) return std::optional<std::string>(std::move(*text));
  if (text.error() == Error::not_found) return std::optional<std::string>();
  return text.error();
}

Result<void> DirectoryState::put(std::string_view name, std::string_view content,
                                 Secrecy secrecy) {
  WEFT_TRY(osdep::make_directories(dir_, 0700));
  return osdep::write_file_atomic(path(name), content,
                                  secrecy == Secrecy::secret ? 0600 : 0644);
}

}  // namespace weft::runtime
