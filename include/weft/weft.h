/** @file
 * Weft public C API: BSD-like sockets on the Weft user-space TCP/IP stack.
 *
 * Descriptors are small integers of Weft's own table (not kernel fds); use them
 * only with weft_* calls (weft_export_fd turns one into a kernel fd).
 * Arguments and constants are the POSIX ones: AF_INET/AF_INET6, SOCK_STREAM/
 * SOCK_DGRAM (| SOCK_NONBLOCK), SOL_SOCKET/IPPROTO_TCP options, MSG_* flags,
 * struct pollfd events.
 *
 * Errors: -1 and weft_errno (thread-local, POSIX values). Documented errors
 * beyond those of the POSIX call of the same name:
 *   EBADF   a descriptor that is not open (including after weft_close)
 *   EINVAL  a null pointer where one is required, a short address length
 *   EOPNOTSUPP  an unsupported family, type, protocol or option
 *               (POSIX would say EAFNOSUPPORT / EPROTONOSUPPORT / ENOPROTOOPT)
 *   ENOBUFS the descriptor table is full (POSIX: EMFILE)
 * Weft never raises SIGPIPE: writing to a closed connection fails with EPIPE.
 * Threads: any thread may make any call; a call blocked on a descriptor that
 * another thread closes fails with EBADF.
 *
 * AF_INET6 sockets are dual-stack, as on Linux: IPV6_V6ONLY (level IPPROTO_IPV6)
 * is 0 unless set to 1 before bind (EINVAL after). IPv4 goes through IPv4-mapped
 * addresses (\::ffff:a.b.c.d) in connect, bind, sendto; a socket bound to \:: takes
 * both families and reports IPv4 peers as mapped; an unbound UDP socket that sends
 * to a mapped address is bound to both. With IPV6_V6ONLY 1, or once bound to an
 * IPv6 address, a mapped address is ENETUNREACH (bind: EINVAL). A sockaddr_in
 * given to an AF_INET6 socket (or a sockaddr_in6 to an AF_INET one) gets Linux's
 * answer for an IPv6-only socket: EAFNOSUPPORT on an AF_INET socket; on an
 * AF_INET6 socket, sendto fails with ENETUNREACH, UDP connect with EAFNOSUPPORT,
 * and bind and TCP connect with EINVAL when the length is shorter than a
 * sockaddr_in6 (else EAFNOSUPPORT).
 * A connected UDP socket learns of an ICMP port unreachable as Linux's does: the
 * next recv or send fails once with ECONNREFUSED (also SO_ERROR, POLLERR).
 * listen(backlog): the accept queue holds backlog + 1 connections, as on Linux;
 * SYNs beyond it are dropped (the client retransmits), not answered.
 * MSG_TRUNC: on UDP, recv/recvfrom return the datagram's full length (the copy is
 * still bounded by the buffer); on TCP it is refused with EOPNOTSUPP.
 */
#ifndef WEFT_WEFT_H
#define WEFT_WEFT_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The calling thread's last error (POSIX errno values); use weft_errno. */
int* weft_errno_location(void);
/** The calling thread's last error, set by a weft_* call that failed. */
#define weft_errno (*weft_errno_location())

/** As socket(2): a new Weft descriptor, owned by the caller until weft_close. */
int weft_socket(int domain, int type, int protocol);
/** As bind(2). */
int weft_bind(int fd, const struct sockaddr* addr, socklen_t len);
/** As listen(2); see the file comment for the backlog. */
int weft_listen(int fd, int backlog);
/** As accept(2); addr and len may both be NULL. */
int weft_accept(int fd, struct sockaddr* addr, socklen_t* len);
/** As accept4(2); flags: SOCK_NONBLOCK for the new descriptor. */
int weft_accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags);
/** As connect(2): blocking sockets wait (up to SO_SNDTIMEO if set), non-blocking
 * ones fail with EINPROGRESS; completion shows as POLLOUT, the outcome in
 * SO_ERROR. */
int weft_connect(int fd, const struct sockaddr* addr, socklen_t len);
/** Connects, waiting at most timeout_ms (>= 0) whatever the mode; on expiry the attempt is
 * aborted and the call fails with ETIMEDOUT. */
