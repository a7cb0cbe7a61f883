#include "sim/sim_controller.hpp"

#include "base/assert.hpp"
#include "controller/node_hook.hpp"

namespace weft::sim {

SimController::SimController(std::string secret, std::string db_path,
                             controller::Controller::Limits limits)
    : secret_(std::move(secret)), db_path_(std::move(db_path)), limits_(limits) {
  open();
}

void SimController::open() {
  auto store = controller::Store::open(db_path_, {});
  WEFT_CHECK(store.ok());
  auto identity = crypto::Identity::parse(secret_);
  WEFT_CHECK(identity.ok());
  controller_ = std::make_unique<controller::Controller>(std::move(identity).value(),
                                                         std::move(store).value(), limits_);
}

void SimController::restart() {
  controller_.reset();  // closes the database first
  open();
}

std::vector<node::ControllerPush> SimController::take_pushes(std::uint64_t now_ms) {
  return controller::NodeHook(*controller_).take_pushes(now_ms);
}

}  // namespace weft::sim
