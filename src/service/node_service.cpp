#include "service/node_service.hpp"

#include "base/log.hpp"
#include "osdep/files.hpp"
#include "runtime/directory_state.hpp"

namespace weft::service {

Result<std::unique_ptr<NodeService>> NodeService::start(NodeServiceConfig config) {
  WEFT_TRY(osdep::make_directories(config.state_dir, 0700));
  auto lock = osdep::PidLock::acquire(pid_file(config.state_dir));
  if (!lock) return lock.error();
  std::unique_ptr<NodeService> self(new NodeService(std::move(*lock)));

  runtime::NodeRuntimeConfig rc;
  rc.roots = config.roots;
  rc.bind = config.bind;
  auto rt = runtime::NodeRuntime::start(std::make_unique<runtime::DirectoryState>(config.state_dir),
                                        std::move(rc));
  if (!rt) return rt.error();
  self->runtime_ = std::move(*rt);

  // Servers from here on: each may call into the running runtime at once.
  self->control_handler_ = std::make_unique<NodeControl>(*self->runtime_);
  ControlServerOptions co;
  co.path =
      config.control_socket.empty() ? config.state_dir + "/control.sock" : config.control_socket;
  auto control = ControlServer::start(std::move(co), *self->control_handler_);
  if (!control) return control.error();
  self->control_ = std::move(*control);
  // Further servers over the runtime (the intercept's) start here, after it.
  return self;
}

NodeService::~NodeService() { stop(); }

void NodeService::stop() noexcept {
  if (stopped_) return;
  stopped_ = true;
  // Every server before the runtime (further ones stop here too).
  if (control_) control_->stop();
  if (runtime_) runtime_->stop();
}

}  // namespace weft::service
