package graph

// orZero returns *p, or T's zero value when p is nil (optional arguments).
func orZero[T any](p *T) T {
	var v T
	if p != nil {
		v = *p
	}
	return v
}
