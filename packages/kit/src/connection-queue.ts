/**
 * The first-in, first-out queue postgres.js keeps a pool's connections and
 * waiting queries in, written for this project and loaded in place of the
 * driver's own (postgres-driver.ts says why). It keeps postgres.js's contract:
 * `length`, `push` (returns the item), `shift` (the oldest item, or undefined)
 * and `remove` (the item, or null when it is not queued).
 *
 * Its storage holds fewer than twice the queued items, whatever the order of
 * calls: shifted slots are dropped once they are half of the storage.
 */
export interface ConnectionQueue<T> {
  readonly length: number;
  push(item: T): T;
  shift(): T | undefined;
  remove(item: T): T | null;
  /** Slots the storage holds: fewer than twice `length`, or none. */
  readonly storage: number;
}

// The most slots any queue of this process has held: what tests check the bound on.
let largestStorage = 0;

/** The most slots any queue of this process has held so far. */
export function largestQueueStorage(): number {
  return largestStorage;
}

export default function createConnectionQueue<T>(): ConnectionQueue<T> {
  let slots: (T | undefined)[] = [];
  // Slots before `head` have been shifted out.
  let head = 0;
  // Drops the shifted slots once they are half of the storage (or all of it).
  const settle = () => {
    if (head * 2 >= slots.length) {
      slots = slots.slice(head);
      head = 0;
    }
  };

  return {
    get length() {
      return slots.length - head;
    },
    push(item) {
      slots.push(item);
      if (slots.length > largestStorage) largestStorage = slots.length;
      return item;
    },
    get storage() {
      return slots.length;
    },
    shift() {
      if (head === slots.length) return undefined;
      const item = slots[head];
      slots[head] = undefined;
      head++;
      settle();
      return item;
    },
    remove(item) {
      const at = slots.indexOf(item, head);
      if (at === -1) return null;
      slots.splice(at, 1);
      settle();
      return item;
    },
  };
}
