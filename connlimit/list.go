package connlimit

// connList is an intrusive doubly linked list of connections, oldest first.
type connList struct {
	head, tail *conn
	n          int
}

// pushBack appends c, which must be in no list.
func (q *connList) pushBack(c *conn) {
	c.prev, c.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = c
	} else {
		q.head = c
	}
	q.tail = c
	q.n++
}

// remove unlinks c, which must be in q.
func (q *connList) remove(c *conn) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		q.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		q.tail = c.prev
	}
	c.prev, c.next = nil, nil
	q.n--
}
