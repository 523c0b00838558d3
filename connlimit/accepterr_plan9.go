package connlimit

// isFileLimit reports whether an accept failed for lack of file
// descriptors, which Plan 9 does not report as such.
func isFileLimit(error) bool { return false }
