package boltstore

import (
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/klauspost/compress/s2"
	bolt "go.etcd.io/bbolt"

	"github.com/reservoir-dev/reservoir/internal/logs"
)

// A block is a run of one stream's events stored as one bbolt value, under
// the key of its first event (see doc.go). Storing a flush's lines as a few
// blocks rather than one key per line divides the B+tree work of an append
// by the lines per block; it was ~40% of all CPU with one key per line.
const (
	// blockMaxEvents and blockMaxBytes bound a block, so a scan that
	// starts or stops inside one decodes little more than it returns
	// (and a cut rewrites little). They were 1,024 and 64 KiB until
	// blocks were made bigger (the format is the same): bbolt's cost per
	// value (its pages allocated, copied and written one value at a time)
	// was 9-13 % of the server's CPU for a function printing 1,000 varied
	// lines per call (docs/BENCHMARKS.md).
	blockMaxEvents = 4096
	blockMaxBytes  = 256 << 10
	// blockMaxSpan bounds the time from a block's first to its last event
	// (ms), and so a stream's block_span: a PutLogEvents batch may span a
	// day, and a scan steps back block_span from where it starts.
	blockMaxSpan = 60_000
)

// encodeBlock encodes events, sorted by key, all ingested at ingestion,
// and compresses the encoding (see doc.go): ingestion (uvarint), the span
// from the first to the last timestamp (uvarint), the number of events
// (uvarint), then per event its timestamp's difference from the previous
// one (uvarint; the first's from the key's), its seq's difference from the
// previous one (varint; likewise), the message's length (uvarint) and the
// message. The block is written into memory a takes it from (a nil a: its
// own).
func encodeBlock(a *blockArena, ingestion int64, evs []blockEvent) []byte {
	size := 3 * binary.MaxVarintLen64
	for _, e := range evs {
		size += 3*binary.MaxVarintLen64 + len(e.msg)
	}
	b := a.plain(size)
	first, last := evs[0].key, evs[len(evs)-1].key
	b = binary.AppendUvarint(b, uint64(ingestion))
	b = binary.AppendUvarint(b, uint64(last.Timestamp-first.Timestamp))
	b = binary.AppendUvarint(b, uint64(len(evs)))
	prev := first
	for _, e := range evs {
		b = binary.AppendUvarint(b, uint64(e.key.Timestamp-prev.Timestamp))
		b = binary.AppendVarint(b, int64(e.key.Seq-prev.Seq))
		b = binary.AppendUvarint(b, uint64(len(e.msg)))
		b = append(b, e.msg...)
		prev = e.key
	}
	return compressBlock(a, b)
}

// A block written since version 9 starts with blockMark: an over-long
// uvarint zero, which no plain block (every version 6 to 8 block) starts
// with, since a plain block's first field is a minimal uvarint. The codec
// byte and the compressed plain block follow. Compression cuts what
// storing a block costs (bbolt copies each value into its pages, then
// writes and fsyncs them) by the compression ratio, for about the CPU of
// the copies it saves on typical log lines and far less on repetitive
// ones (docs/BENCHMARKS.md); a block it would not shrink is stored plain.
var blockMark = [2]byte{0x80, 0x00}

// blockCodec names how a marked block's plain encoding is compressed.
type blockCodec byte

// codecS2 is S2's block format (github.com/klauspost/compress/s2), a
// faster variant of Snappy's.
const codecS2 blockCodec = 1

// maxPlainBlock bounds the decoded size of a compressed block a read
// accepts, so a corrupt length cannot ask for an unbounded buffer: a
// block holds at most blockMaxEvents events whose messages pass
// blockMaxBytes only when one message alone does, and a message is at most
// 1 MiB (CloudWatch Logs' limit on an event, which internal/logs enforces).
const maxPlainBlock = 3*binary.MaxVarintLen64 + blockMaxEvents*3*binary.MaxVarintLen64 + blockMaxBytes + 1<<20

