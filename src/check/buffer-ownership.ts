// Buffer ownership: a receive page is the guest's to read only while the IOSP cannot write it
// (spar-protocol.md §4.3 receive posts and the NET_RCV row, §4.1 the IOSP re-initialising its
// channels, §1.6 the ring's order). Fed by a guest's network stack with what went into and came
// out of the vnic channel, in ring order; judges each page the stack hands its IP layer.
//
// The IOSP may write a page from the NET_RCV_POST that offers it until one of: the NET_RCV that
// returns its buf; the acknowledgement of an ENBDIS(0) inserted after the post (the IOSP forgets
// the posts it holds then, and takes the ring in order, so an ENBDIS(0) retires only the posts
// before it); or a channel reset (the IOSP rebooted, §4.1). Reading a page while a post of it is
// still the IOSP's is a violation: the IOSP could overwrite the frame as it is read.

/** One vnic's ledger of the posts the IOSP may still write. */
export class BufferOwnershipLedger {
  /** buf → its page and the number of ENBDIS(0) in the ring before it. */
  private readonly posts = new Map<number, { readonly page: number; readonly epoch: number }>();
  /** ENBDIS messages in the ring, not yet acknowledged, oldest first, each with its epoch. */
  private readonly enbdisInRing: { readonly enable: number; readonly epoch: number }[] = [];
  private disables = 0;
  /** Pages read while the IOSP could still write them (must stay 0). */
  violations = 0;

  /** A NET_RCV_POST of `page` under `buf` went into the ring. */
  posted(buf: number, page: number): void {
    this.posts.set(buf, { page, epoch: this.disables });
  }

  /** A NET_RCV_ENBDIS with `enable` went into the ring. */
  enbdisInserted(enable: number): void {
    if (enable === 0) this.disables++;
    this.enbdisInRing.push({ enable, epoch: this.disables });
  }

  /** The IOSP acknowledged the oldest ENBDIS in the ring; an ENBDIS(0) retires the posts before it. */
  enbdisAcked(): void {
    const acked = this.enbdisInRing.shift();
    if (acked?.enable === 0) this.retire(acked.epoch);
  }

  /** A NET_RCV returned `bufs`: they are no longer the IOSP's to write. */
  returned(bufs: readonly number[]): void {
    for (const buf of bufs) this.posts.delete(buf);
  }

  /** The IOSP re-initialised the channel: it holds no post and owes no ack. */
  channelReset(): void {
    this.retire(Infinity);
    this.enbdisInRing.length = 0;
  }

  /** The guest reads `pages`; true (and counted) when one of them is still the IOSP's. */
  delivered(pages: readonly number[]): boolean {
    for (const post of this.posts.values()) {
      if (!pages.includes(post.page)) continue;
      this.violations++;
      return true;
    }
    return false;
  }

  private retire(epoch: number): void {
    for (const [buf, post] of this.posts) if (post.epoch < epoch) this.posts.delete(buf);
  }
}
