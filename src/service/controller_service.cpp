#include "service/controller_service.hpp"

#include "runtime/identity_store.hpp"

namespace weft::service {

Result<std::unique_ptr<ControllerService>> ControllerService::start(
    const ControllerServiceConfig& config) {
  auto identity = runtime::IdentityStore::load_or_create(config.state_dir);
  if (!identity) return identity.error();
  // The node and the controller each hold the one identity (it is move-only).
  auto copy = crypto::Identity::parse(identity->to_secret_string());
  if (!copy) return copy.error();
  auto store = controller::Store::open(config.state_dir + "/controller.db", {});
  if (!store) return store.error();

  std::unique_ptr<ControllerService> self(new ControllerService);
  self->token_file_ = config.state_dir + "/admin.token";
  WEFT_TRY(controller::AdminServer::ensure_token_file(self->token_file_));
  self->controller_ = std::make_unique<controller::Controller>(std::move(*copy), std::move(*store),
                                                               controller::Controller::Limits{});
  self->hook_ = std::make_unique<controller::NodeHook>(*self->controller_);

  runtime::WireNodeConfig wc;
  wc.bind = config.bind;
  wc.node.roots = config.roots;
  wc.node.controller = self->hook_.get();
  auto node = runtime::WireNode::open(std::move(*identity), std::move(wc));
  if (!node) return node.error();
  self->node_ = std::move(*node);
  WEFT_TRY(self->node_->start(*self));

  controller::AdminServer::Options admin;
  admin.bind_address = config.admin_bind;
  admin.port = config.admin_port;
  admin.token_file = self->token_file_;
  runtime::WireNode* wake = self->node_.get();
  admin.on_change = [wake] { wake->request_tick(); };
  auto server = controller::AdminServer::start(*self->controller_, std::move(admin));
  if (!server) return server.error();
  self->admin_ = std::move(*server);
  return self;
}

ControllerService::~ControllerService() { stop(); }

void ControllerService::stop() noexcept {
  // The admin API first: its on_change wakes the node.
  if (admin_) admin_->stop();
  if (node_) node_->stop();
}

}  // namespace weft::service
