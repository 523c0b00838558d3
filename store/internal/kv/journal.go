package kv

// Journal is a write transaction that remembers how to undo its writes, so
// that part of it can be rolled back: engines use it to keep a failed Update
// from leaving writes behind, and to commit several Updates in one
// transaction while each stays atomic.
type Journal struct {
	tx      Tx
	undo    []undo
	buckets [NumBuckets]*journalBucket
}

// undo restores one key (or, when seq is set, a sequence number) of a bucket.
type undo struct {
	bucket BucketID
	key    []byte
	value  []byte // nil: the key was absent
	seq    uint64
	isSeq  bool
}

// NewJournal returns a journal writing through tx.
func NewJournal(tx Tx) *Journal { return &Journal{tx: tx} }

// Bucket returns the bucket, recording the writes made to it.
func (j *Journal) Bucket(id BucketID) Bucket {
	if b := j.buckets[id]; b != nil {
		return b
	}
	b := &journalBucket{Bucket: j.tx.Bucket(id), j: j, id: id}
	j.buckets[id] = b
	return b
}

// Tally is the tally of the transaction the journal writes through, when
// it is a Tallier.
func (j *Journal) Tally() *Tally {
	if t, ok := j.tx.(Tallier); ok {
		return t.Tally()
	}
	return nil
}

// Savepoint returns a mark to roll back to.
func (j *Journal) Savepoint() int { return len(j.undo) }

// RollbackTo undoes every write made since the savepoint.
func (j *Journal) RollbackTo(savepoint int) error {
	for i := len(j.undo) - 1; i >= savepoint; i-- {
		u := j.undo[i]
		b := j.tx.Bucket(u.bucket)
		var err error
		switch {
		case u.isSeq:
			err = b.SetSequence(u.seq)
		case u.value == nil:
			err = b.Delete(u.key)
		default:
			err = b.Put(u.key, u.value)
		}
		if err != nil {
			return err
		}
	}
	clear(j.undo[savepoint:])
	j.undo = j.undo[:savepoint]
	return nil
}

// journalBucket records the previous state of what it writes.
type journalBucket struct {
	Bucket
	j  *Journal
	id BucketID
}

func (b *journalBucket) save(key []byte) {
	var old []byte
	if v := b.Bucket.Get(key); v != nil {
		old = append(make([]byte, 0, len(v)), v...)
	}
	b.j.undo = append(b.j.undo, undo{bucket: b.id, key: append([]byte(nil), key...), value: old})
}

func (b *journalBucket) Put(key, value []byte) error {
	b.save(key)
	return b.Bucket.Put(key, value)
}

func (b *journalBucket) Delete(key []byte) error {
	b.save(key)
	return b.Bucket.Delete(key)
}

func (b *journalBucket) SetSequence(v uint64) error {
	b.j.undo = append(b.j.undo, undo{bucket: b.id, seq: b.Bucket.Sequence(), isSeq: true})
	return b.Bucket.SetSequence(v)
}

func (b *journalBucket) NextSequence() (uint64, error) {
	b.j.undo = append(b.j.undo, undo{bucket: b.id, seq: b.Bucket.Sequence(), isSeq: true})
	return b.Bucket.NextSequence()
}
