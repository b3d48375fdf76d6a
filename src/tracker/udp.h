/*
 * udp: the BEP 15 front: one thread per bound UDP socket, reading and
 * answering batches of datagrams with recvmmsg/sendmmsg.  Packets too short,
 * malformed or with a connection id that does not check are dropped (a
 * forged source address gets nothing back); a well-formed request that
 * fails an access check gets an error packet.  Start and stop from the main
 * thread; the handlers run on the UDP threads.
 */
#ifndef VTFS_TRACKER_UDP_H
#define VTFS_TRACKER_UDP_H

#include "tracker/tracker.h"

struct udp;

struct udp	*udp_new(struct tracker *);
/* Serve fd (a bound UDP socket, taken over) on a new thread.  0/-errno. */
int		 udp_add_socket(struct udp *, int fd);
/* Stop the threads (within about 200 ms), close the sockets, free. */
void		 udp_free(struct udp *);

/*
 * Answer one datagram from src into out (room for UDP_MAX_PACKET bytes).
 * Returns the reply size, or 0 to send nothing.  Exposed for tests.
 */
size_t		 udp_handle(struct tracker *, const uint8_t *pkt, size_t len,
		    const struct swarm_addr *src, int v6, uint8_t *out);

#endif /* VTFS_TRACKER_UDP_H */
