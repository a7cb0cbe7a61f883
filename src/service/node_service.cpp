#include "service/node_service.hpp"

#include "base/log.hpp"
#include "osdep/files.hpp"
#include "runtime/directory_state.hpp"
#include "runtime/sockets.hpp"
#include "socket/errno_map.hpp"

namespace weft::service {

std::vector<wire::VirtualPrefix> virtual_prefixes(const runtime::NodeRuntime& runtime) {
  std::vector<wire::VirtualPrefix> out;
  for (const NetworkId n : runtime.networks()) {
    // A kernel TAP network is the kernel's: intercepted programs reach it
    // through their ordinary kernel sockets, not through the daemon's stack.
    if (const auto o = runtime.join_options(n); o && o->kernel_tap) continue;
    for (const vnet::Address& a : runtime.addresses(n)) {
      wire::VirtualPrefix p;
      p.network = n.value();
      p.ipv6 = a.ipv6;
      p.length = a.prefix;
      p.bytes = a.bytes;
      out.push_back(p);
    }
  }
  return out;
}

wire::ResolveAnswer resolve_answer(const Result<runtime::NameResolution>& r) {
  using Status = runtime::NameResolution::Status;
  wire::ResolveAnswer a;
  if (!r) {
    a.status = wire::ResolveStatus::failed;
    a.error = socket::to_errno(r.error());
    return a;
  }
  switch (r->status) {
    case Status::not_virtual: a.status = wire::ResolveStatus::not_virtual; return a;
    case Status::no_such_member: a.status = wire::ResolveStatus::no_such_member; return a;
    case Status::found: break;
  }
  a.status = wire::ResolveStatus::found;
  a.canonical = r->canonical;
  for (const auto& v4 : r->ipv4) {
    wire::SocketAddress s;
    std::copy(v4.begin(), v4.end(), s.bytes.begin());
    a.addresses.push_back(s);
  }
  for (const auto& v6 : r->ipv6) a.addresses.push_back({.ipv6 = true, .port = 0, .bytes = v6});
  if (a.addresses.size() > wire::ResolveAnswer::kMaxAddresses)
    a.addresses.resize(wire::ResolveAnswer::kMaxAddresses);
  return a;
}

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
  self->control_handler_ = std::make_unique<NodeControl>(*self->runtime_, config.tap_networks);
  ControlServerOptions co;
  co.path =
      config.control_socket.empty() ? config.state_dir + "/control.sock" : config.control_socket;
  auto control = ControlServer::start(std::move(co), *self->control_handler_);
  if (!control) return control.error();
  self->control_ = std::move(*control);

  InterceptServerConfig ic;
  ic.path = config.intercept_socket.empty() ? config.state_dir + "/intercept.sock"
                                            : config.intercept_socket;
  ic.prefixes = [rt = self->runtime_.get()] { return virtual_prefixes(*rt); };
  ic.resolve = [rt = self->runtime_.get()](std::string_view name,
                                           std::function<void(wire::ResolveAnswer)> done) {
    rt->resolve_name(name, [done = std::move(done)](const Result<runtime::NameResolution>& r) {
      done(resolve_answer(r));
    });
  };
  auto intercept = InterceptServer::start(std::move(ic), runtime::stack_driver());
  if (!intercept) return intercept.error();
  self->intercept_ = std::move(*intercept);
  return self;
}

NodeService::~NodeService() { stop(); }

void NodeService::stop() noexcept {
  if (stopped_) return;
  stopped_ = true;
  // Every server before the runtime (further ones stop here too).
  intercept_.reset();
  if (control_) control_->stop();
  if (runtime_) runtime_->stop();
}

}  // namespace weft::service
