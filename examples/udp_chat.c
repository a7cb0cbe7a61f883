/* udp_chat: line chat over UDP between nodes of a Weft network, written
 * against the C API (weft.h) alone.
 *
 *   udp_chat --root ROOT --network NETID [--state DIR] [--bind HOST:PORT]
 *            [--port 5000] [--peer IP:PORT]
 *
 * Every line typed on stdin goes as one datagram to --peer or, without one,
 * to whoever wrote to us last. Every datagram received is printed as
 * "from <ip>:<port> <text>". Prints "node <address>", "address <ip>" and
 * "listening <port>" first. The end of stdin ends the chat.
 *
 * UDP may lose a datagram, the first ones especially (the nodes are still
 * finding each other): this chat does not resend, as a real chat would. */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "weft/weft.h"

/* What failed, why (weft_last_error: the calling thread's last weft error), exit 1. */
static void fail(const char* what) {
  fprintf(stderr, "udp_chat: %s: %s\n", what, weft_last_error());
  exit(1);
}

static void usage(const char* problem) {
  fprintf(stderr,
          "udp_chat: %s\nusage: udp_chat --root ROOT --network NETID [--state DIR] "
          "[--bind HOST:PORT] [--port PORT] [--peer IP:PORT]\n",
          problem);
  exit(1);
}

/* "a.b.c.d:port" into a sockaddr_in; 0 if it is not one. */
static int parse_endpoint(const char* text, struct sockaddr_in* out) {
  char ip[INET_ADDRSTRLEN];
  const char* colon = strrchr(text, ':');
  if (colon == NULL || (size_t)(colon - text) >= sizeof ip) return 0;
  memcpy(ip, text, (size_t)(colon - text));
  ip[colon - text] = '\0';
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons((uint16_t)atoi(colon + 1));
  return inet_pton(AF_INET, ip, &out->sin_addr) == 1 && out->sin_port != 0;
}

/* Where typed lines go: --peer, else the last sender (the receiving thread sets it). */
static pthread_mutex_t peer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sockaddr_in peer;
static int have_peer = 0;
static int fixed_peer = 0; /* --peer given: replies do not redirect us */
static int done = 0;       /* set (under peer_lock) when stdin ends */

/* Receives datagrams and prints them, with their sender, until the socket fails. */
static void* receive(void* arg) {
  const int fd = *(const int*)arg;
  char text[65536];
  for (;;) {
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    /* Blocks until a datagram comes (one call, one whole datagram) or the
     * socket's receive timeout passes: then we look whether the chat is over. */
    const ssize_t n = weft_recvfrom(fd, text, sizeof text, 0, (struct sockaddr*)&from, &len);
    if (n < 0 && (weft_errno == EAGAIN || weft_errno == EWOULDBLOCK)) {
      pthread_mutex_lock(&peer_lock);
      const int over = done;
      pthread_mutex_unlock(&peer_lock);
      if (over) return NULL;
      continue;
    }
    if (n < 0) {
      fprintf(stderr, "udp_chat: receive: %s\n", weft_last_error());
      return NULL;
    }
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
    printf("from %s:%u %.*s\n", ip, (unsigned)ntohs(from.sin_port), (int)n, text);
    fflush(stdout);
    pthread_mutex_lock(&peer_lock);
    if (!fixed_peer) {
      peer = from;
      have_peer = 1;
    }
    pthread_mutex_unlock(&peer_lock);
  }
}

