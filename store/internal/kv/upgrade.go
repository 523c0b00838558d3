package kv

import "context"

// upgradeBatch is how many index entries one transaction of Upgrade moves.
const upgradeBatch = 10_000

// Upgrade brings the database of s, written by an earlier version, to the
// current layout (a function, not a method, so that the stores embedding
// a Store do not offer it): it moves the entries of BucketEventListInverted to
// BucketEventList, in transactions of upgradeBatch entries, each atomic, so
// that an upgrade cut short goes on at the next. It returns the number of
// entries moved; on a current database it reads one key and returns 0.
func Upgrade(ctx context.Context, s *Store) (int, error) {
	moved := 0
	for {
		n := 0
		err := s.update(ctx, "upgrade", func(tx Tx) error {
			n = 0 // assigned, not accumulated: fn may run twice
			var keys, values [][]byte
			c := tx.Bucket(BucketEventListInverted).Cursor()
			for k, v := c.Seek(nil); k != nil && len(keys) < upgradeBatch; k, v = c.Next() {
				keys, values = append(keys, copyBytes(k)), append(values, copyBytes(v))
			}
			for i, k := range keys {
				if err := moveInvertedEntry(tx, k, values[i]); err != nil {
					return err
				}
			}
			n = len(keys)
			return nil
		})
		if err != nil {
			return moved, err
		}
		moved += n
		if n < upgradeBatch {
			return moved, nil
		}
	}
}

// moveInvertedEntry moves the BucketEventListInverted entry k, v to
// BucketEventList.
func moveInvertedEntry(tx Tx, k, v []byte) error {
	attrs, ok := readInvertedEventAttrs(v)
	if !ok {
		return errCorrupt
	}
	// The tenant prefix is two key strings: org, then env.
	_, rest, ok := readStr(k)
	if ok {
		_, rest, ok = readStr(rest)
	}
	if !ok {
		return errCorrupt
	}
	nk, ok := fromInvertedKey(k, len(k)-len(rest))
	if !ok {
		return errCorrupt
	}
	if err := tx.Bucket(BucketEventList).Put(nk, attrs.encode()); err != nil {
		return err
	}
	return tx.Bucket(BucketEventListInverted).Delete(k)
}
