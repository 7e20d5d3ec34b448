/**
 * A pool of storage buffers by size class. A released buffer may still be read or written by
 * commands that are encoded but not yet submitted, and `queue.writeBuffer` runs before those
 * commands: so released buffers wait in `limbo` until the next submission, and only then become
 * free for reuse (where an upload may write them directly).
 */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private limbo: GPUBuffer[] = [];
  private readonly sizes = new WeakMap<GPUBuffer, number>();
  /** Buffers created and not destroyed. */
  allocated = 0;
  /** Buffers handed out and not yet released. */
  inUse = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
  ) {}

  /** The size class of a request: powers of two up to 1 MiB, then whole MiB. */
  static sizeClass(bytes: number): number {
    const min = Math.max(bytes, 16);
    if (min <= 1 << 20) return 2 ** Math.ceil(Math.log2(min));
    return Math.ceil(min / (1 << 20)) * (1 << 20);
  }

  acquire(bytes: number, label?: string): GPUBuffer {
    const size = BufferPool.sizeClass(bytes);
    const list = this.free.get(size);
    this.inUse++;
    const reused = list?.pop();
    if (reused) return reused;
    const buffer = this.device.createBuffer({
      size,
      usage: this.usage,
      ...(label ? { label } : {}),
    });
    this.sizes.set(buffer, size);
    this.allocated++;
    return buffer;
  }

  /** Returns a buffer; it becomes reusable after the next submission ({@link afterSubmit}). */
  release(buffer: GPUBuffer): void {
    this.inUse--;
    this.limbo.push(buffer);
  }

  /** Everything released before this submission is now safe to reuse. */
  afterSubmit(): void {
    for (const buffer of this.limbo) {
      const size = this.sizes.get(buffer) ?? buffer.size;
      let list = this.free.get(size);
      if (!list) {
        list = [];
        this.free.set(size, list);
      }
      list.push(buffer);
    }
    this.limbo = [];
  }

  /** Released buffers waiting for the next submission. */
  waiting(): number {
    return this.limbo.length;
  }

  /** Buffers waiting in the pool (free or in limbo). */
  pooled(): number {
    let count = this.limbo.length;
    for (const list of this.free.values()) count += list.length;
    return count;
  }

  /** Destroys every pooled buffer (the ones in use belong to live tensors). */
  trim(): void {
    this.afterSubmit();
    for (const list of this.free.values()) {
      for (const buffer of list) buffer.destroy();
      this.allocated -= list.length;
    }
    this.free.clear();
  }
}