int weft_connect_timeout(int fd, const struct sockaddr* addr, socklen_t len, int timeout_ms);
/** As send(2); never raises SIGPIPE (EPIPE instead). */
ssize_t weft_send(int fd, const void* buf, size_t len, int flags);
/** As recv(2); 0 is end of stream. */
ssize_t weft_recv(int fd, void* buf, size_t len, int flags);
/** As sendto(2). */
ssize_t weft_sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* addr,
                    socklen_t addrlen);
/** As recvfrom(2); addr may be NULL (addrlen is then ignored). */
ssize_t weft_recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* addr,
                      socklen_t* addrlen);
/** As shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR. */
int weft_shutdown(int fd, int how);
/** Closes fd and frees its number; later calls with it fail with EBADF. */
int weft_close(int fd);
/** As setsockopt(2). Options: SOL_SOCKET: SO_REUSEADDR, SO_KEEPALIVE, SO_RCVTIMEO, SO_SNDTIMEO,
 * SO_LINGER, SO_RCVBUF, SO_SNDBUF, SO_ERROR (get), SO_TYPE (get), SO_DOMAIN (get);
 * IPPROTO_TCP: TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT.
 * SO_RCVBUF sets the TCP receive buffer (>= 64 KiB, default 256 KiB); the TCP
 * send buffer is fixed (192 KiB): set is accepted, get reports the size. */
int weft_setsockopt(int fd, int level, int name, const void* value, socklen_t len);
/** As getsockopt(2); the options of weft_setsockopt. */
int weft_getsockopt(int fd, int level, int name, void* value, socklen_t* len);
/** As getsockname(2). */
int weft_getsockname(int fd, struct sockaddr* addr, socklen_t* len);
/** As getpeername(2). */
int weft_getpeername(int fd, struct sockaddr* addr, socklen_t* len);
/** on != 0: non-blocking (EAGAIN instead of waiting). */
int weft_set_nonblocking(int fd, int on);
/** poll(2) over Weft descriptors; unknown ones get POLLNVAL. */
int weft_poll(struct pollfd* fds, nfds_t count, int timeout_ms);
/** fd mode: turns a connected TCP descriptor into a kernel fd (one end of an
 * AF_UNIX stream socketpair bridged to the connection) for the application's own
 * poll/epoll loop. fd is consumed; the caller closes the returned kernel fd.
 * A reset connection shows on it as EOF / EPIPE. */
int weft_export_fd(int fd);

/* ---- Nodes -------------------------------------------------------------
 * A node is this process's member of Weft networks: it holds an identity,
 * talks to roots and peers over encrypted UDP, and puts every network it
 * joins into this process's stack, so the weft_* sockets above reach the other
 * members. Typical use: weft_node_create, weft_node_start, weft_node_join,
 * weft_node_wait_address, then sockets.
 *
 * One node per process: lwIP holds one stack per process, so while a node
 * handle exists, weft_node_create fails with EBUSY.
 *
 * Handles: every weft_node_* call checks its handle; NULL or a freed handle
 * fails with EBADF (or returns 0/NULL where documented). Any thread may call
 * any function, except weft_node_free while other calls on the same node are
 * running.
 *
 * Errors: -1 (or NULL) with weft_errno set, and weft_last_error() explaining. */

/** A node handle (opaque). */
typedef struct weft_node weft_node;

/** The version of struct weft_node_config this header describes. */
#define WEFT_NODE_CONFIG_VERSION 1
/** The version of struct weft_state_callbacks this header describes. */
#define WEFT_STATE_CALLBACKS_VERSION 1
/** weft_state_callbacks.get's answer for an object that was never stored. */
#define WEFT_STATE_NOT_FOUND (-1)

/** Where a node that keeps nothing on disk keeps its state: a few small named
 * objects ("identity.secret", "identity.public", "networks"), each replaced
 * whole. "identity.secret" is the node's secret key: store it as one.
 * Called on the thread of the weft_node_* call that needs them (create, join,
 * leave), never on the node's own threads. */
struct weft_state_callbacks {
  unsigned version; /**< WEFT_STATE_CALLBACKS_VERSION */
  void* user;       /**< passed back to every callback */
  /** Copies object `name` into `buf` (of `capacity` bytes) and returns its
   * whole length; if that is more than `capacity`, it is called again with a
   * buffer that large. WEFT_STATE_NOT_FOUND if it was never stored; any other
   * negative value fails the call that needed it (EIO). */
  long (*get)(void* user, const char* name, void* buf, size_t capacity);
  /** Stores `len` bytes as object `name`, replacing what it held. Returns 0, or
   * -1 to fail the call that stored it (EIO; the node keeps its old state). */
  int (*put)(void* user, const char* name, const void* data, size_t len);
};

