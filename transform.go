package hookstream

import "time"

// DefaultTransformTimeout bounds one JSONata evaluation.
const DefaultTransformTimeout = 250 * time.Millisecond

// checkTransform validates a JSONata expression (empty is valid: no
// transform). Expressions that could run away (unbounded recursion, huge
// ranges) are refused here, before they ever run.
func (r *Router) checkTransform(expr string) error {
	if expr == "" {
		return nil
	}
	if _, err := r.transforms.Compile(expr); err != nil {
		return invalid("transform_expression", "%v", err)
	}
	return nil
}
