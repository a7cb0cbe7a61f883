#pragma once

// The one place that includes lwIP. Debian's lwipopts.h (pulled in by lwip/opt.h)
// declares sys_lock_tcpip_core() and friends without extern "C", so opt.h must be
// included inside extern "C" before any other lwIP header, or the core-lock
// functions get C++ linkage and do not link. Never include <netinet/tcp.h> next to
// this: it redefines TCP_MSS silently.

extern "C" {
#include <lwip/opt.h>  // first: see above
#include <lwip/err.h>
#include <lwip/etharp.h>
#include <lwip/ethip6.h>
#include <lwip/init.h>
#include <lwip/ip_addr.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/prot/ip.h>
#include <lwip/raw.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip/tcpip.h>
#include <lwip/udp.h>
#include <netif/ethernet.h>
}