// compressBlock returns plain as stored: marked and compressed into memory
// a hands out, or plain, copied there, when compression would not make it
// smaller.
func compressBlock(a *blockArena, plain []byte) []byte {
	n := len(blockMark) + 1 + s2.MaxEncodedLen(len(plain))
	b := a.take(n)
	b = append(b, blockMark[0], blockMark[1], byte(codecS2))
	b = b[:len(b)+len(s2.Encode(b[len(b):n], plain))]
	if len(b) < len(plain) {
		a.giveBack(n - len(b))
		return b
	}
	a.giveBack(n)
	return append(a.take(len(plain)), plain...)
}

// plainBlock returns the plain encoding of a stored block: v itself, or v
// decompressed into a new buffer.
func plainBlock(v []byte) ([]byte, error) {
	plain, _, err := plainBlockInto(v, nil)
	return plain, err
}

// plainBlockInto is plainBlock decompressing into buf when it has the room
// (scans recycle the buffers of the blocks they have finished: a 256 KiB
// block decoded into a new, zeroed buffer each time cost a scan ~15 %).
// decompressed says whether plain is a buffer (buf or a new one) or v.
func plainBlockInto(v, buf []byte) (plain []byte, decompressed bool, err error) {
	if len(v) < len(blockMark)+1 || v[0] != blockMark[0] || v[1] != blockMark[1] {
		return v, false, nil
	}
	if blockCodec(v[2]) != codecS2 {
		return nil, false, fmt.Errorf("%w: unknown codec %d", errCorruptBlock, v[2])
	}
	n, err := s2.DecodedLen(v[3:])
	if err != nil || n > maxPlainBlock {
		return nil, false, errCorruptBlock
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	plain, err = s2.Decode(buf[:n], v[3:])
	if err != nil {
		return nil, false, errCorruptBlock
	}
	return plain, true, nil
}

// blockArena hands out the memory of encoded blocks from a few reused
// chunks instead of a new zeroed buffer per block: bbolt keeps a value
// until its transaction ends, so the chunks are reused only once it has
// (reset). It belongs to one goroutine.
type blockArena struct {
	chunks [][]byte
	cur    int // chunks[cur] is being filled
	off    int // from chunks[cur][off]
	evs    []blockEvent
	used   int    // evs[:used] may hold messages
	buf    []byte // a block's plain encoding, before it is compressed
	last   int    // take's last slice is chunks[cur][off-last:off], if last > 0
}

// plain returns an empty slice with room for n bytes, to encode a block
// before it is compressed: the one plain returned before (no longer in use
// once that block is compressed), unless a is nil.
func (a *blockArena) plain(n int) []byte {
	if a == nil {
		return make([]byte, 0, n)
	}
	if cap(a.buf) < n {
		a.buf = make([]byte, 0, max(n, 2*cap(a.buf)))
	}
	return a.buf[:0]
}

// events returns a slice of n events to fill, the one events returned
// before (no longer in use once its blocks are encoded).
func (a *blockArena) events(n int) []blockEvent {
	if len(a.evs) < n {
		a.evs = make([]blockEvent, n)
	}
	a.used = max(a.used, n)
	return a.evs[:n]
}

const (
	arenaChunk = 1 << 20
	arenaKeep  = 8 // chunks kept by reset
)

// take returns an empty slice with room for n bytes.
func (a *blockArena) take(n int) []byte {
	if a != nil {
		a.last = 0
	}
	if a == nil || n > arenaChunk {
		return make([]byte, 0, n)
	}
	if a.cur < len(a.chunks) && a.off+n > arenaChunk {
		a.cur, a.off = a.cur+1, 0
	}
	if a.cur == len(a.chunks) {
		a.chunks = append(a.chunks, make([]byte, arenaChunk))
	}
	b := a.chunks[a.cur][a.off : a.off : a.off+n]
	a.off += n
	a.last = n
	return b
}

// giveBack returns the last n bytes of what take returned last, unused:
// the next take may hand them out again.
func (a *blockArena) giveBack(n int) {
	if a != nil && n <= a.last {
		a.off -= n
		a.last -= n
	}
}

// reset makes every chunk free again: call it only once no transaction
// holds what take returned.
func (a *blockArena) reset() {
	a.cur, a.off, a.last = 0, 0, 0
	clear(a.evs[:a.used]) // the messages
	a.used = 0
	if len(a.chunks) > arenaKeep {
		clear(a.chunks[arenaKeep:])
		a.chunks = a.chunks[:arenaKeep]
	}
}

// blockEvent is an event to encode.
type blockEvent struct {
	key logs.EventKey
	msg string
}

var errCorruptBlock = errors.New("corrupt event block")

// blockHeader decodes a plain block's header: its ingestion time, span and
// number of events, and the encoded events that follow.
func blockHeader(v []byte) (ingestion, span int64, count int, rest []byte, err error) {
	var vals [3]uint64
	for i := range vals {
		n, size := binary.Uvarint(v)
		if size <= 0 {
			return 0, 0, 0, nil, errCorruptBlock
		}
		vals[i], v = n, v[size:]
	}
	if vals[2] == 0 || vals[2] > uint64(len(v)) {
		return 0, 0, 0, nil, errCorruptBlock
	}
	return int64(vals[0]), int64(vals[1]), int(vals[2]), v, nil
}

// decodeBlock appends a stored block's events to dst; their messages point
// into v when it is plain, else into a buffer of their own.
func decodeBlock(k, v []byte, dst []logs.StoredEvent) ([]logs.StoredEvent, error) {
	evs, _, err := decodeBlockInto(k, v, dst, nil)
	return evs, err
}

// decodeBlockInto is decodeBlock decompressing into buf when it has the
// room; used is the buffer the messages then point into (nil when they
// point into v), to recycle once they are no longer read.
func decodeBlockInto(k, v []byte, dst []logs.StoredEvent, buf []byte) (evs []logs.StoredEvent, used []byte, err error) {
	plain, decompressed, err := plainBlockInto(v, buf)
	if err != nil {
		return dst, nil, fmt.Errorf("block %x: %w", k, err)
	}
	if decompressed {
		used = plain
	}
	evs, err = decodeEvents(k, plain, dst)
	return evs, used, err
}

// decodeEvents appends the events of a plain block v to dst; their
// messages point into v.
func decodeEvents(k, v []byte, dst []logs.StoredEvent) ([]logs.StoredEvent, error) {
	ingestion, _, count, rest, err := blockHeader(v)
	if err != nil {
		return dst, fmt.Errorf("block %x: %w", k, err)
	}
	key := decodeEventKey(k)
	for range count {
		dt, n1 := binary.Uvarint(rest)
		if n1 <= 0 {
			return dst, fmt.Errorf("block %x: %w", k, errCorruptBlock)
		}
		ds, n2 := binary.Varint(rest[n1:])
		if n2 <= 0 {
			return dst, fmt.Errorf("block %x: %w", k, errCorruptBlock)
		}
		l, n3 := binary.Uvarint(rest[n1+n2:])
		if n3 <= 0 || l > uint64(len(rest)-n1-n2-n3) {
			return dst, fmt.Errorf("block %x: %w", k, errCorruptBlock)
		}
		rest = rest[n1+n2+n3:]
		key = logs.EventKey{Timestamp: key.Timestamp + int64(dt), Seq: key.Seq + uint64(ds)}
		dst = append(dst, logs.StoredEvent{Key: key, IngestionTime: ingestion, Message: rest[:l:l]})
		rest = rest[l:]
	}
	if len(rest) != 0 {
		return dst, fmt.Errorf("block %x: %w", k, errCorruptBlock)
	}
	return dst, nil
}

// putBlocks stores events (in arrival order, each already given its key)
// as blocks of one stream, and returns the largest span of a block written.
func putBlocks(events *bolt.Bucket, a *blockArena, streamID uint64, ingestion int64, evs []blockEvent) (span int64, err error) {
	if !slices.IsSortedFunc(evs, cmpBlockEvents) {
		slices.SortFunc(evs, cmpBlockEvents)
	}
	for len(evs) > 0 {
		n, size := 0, 0
		for n < len(evs) && n < blockMaxEvents && (n == 0 || size+len(evs[n].msg) <= blockMaxBytes &&
			evs[n].key.Timestamp-evs[0].key.Timestamp <= blockMaxSpan) {
			size += len(evs[n].msg)
			n++
		}
		if err := events.Put(eventKey(streamID, evs[0].key), encodeBlock(a, ingestion, evs[:n])); err != nil {
			return span, err
		}
		span = max(span, evs[n-1].key.Timestamp-evs[0].key.Timestamp)
		evs = evs[n:]
	}
	return span, nil
}

func cmpBlockEvents(a, b blockEvent) int {
	switch {
	case a.key.Less(b.key):
		return -1
	case b.key.Less(a.key):
		return 1
	}
	return 0
}

// openBlock is a decoded block in a scan, at its next event.
type openBlock struct {
	evs []logs.StoredEvent
	buf []byte // what the messages point into when decompressed, else nil
	i   int
	key []byte // the block's key, when its iterator records passed blocks
}

// blockHeap orders open blocks by their next event: the smallest key first,
// or the largest when reverse.
type blockHeap struct {
	bs      []*openBlock
	reverse bool
}

func (h *blockHeap) Len() int { return len(h.bs) }
func (h *blockHeap) Less(i, j int) bool {
	a, b := h.bs[i].evs[h.bs[i].i].Key, h.bs[j].evs[h.bs[j].i].Key
	if h.reverse {
		return b.Less(a)
	}
	return a.Less(b)
}
func (h *blockHeap) Swap(i, j int) { h.bs[i], h.bs[j] = h.bs[j], h.bs[i] }
func (h *blockHeap) Push(x any)    { h.bs = append(h.bs, x.(*openBlock)) }
func (h *blockHeap) Pop() any {
	x := h.bs[len(h.bs)-1]
	h.bs = h.bs[:len(h.bs)-1]
	return x
}

// streamIter walks one stream's events in a key range in key order
// (decreasing when reverse), merging its blocks, which may overlap in time.
// Blocks are keyed by their first event; the stream record's block_span
// bounds how far a block reaches past its key's timestamp, so a forward
// walk starts at the blocks keyed from lo's timestamp minus that span, and
// a reverse walk opens earlier blocks while they could still hold an event
// after the ones it has.
type streamIter struct {
	c        *bolt.Cursor
	prefix   []byte
	lo, hi   logs.EventKey
	span     int64
	reverse  bool
	k, v     []byte // the next block not yet open, if any
	open     blockHeap
	free     [][]logs.StoredEvent
	bufs     [][]byte // decompression buffers of finished blocks
	cur      logs.StoredEvent
	done     bool
	finished *openBlock
	// passed, when not nil, collects each block the walk has returned
	// every event of (forward walks from the stream's start only).
	passed *[]passedBlock
}

// passedBlock is a block a walk has returned every event of: its key and
// its last event's key.
type passedBlock struct {
	key  []byte
	last logs.EventKey
}

// newStreamIter positions an iterator; ok is false when r holds no key of
// a stored event.
func newStreamIter(events *bolt.Bucket, rec logStreamRecord, r logs.KeyRange, reverse bool) (*streamIter, bool) {
	if r.Empty() || r.To.Timestamp < 0 {
		return nil, false
	}
	it := &streamIter{c: events.Cursor(), prefix: binary.BigEndian.AppendUint64(nil, rec.ID), lo: r.From, hi: r.To,
		span: rec.BlockSpan, reverse: reverse, open: blockHeap{reverse: reverse}}
	if it.lo.Timestamp < 0 {
		it.lo = logs.EventKey{}
	}
	if reverse {
		hi := eventKey(rec.ID, it.hi)
		k, v := it.c.Seek(hi)
		if k == nil || bytes.Compare(k, hi) > 0 {
			k, v = it.c.Prev()
		}
		it.setNext(k, v)
	} else {
		it.setNext(it.c.Seek(eventKey(rec.ID, logs.EventKey{Timestamp: max(it.lo.Timestamp-it.span, 0)})))
	}
	return it, true
}

func (it *streamIter) setNext(k, v []byte) {
	if k == nil || !bytes.HasPrefix(k, it.prefix) {
		k, v = nil, nil
	}
	it.k, it.v = k, v
}

// next advances to the next event in the range, into it.cur; it returns
// false at the end.
func (it *streamIter) next() (bool, error) {
	if it.done {
		return false, nil
	}
	if it.finished != nil { // recycle the block emptied by the last call
		it.recycle(it.finished.evs, it.finished.buf)
		it.finished = nil
	}
	for it.k != nil {
		first := decodeEventKey(it.k)
		if it.reverse {
			if first.Timestamp+it.span < it.lo.Timestamp {
				it.k = nil // this and every earlier block end before lo
				break
			}
			if it.open.Len() > 0 && first.Timestamp+it.span < it.top().Key.Timestamp {
				break
			}
		} else {
			if it.hi.Less(first) || it.open.Len() > 0 && it.top().Key.Less(first) {
				break
			}
		}
		if err := it.openBlock(); err != nil {
			return false, err
		}
		if it.reverse {
			it.setNext(it.c.Prev())
		} else {
			it.setNext(it.c.Next())
		}
	}
	if it.open.Len() == 0 {
		it.done = true
		return false, nil
	}
	it.cur = it.top()
	if it.reverse && it.cur.Key.Less(it.lo) || !it.reverse && it.hi.Less(it.cur.Key) {
		it.done = true
		return false, nil
	}
	b := it.open.bs[0]
	if it.reverse {
		b.i--
	} else {
		b.i++
	}
	if b.i < 0 || b.i >= len(b.evs) {
		heap.Pop(&it.open)
		it.finished = b
		if it.passed != nil {
			*it.passed = append(*it.passed, passedBlock{key: b.key, last: it.cur.Key})
		}
	} else {
		heap.Fix(&it.open, 0)
	}
	return true, nil
}

func (it *streamIter) top() logs.StoredEvent {
	b := it.open.bs[0]
	return b.evs[b.i]
}

// openBlock decodes the block at the cursor and adds what it holds in the
// range to the open blocks.
// recycle keeps a block's event slice and decompression buffer (if any)
// for the next blocks the walk opens: their messages are no longer read
// (a scan's caller copies what it keeps during its callback).
func (it *streamIter) recycle(evs []logs.StoredEvent, buf []byte) {
	it.free = append(it.free, evs[:0])
	if buf != nil {
		it.bufs = append(it.bufs, buf[:0])
	}
}

func (it *streamIter) openBlock() error {
	var dst []logs.StoredEvent
	if n := len(it.free); n > 0 {
		dst, it.free = it.free[n-1], it.free[:n-1]
	}
	var buf []byte
	if n := len(it.bufs); n > 0 {
		buf, it.bufs = it.bufs[n-1], it.bufs[:n-1]
	}
	evs, used, err := decodeBlockInto(it.k, it.v, dst, buf)
	if err != nil {
		return err
	}
	if used == nil && buf != nil { // a plain block: buf stays free
		it.bufs = append(it.bufs, buf)
	}
	b := &openBlock{evs: evs, buf: used}
	if it.passed != nil {
		b.key = bytes.Clone(it.k)
	}
	if it.reverse {
		b.i = len(evs) - 1
		for b.i >= 0 && it.hi.Less(evs[b.i].Key) {
			b.i--
		}
		if b.i < 0 || evs[b.i].Key.Less(it.lo) {
			it.recycle(evs, used)
			return nil
		}
	} else {
		for b.i < len(evs) && evs[b.i].Key.Less(it.lo) {
			b.i++
		}
		if b.i == len(evs) || it.hi.Less(evs[b.i].Key) {
			it.recycle(evs, used)
			return nil
		}
	}
	heap.Push(&it.open, b)
	return nil
}

// migrateEventsToBlocks rewrites the events of a version 3 or 4 file, one
// key per event whose value is its ingestion time (uvarint) and message, as
// blocks of one event under the same keys. Their spans are 0, so stream
// records need no block_span.
func migrateEventsToBlocks(events *bolt.Bucket) error {
	c := events.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 24 {
			return fmt.Errorf("migrate log event %x: key is not 24 bytes", k)
		}
		ingestion, size := binary.Uvarint(v)
		if size <= 0 {
			return fmt.Errorf("migrate log event %x: corrupt value", k)
		}
		block := encodeBlock(nil, int64(ingestion), []blockEvent{{key: decodeEventKey(k), msg: string(v[size:])}})
		// Replacing the value of the cursor's own key keeps its place.
		k = bytes.Clone(k)
		if err := events.Put(k, block); err != nil {
			return fmt.Errorf("migrate log event %x: %w", k, err)
		}
		c.Seek(k)
	}
	return nil
}