/** What weft_node_create needs. Zero-initialise, then set version and roots. */
struct weft_node_config {
  unsigned version; /**< WEFT_NODE_CONFIG_VERSION */
  /** State directory (created 0700 on first start): the identity and the
   * joined networks, so a restarted node comes back as itself and rejoins.
   * NULL: state goes to `state`, or, if that is NULL too, is kept in memory
   * for the life of the handle. */
  const char* state_dir;
  /** State through the application's callbacks (with state_dir NULL). */
  const struct weft_state_callbacks* state;
  /** The node's secret identity in its text form (`weft identity new`), for
   * a first start; NULL: the stored identity, or a new one. If the state
   * already holds a different identity, creation fails with EEXIST. */
  const char* identity;
  /** Roots, each "<public identity>@<host:port>" as `weftd --root` prints it;
   * at least one (a node finds its peers and controllers through roots). */
  const char* const* roots;
  size_t root_count; /**< entries in roots */
  /** Local UDP endpoint ("0.0.0.0:0", "[::1]:9993"); NULL: "0.0.0.0:0". */
  const char* bind;
  /** Events kept for weft_node_next_event before newer ones are counted as
   * lost (a WEFT_EVENT_EVENTS_LOST entry says where); 0: 256. */
  size_t event_capacity;
};

/** Kinds of struct weft_event. */
enum weft_event_kind {
  WEFT_EVENT_ROOT_REGISTERED = 1, /**< a root (node) accepted us; address: our endpoint as it saw it */
  WEFT_EVENT_ROOT_LOST,           /**< a root (node) stopped answering */
  WEFT_EVENT_PEER_DIRECT,         /**< traffic to peer (node) goes directly to address */
  WEFT_EVENT_PEER_RELAYED,        /**< traffic to peer (node) goes through a root */
  WEFT_EVENT_PEER_UNREACHABLE,    /**< no root knew peer (node); frames to it were dropped */
  WEFT_EVENT_NETWORK_READY,       /**< network's controller (node) sent its config */
  WEFT_EVENT_NETWORK_DENIED,      /**< network's controller refused us (not authorized) */
  WEFT_EVENT_NETWORK_NOT_FOUND,   /**< network's controller has no such network */
  WEFT_EVENT_ADDRESS_ASSIGNED,    /**< address/prefix_len is ours on network */
  WEFT_EVENT_ADDRESS_REMOVED,     /**< address is no longer ours on network */
  WEFT_EVENT_NETWORK_LEFT,        /**< weft_node_leave finished for network */
  WEFT_EVENT_EVENTS_LOST          /**< `lost` events were dropped here: the queue was full */
};

/** One event of a node (weft_node_next_event). */
struct weft_event {
  int kind;          /**< enum weft_event_kind */
  uint64_t node;     /**< the root, peer or controller it concerns (40-bit address); 0: none */
  uint64_t network;  /**< the network it concerns; 0: none */
  /** By kind: an IP address (port 0), a UDP endpoint, or AF_UNSPEC. */
  struct sockaddr_storage address;
  int prefix_len;    /**< ADDRESS_*: the network's prefix length */
  uint64_t lost;     /**< EVENTS_LOST: how many */
};