int main(int argc, char** argv) {
  const char* roots[8];
  struct weft_node_config config;
  memset(&config, 0, sizeof config); /* fields added later stay 0 */
  config.version = WEFT_NODE_CONFIG_VERSION;
  config.roots = roots;
  uint64_t network = 0;
  int port = 5000;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) usage("every flag takes a value");
    const char* value = argv[i + 1];
    if (strcmp(argv[i], "--state") == 0) {
      config.state_dir = value;
    } else if (strcmp(argv[i], "--bind") == 0) {
      config.bind = value;
    } else if (strcmp(argv[i], "--root") == 0 && config.root_count < 8) {
      roots[config.root_count++] = value;
    } else if (strcmp(argv[i], "--network") == 0) {
      if (strlen(value) != 16 || strspn(value, "0123456789abcdefABCDEF") != 16)
        usage("--network takes 16 hex digits");
      network = strtoull(value, NULL, 16);
    } else if (strcmp(argv[i], "--port") == 0) {
      port = atoi(value);
    } else if (strcmp(argv[i], "--peer") == 0) {
      if (!parse_endpoint(value, &peer)) usage("--peer takes IP:PORT");
      have_peer = fixed_peer = 1;
    } else {
      usage("unknown flag");
    }
  }
  if (config.root_count == 0 || network == 0) usage("--root and --network are required");

  /* The node: create (loads or makes its identity), start, join. */
  weft_node* node = weft_node_create(&config);
  if (node == NULL) fail("cannot create the node");
  if (weft_node_start(node) != 0) fail("cannot start the node");
  printf("node %010llx\n", (unsigned long long)weft_node_address(node));
  fflush(stdout);
  if (weft_node_join(node, network) != 0) fail("cannot join the network");

  /* Wait for our IPv4 address. Until an admin authorizes this node, the
   * controller refuses it (EACCES at once); it pushes the network's config
   * when the authorization comes, which shows as a NETWORK_READY event. */
  struct sockaddr_storage address;
  while (weft_node_wait_address(node, network, AF_INET, &address, 20000) != 0) {
    if (weft_errno != EACCES) fail("no address on the network");
    fprintf(stderr, "not authorized yet; run: weft member authorize %016llx %010llx\n",
            (unsigned long long)network, (unsigned long long)weft_node_address(node));
    struct weft_event event;
    do {
      if (weft_node_next_event(node, &event, 1000) < 0) fail("no events");
    } while (event.kind != WEFT_EVENT_NETWORK_READY || event.network != network);
  }
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &((struct sockaddr_in*)&address)->sin_addr, ip, sizeof ip);
  printf("address %s\n", ip);

  /* A UDP socket on our address: weft_* calls, the POSIX arguments. */
  int fd = weft_socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) fail("socket");
  struct sockaddr_in local = *(struct sockaddr_in*)&address;
  local.sin_port = htons((uint16_t)port);
  if (weft_bind(fd, (struct sockaddr*)&local, sizeof local) != 0) fail("bind");
  /* Options as setsockopt(2): here a receive timeout, so the receiving thread
   * notices the end of the chat. */
  const struct timeval tick = {.tv_sec = 0, .tv_usec = 200000};
  if (weft_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick) != 0) fail("setsockopt");
  printf("listening %d\n", port);
  fflush(stdout);

  pthread_t receiver;
  if (pthread_create(&receiver, NULL, receive, &fd) != 0) {
    fprintf(stderr, "udp_chat: no thread\n");
    return 1;
  }

  char* line = NULL;
  size_t capacity = 0;
  ssize_t n;
  while ((n = getline(&line, &capacity, stdin)) > 0) {
    if (line[n - 1] == '\n') --n; /* the datagram is the text, without its newline */
    pthread_mutex_lock(&peer_lock);
    const struct sockaddr_in to = peer;
    const int known = have_peer;
    pthread_mutex_unlock(&peer_lock);
    if (!known) {
      fprintf(stderr, "udp_chat: nobody to send to yet (no --peer, no message received)\n");
      continue;
    }
    if (weft_sendto(fd, line, (size_t)n, 0, (const struct sockaddr*)&to, sizeof to) < 0)
      fail("send");
  }
  free(line);
  pthread_mutex_lock(&peer_lock);
  done = 1;
  pthread_mutex_unlock(&peer_lock);
  pthread_join(receiver, NULL);
  weft_close(fd);
  weft_node_free(node);
  return 0;
}