/** A node's counters (weft_node_get_stats). Fields may be added at the end. */
struct weft_node_stats {
  int running;                   /**< 1 between start and stop */
  int online;                    /**< 1 while a root accepts our registration */
  uint64_t datagrams_received;   /**< UDP datagrams read */
  uint64_t receive_batches;      /**< recvmmsg calls that returned datagrams */
  uint64_t handshakes_completed; /**< sessions established (both roles) */
  uint64_t direct_sent;          /**< datagrams sent to a peer directly */
  uint64_t relayed_sent;         /**< datagrams sent through a root */
  uint64_t dropped_malformed;    /**< datagrams or messages that did not parse */
  uint64_t dropped_replayed;     /**< datagrams whose counter was seen before */
  uint64_t dropped_unauthenticated; /**< datagrams that failed decryption or a MAC */
  uint64_t dropped_no_route;     /**< frames with no path and no root to relay */
  uint64_t dropped_waiting;      /**< frames queued for a peer being looked up, then dropped */
  uint64_t dropped_by_network;   /**< frames a network's rules refused */
  uint64_t dropped_send;         /**< datagrams the kernel refused to send */
  uint64_t events_lost;          /**< events dropped because the queue was full */
  uint64_t bytes_received;       /**< UDP payload bytes read */
  uint64_t datagrams_sent;       /**< UDP datagrams sent (to peers, roots, relays) */
  uint64_t bytes_sent;           /**< their UDP payload bytes */
  uint64_t dropped_expired;      /**< datagrams for a session past its lifetime */
  uint64_t dropped_reassembly;   /**< fragmented messages that timed out or were evicted */
  uint64_t peers;                /**< roots and peers known (weft_node_peers) */
  /** Of receive_batches, those an application thread blocked in a socket
      call received itself, instead of being woken by the node's thread. */
  uint64_t receive_batches_in_app_threads;
};

/** Paths of struct weft_peer_stats. */
enum weft_path_kind {
  WEFT_PATH_NONE = 0, /**< no way to the peer yet */
  WEFT_PATH_DIRECT,   /**< straight to its UDP endpoint */
  WEFT_PATH_RELAYED   /**< through a root */
};

/** One root or peer of a node (weft_node_peers). Fields may be added at the end. */
struct weft_peer_stats {
  uint64_t node;        /**< its 40-bit address */
  int is_root;          /**< 1 for one of the node's roots */
  int path;             /**< enum weft_path_kind */
  /** DIRECT: the peer's UDP endpoint; RELAYED: the root's; else AF_UNSPEC. */
  struct sockaddr_storage endpoint;
  int64_t latency_us;   /**< smoothed round trip of the path in use; -1: not measured */
  int session;          /**< 1 once a session is established */
  int64_t idle_ms;      /**< since its last authenticated datagram; -1: never */
  uint64_t datagrams_sent;       /**< UDP datagrams to it (handshakes, data, probes) */
  uint64_t bytes_sent;           /**< their UDP payload bytes */
  uint64_t datagrams_received;   /**< datagrams from it that authenticated */
  uint64_t bytes_received;       /**< their UDP payload bytes */
  uint64_t frames_sent;          /**< frames (Ethernet frames, control messages) to it */
  uint64_t frame_bytes_sent;     /**< their bytes */
  uint64_t frames_received;      /**< whole frames from it, after reassembly */
  uint64_t frame_bytes_received; /**< their bytes */
};

/** Creates a node (loads or creates its identity; does not start it).
 * NULL with weft_errno: EINVAL (bad config: no roots, a root or bind that does
 * not parse, unknown version), EBUSY (a node exists in this process), EEXIST
 * (the state holds another identity), EACCES (the state directory is not
 * ours to read or write, or identity.secret is readable by others), EIO (the
 * state is damaged, e.g. a half-written file, or a state callback failed). */
weft_node* weft_node_create(const struct weft_node_config* config);
/** Stops the node if it runs and frees it; NULL is ignored. */
void weft_node_free(weft_node* node);
/** Starts the node's thread, registers with the roots and rejoins the joined
 * networks. EALREADY if running; EADDRINUSE etc. for the bind endpoint. */
int weft_node_start(weft_node* node);
/** Stops the node: its thread is joined, its socket closed, its networks'
 * addresses leave the stack (sockets on them fail). It may start again. */
int weft_node_stop(weft_node* node);
/** The node's 40-bit address; 0 for a bad handle. */
uint64_t weft_node_address(const weft_node* node);
/** Writes the node's public identity text (what others need to address and
 * authorize it) with a NUL into buf; returns its length (without the NUL).
 * ERANGE if len is too small. */
int weft_node_public_identity(const weft_node* node, char* buf, size_t len);
/** Joins a network (kept in the state: joined again at every start). Works
 * stopped or running; the outcome arrives as events (NETWORK_READY, DENIED,
 * NOT_FOUND) and in weft_node_wait_address. EINVAL: a network this node
 * controls or an invalid id; E2BIG: too many networks (64). */
int weft_node_join(weft_node* node, uint64_t network);
/** Leaves a network (ENOENT if not joined); its addresses are removed. */
int weft_node_leave(weft_node* node, uint64_t network);
/** Waits up to timeout_ms for an address of `family` (AF_INET or AF_INET6)
 * on a joined network and writes it to addr (port 0). ETIMEDOUT (no answer:
 * weft_last_error says whether any root answered), EACCES (the controller
 * refused us: returned as soon as it does, so a program learns it must be
 * authorized; once an admin authorizes the node, the controller sends its
 * config at once and WEFT_EVENT_NETWORK_READY follows, after which waiting
 * again succeeds), ENOENT (no such network), EINVAL (not joined, or the node
 * is not running or stops meanwhile). */
int weft_node_wait_address(weft_node* node, uint64_t network, int family,
                           struct sockaddr_storage* addr, int timeout_ms);
/** Writes up to `capacity` of the network's current addresses to addrs and
 * returns how many it has (which may exceed capacity). */
int weft_node_addresses(weft_node* node, uint64_t network, struct sockaddr_storage* addrs,
                        int capacity);
/** Takes the oldest event, waiting up to timeout_ms (0: do not wait) for one.
 * Returns 1 (event filled), 0 (none came) or -1. Events are delivered only
 * here, on the calling thread: the node's own threads never call the
 * application, so nothing the application does can stall or deadlock them. */
int weft_node_next_event(weft_node* node, struct weft_event* event, int timeout_ms);
/** A kernel fd that polls readable while events wait (for poll/epoll loops);
 * owned by the node, valid until weft_node_free. */
int weft_node_event_fd(const weft_node* node);
/** Fills the first `size` bytes of a weft_node_stats (pass sizeof: a program
 * built against an older header gets the fields it knows). */
int weft_node_get_stats(const weft_node* node, struct weft_node_stats* stats, size_t size);
/** Writes up to `capacity` entries, `size` bytes apart (pass sizeof(struct
 * weft_peer_stats): a program built against an older header gets the fields
 * it knows), roots first, and returns how many roots and peers the node knows
 * (which may exceed capacity). 0 when stopped. */
int weft_node_peers(const weft_node* node, struct weft_peer_stats* peers, int capacity,
                    size_t size);
/** The calling thread's last error as text (more precise than weft_errno),
 * e.g. "state: identity.secret may be read by others (chmod 600 it)". Valid
 * until this thread's next weft_* call. */
const char* weft_last_error(void);

/* ---- Development only --------------------------------------------------- */
/** Starts this process's stack on a DEV LINK: Ethernet frames as plain UDP
 * datagrams to one peer process. UNENCRYPTED AND UNAUTHENTICATED; for tests and
 * benchmarks on loopback. Strings are numeric ("02:00:00:00:00:01",
 * "10.9.0.1", "fd00::1", "127.0.0.1:9000"); ipv4 or ipv6 may be NULL. */
struct weft_dev_config {
  const char* mac;  /**< the stack's Ethernet MAC */
  const char* ipv4; /**< IPv4 address, or NULL */
  int ipv4_prefix;  /**< its prefix length */
  const char* ipv6; /**< IPv6 address, or NULL */
  const char* bind; /**< local UDP endpoint of the link */
  const char* peer; /**< the peer's UDP endpoint */
  unsigned mtu;     /**< 0: 1500 */
};
/** Starts the dev-link stack of weft_dev_config; once per process (then EEXIST). */
int weft_dev_start(const struct weft_dev_config* config);

/** Development only: damage on purpose. Each rate is a probability per frame
 * (0 to 1); the same seed and traffic give the same damage. */
struct weft_fault_config {
  uint64_t seed;        /**< seeds the choices */
  double loss;          /**< a frame is dropped */
  double duplicate;     /**< a frame goes out twice */
  double reorder;       /**< a frame is held back behind the next one */
  double corrupt;       /**< one bit after the Ethernet header flips */
  unsigned delay_us;    /**< added to every frame */
  unsigned jitter_us;   /**< plus up to this much, uniformly */
};
/** Development only: every frame this node sends on its networks passes a
 * fault injector first (testing an application on a bad network). Only while
 * the node is stopped (EINVAL otherwise); applies from the next start. NULL
 * removes it. EINVAL for a rate outside 0..1. */
int weft_node_set_faults(weft_node* node, const struct weft_fault_config* faults);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_WEFT_H */
